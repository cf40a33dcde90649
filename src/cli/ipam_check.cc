// weft ipam check [--node NAME] [--repair] [--grace SECONDS] (issue 13): the IPAM consistency
// checks (ipam/consistency.h) against the store and, with --node, the kernel of the host this runs
// on: its current network namespace is taken to be NAME's (the CLI cannot reach another host's
// kernel; `weft lab ipam-check` covers every lab host in one run). Exit codes:
// ipam/consistency_run.h (0 clean, 1 something not checked or a repair failed, 3 findings remain).
#include <iostream>
#include <memory>

#include "base/clock.h"
#include "cli/context.h"
#include "ipam/consistency_report.h"
#include "ipam/consistency_run.h"
#include "kernel/netlink_kernel.h"

namespace weft::cli {
namespace {

namespace consistency = ipam::consistency;

struct CheckArgs {
  std::string node;
  bool repair = false;
  int64_t grace_seconds = 60;
};

int ipam_check(Context& ctx, const CheckArgs& args) {
  auto store = ctx.store();
  if (!store) return report(store.error());
  std::unique_ptr<kernel::KernelOps> kernel;
  std::vector<consistency::HostKernel> hosts;
  if (!args.node.empty()) {
    auto opened = kernel::open_netlink_kernel();
    if (opened) kernel = std::move(*opened);
    hosts.push_back({args.node, kernel.get(), opened ? std::nullopt : std::optional<Error>(opened.error())});
  }
  consistency::RunOptions options{.repair = args.repair};
  options.repair_options = {.now_unix = unix_now(), .veth_grace_seconds = args.grace_seconds};
  auto result = consistency::run(**store, hosts, options);
  if (!result) return report(result.error());
  if (ctx.json()) {
    std::cout << consistency::to_json(*result).dump(2) << '\n';
  } else {
    consistency::print(std::cout, *result);
  }
  for (const auto& e : result->errors) std::cerr << "weft: not checked: " << e << '\n';
  return result->exit_code();
}

}  // namespace

void add_ipam_check_command(CLI::App& ipam, Context& ctx, int& exit_code) {
  auto args = std::make_shared<CheckArgs>();
  auto* cmd = ipam.add_subcommand(
      "check", "count duplicate addresses, overlapping blocks, allocations without endpoint, endpoints without "
               "allocation and, with --node, endpoints without veth and stale weft routes on this host "
               "(exit 0 clean, 1 not everything checked, 3 findings)");
  cmd->add_option("--node", args->node, "the node this host is: also check its kernel (this network namespace)");
  cmd->add_flag("--repair", args->repair, "fix what can be fixed, print each action, then check again");
  cmd->add_option("--grace", args->grace_seconds,
                  "--repair spares endpoints without veth younger than this many seconds (an ADD in progress)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cmd->callback([&ctx, &exit_code, args] { exit_code = ipam_check(ctx, *args); });
}

}  // namespace weft::cli
