// weft lab ipam-check [--repair] [--grace SECONDS]: `weft ipam check` over the whole lab — the
// store, and the kernel of every lab host in its own namespace — in one run.
//
// Everything runs in one forked child inside weft-lab-etcd (processes.h run_in_netns; the parent
// starts no gRPC threads, see lab_store.h): the child opens the store there, opens each host's
// kernel through a descriptor on the host's namespace (kernel/netlink_kernel.h: the netlink
// socket is opened inside it, so reads and route deletions act there), runs the check (and the
// repair) and returns what to print and the exit code. A host whose namespace cannot be opened
// is reported as not checked, never as clean.
#include <unistd.h>

#include <iostream>
#include <memory>
#include <sstream>

#include "base/clock.h"
#include "cli/lab/commands.h"
#include "cli/lab/processes.h"
#include "ipam/consistency_report.h"
#include "ipam/consistency_run.h"
#include "kernel/netlink_kernel.h"
#include "kernel/netns.h"

namespace weft::cli::lab {
namespace {

namespace consistency = ipam::consistency;

// In the child: the whole run, as {"exit": N, "out": TEXT, "errors": [...]}.
Result<std::string> run_check(const LabState& state, const IpamCheckOptions& options, bool json) {
  auto store = store::open_store({.url = state.store, .request_timeout = std::chrono::milliseconds(3000)});
  if (!store) return std::unexpected(store.error());
  std::vector<std::unique_ptr<kernel::KernelOps>> kernels;
  std::vector<consistency::HostKernel> hosts;
  for (const auto& h : state.hosts) {
    auto fd = kernel::NetnsFd::open(h.netns);
    auto opened = fd ? kernel::open_netlink_kernel(*fd) : Result<std::unique_ptr<kernel::KernelOps>>(std::unexpected(fd.error()));
    if (!opened) {
      hosts.push_back({h.name, nullptr, opened.error()});
      continue;
    }
    kernels.push_back(std::move(*opened));
    hosts.push_back({h.name, kernels.back().get()});
  }
  consistency::RunOptions run_options{.repair = options.repair};
  run_options.repair_options = {.now_unix = unix_now(), .veth_grace_seconds = options.grace_seconds};
  auto result = consistency::run(**store, hosts, run_options);
  if (!result) return std::unexpected(result.error());
  std::string out;
  if (json) {
    out = consistency::to_json(*result).dump(2) + "\n";
  } else {
    std::ostringstream text;
    consistency::print(text, *result);
    out = text.str();
  }
  return Json{{"exit", result->exit_code()}, {"out", out}, {"errors", result->errors}}.dump();
}

}  // namespace

int ipam_check(const std::string& state_dir, const IpamCheckOptions& options, Context& ctx) {
  if (::geteuid() != 0) {
    return report(Error{Errc::invalid_argument, "weft lab ipam-check needs root (it enters the hosts' namespaces)"});
  }
  auto state = load_existing_lab(state_dir);
  if (!state) return report(state.error());
  auto answer = run_in_netns(std::string(kEtcdNetns), [&] { return run_check(*state, options, ctx.json()); });
  if (!answer) return report(answer.error());
  auto parsed = parse_json(*answer);
  if (!parsed || !parsed->contains("exit") || !parsed->contains("out")) {
    return report(Error{Errc::internal, "the check's helper process answered garbage: " + *answer});
  }
  std::cout << (*parsed)["out"].get<std::string>();
  for (const auto& e : (*parsed)["errors"]) std::cerr << "weft: not checked: " << e.get<std::string>() << '\n';
  return (*parsed)["exit"].get<int>();
}

}  // namespace weft::cli::lab
