// weft lab bench: what issue 3 measures, on real labs built for the purpose, printed as JSON.
//
// - throughput: iperf3 (TCP, 1 and 4 streams) from a pod on h1 to a pod on h2 (same segment), per
//   mode, as a ratio to host-to-host underlay throughput measured in the same run (underlay
//   and pod runs alternating, the ratio the median of the per-run ratios), so the machine's
//   noise cancels out; with each, the CPU it cost: percent of one core busy on the whole machine
//   (/proc/stat, softirq included) per Gbit/s carried;
// - convergence: in labs of N hosts (vxlan: routes from the store; bgp: routes over BGP), the last host is stopped and removed from the
//   cluster; then its weftd starts again, and the time until every other host has a route to its
//   block is taken from route notifications (RTNLGRP_IPV*_ROUTE) in each host, against the same
//   monotonic clock the start was taken on;
// - the resident memory of every weftd in the largest convergence lab of each mode.
// Each step replaces the current lab (the lab is one per machine); the last lab is removed.
#pragma once

#include <string>
#include <vector>

#include "cli/context.h"

namespace weft::cli::lab {

struct BenchOptions {
  std::vector<std::string> modes{"direct", "vxlan", "vxlan-cross-subnet"};
  std::vector<int> convergence_hosts{8, 16};
  std::vector<std::string> convergence_modes{"vxlan", "bgp"};
  int seconds = 3;
  int repeat = 5;  // iperf3 runs per figure (median)
  std::string state_dir;
};

int bench(const BenchOptions& options, Context& ctx);

}  // namespace weft::cli::lab
