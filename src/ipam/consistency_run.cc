#include "ipam/consistency_run.h"

#include <map>

#include "ipam/consistency_read.h"

namespace weft::ipam::consistency {
namespace {

struct Pass {
  Report report;
  std::vector<std::string> errors;
};

Result<Pass> check_once(store::Store& store, const std::vector<HostKernel>& hosts) {
  auto state = read_store_state(store);  // before the kernels: see consistency_read.h
  if (!state) return std::unexpected(state.error());
  Pass out;
  std::vector<KernelState> kernels;
  for (const auto& h : hosts) {
    if (h.kernel == nullptr) {
      out.errors.push_back(h.node + ": the kernel cannot be read: " + (h.error ? h.error->message : "not opened"));
      continue;
    }
    if (!state->nodes.contains(h.node)) {
      out.errors.push_back(h.node + ": no such node in the store (no node record), its kernel is not checked");
      continue;
    }
    auto k = read_kernel_state(*h.kernel, h.node);
    if (!k) {
      out.errors.push_back(k.error().message);
      continue;
    }
    kernels.push_back(std::move(*k));
  }
  out.report = check(*state, kernels);
  return out;
}

}  // namespace

int RunResult::exit_code() const {
  bool failed_repair = false;
  for (const auto& r : repairs) failed_repair |= r.outcome == Outcome::failed;
  if (!errors.empty() || !errors_after.empty() || failed_repair) return kExitIncomplete;
  const Report& last = after ? *after : before;
  return last.clean() ? 0 : kExitFindings;
}

Result<RunResult> run(store::Store& store, const std::vector<HostKernel>& hosts, const RunOptions& options) {
  auto first = check_once(store, hosts);
  if (!first) return std::unexpected(first.error());
  RunResult out{.before = std::move(first->report), .errors = std::move(first->errors)};
  if (!options.repair) return out;
  std::map<std::string, kernel::KernelOps*> kernels;
  for (const auto& h : hosts) {
    if (h.kernel != nullptr) kernels[h.node] = h.kernel;
  }
  out.repairs = repair(store, out.before.findings, kernels, options.repair_options);
  auto second = check_once(store, hosts);
  if (!second) return std::unexpected(second.error());
  out.after = std::move(second->report);
  out.errors_after = std::move(second->errors);
  return out;
}

}  // namespace weft::ipam::consistency
