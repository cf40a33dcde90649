// One run of `weft ipam check` (and `weft lab ipam-check`): read the store, then each host's
// kernel, check (consistency.h); with repair, repair (consistency_repair.h) and check again from
// fresh reads, so that what is reported after a repair is what the store and kernels now say.
//
// Contract: a store that cannot be read fails the run (the error). A host whose kernel cannot be
// opened or read, or that names no node of the store (a mistyped --node would otherwise check
// nothing and say so with zeros), is an entry of `errors` and left out of the kernel checks, never
// counted as clean. A repair that fails is an error too.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "ipam/consistency.h"
#include "ipam/consistency_repair.h"
#include "kernel/kernel_ops.h"
#include "store/store.h"

namespace weft::ipam::consistency {

// Exit codes (besides 0): something could not be checked or a repair failed; or findings remain.
inline constexpr int kExitIncomplete = 1;
inline constexpr int kExitFindings = 3;

struct HostKernel {
  std::string node;
  kernel::KernelOps* kernel = nullptr;  // null: could not be opened, `error` says why
  std::optional<Error> error = std::nullopt;
};

struct RunOptions {
  bool repair = false;
  RepairOptions repair_options{};
};

struct RunResult {
  Report before;
  std::vector<std::string> errors;  // hosts not checked (why)
  std::vector<RepairAction> repairs;
  std::optional<Report> after;      // with repair: the check again
  std::vector<std::string> errors_after;  // hosts not checked the second time

  // 0: clean (after repair, when repairing); kExitIncomplete: an error; kExitFindings: findings remain.
  int exit_code() const;
};

Result<RunResult> run(store::Store& store, const std::vector<HostKernel>& hosts, const RunOptions& options);

}  // namespace weft::ipam::consistency
