// ADD and DEL latency of weft-cni on one node, weftd against a real etcd (issue 4), printed as
// one JSON document. Two layers are timed:
// - "plugin": weft-cni executed as a runtime does (fork/exec, CNI_* environment, config on stdin)
//   including the veth, addresses, routes and the IPAM round trip: what a runtime waits for;
// - "ipam": the IPAM socket round trip alone (weftd's allocation persisted in etcd before the
//   answer), to separate weftd's share from the kernel work.
// Each layer runs one at a time and 8 at a time. Everything lives in namespaces this process
// creates (tests/integration/cni/cni_cluster.h) and is removed at exit. Root only.
//
// Usage: cni_bench [--count N] (default 200 operations per measurement)
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "base/json.h"
#include "cni/ipam_client.h"
#include "cni_cluster.h"

namespace {

using Clock = std::chrono::steady_clock;
using weft::Json;
using weft::testing::CniCluster;

struct Samples {
  std::vector<double> ms;
  int errors = 0;
};

Json summary(Samples s) {
  std::sort(s.ms.begin(), s.ms.end());
  auto pct = [&](double p) {
    if (s.ms.empty()) return 0.0;
    const size_t i = std::min(s.ms.size() - 1, static_cast<size_t>(p * static_cast<double>(s.ms.size())));
    return std::round(s.ms[i] * 100) / 100;
  };
  return Json{{"count", s.ms.size()}, {"errors", s.errors}, {"p50_ms", pct(0.50)}, {"p99_ms", pct(0.99)},
              {"max_ms", s.ms.empty() ? 0.0 : std::round(s.ms.back() * 100) / 100}};
}

// Runs op(i) for i in [0, n) on `parallel` threads; returns each op's latency.
template <class Op>
Samples measure(int n, int parallel, Op op) {
  Samples out;
  std::vector<std::vector<double>> per_thread(parallel);
  std::atomic<int> next{0}, errors{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < parallel; ++t) {
    threads.emplace_back([&, t] {
      for (int i; (i = next++) < n;) {
        const auto start = Clock::now();
        const bool ok = op(i);
        per_thread[t].push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
        if (!ok) ++errors;
      }
    });
  }
  for (auto& th : threads) th.join();
  for (auto& v : per_thread) out.ms.insert(out.ms.end(), v.begin(), v.end());
  out.errors = errors;
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  int count = 200;
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], "--count") == 0) count = std::max(8, std::atoi(argv[i + 1]));
  }
  if (::geteuid() != 0) {
    std::cerr << "cni_bench: needs root (network namespaces)\n";
    return 2;
  }
  CniCluster cluster("bench", {WEFTD_PATH, WEFT_CLI_PATH, WEFT_CNI_PATH});
  if (auto error = cluster.start(); !error.empty()) {
    std::cerr << "cni_bench: " << error << '\n';
    return 1;
  }
  std::vector<std::string> netns(count);
  for (int i = 0; i < count; ++i) netns[i] = cluster.container("b" + std::to_string(i));
  const std::string config = cluster.config();

  Json plugin = Json::object();
  for (int parallel : {1, 8}) {
    const std::string tag = parallel == 1 ? "one_at_a_time" : "eight_at_a_time";
    auto id = [&](int i) { return "bench-" + tag + "-" + std::to_string(i); };
    auto add = measure(count, parallel, [&](int i) { return cluster.cni("ADD", id(i), netns[i], config).exit_code == 0; });
    auto del = measure(count, parallel, [&](int i) { return cluster.cni("DEL", id(i), netns[i], config).exit_code == 0; });
    plugin[tag] = {{"add", summary(add)}, {"del", summary(del)}};
  }

  namespace proto = weft::ipam::protocol;
  Json ipam = Json::object();
  for (int parallel : {1, 8}) {
    const std::string tag = parallel == 1 ? "one_at_a_time" : "eight_at_a_time";
    auto call = [&](proto::Op op, int i) {
      proto::Request r{.op = op, .container_id = "ipam-" + tag + "-" + std::to_string(i), .ifname = "eth0"};
      auto response = weft::cni::call_weftd(cluster.socket_path(), r, std::chrono::seconds(30));
      return response && response->ok();
    };
    auto add = measure(count, parallel, [&](int i) { return call(proto::Op::add, i); });
    auto del = measure(count, parallel, [&](int i) { return call(proto::Op::del, i); });
    ipam[tag] = {{"add", summary(add)}, {"del", summary(del)}};
  }

  // A failed etcdctl (nullopt) is not clean.
  const auto allocations = cluster.keys("/weft/v1/allocations/");
  const auto endpoints = cluster.keys("/weft/v1/endpoints/");
  const bool clean = allocations && allocations->empty() && endpoints && endpoints->empty();
  Json out{{"benchmark", "cni"},
           {"setup", "one node: weftd and etcd 3.4 (fsync on the machine's disk) in a network namespace; "
                     "IPv4 /24 and IPv6 /120 pools: every ADD gets one address of each"},
           {"operations_per_measurement", count},
           {"plugin", plugin},
           {"ipam", ipam},
           {"target", {{"add_p50_ms", 10}, {"add_p99_ms", 30}}},
           {"meets_target", plugin["one_at_a_time"]["add"]["p50_ms"].get<double>() < 10 &&
                                plugin["one_at_a_time"]["add"]["p99_ms"].get<double>() < 30},
           {"store_clean_after", clean}};
  std::cout << out.dump(2) << std::endl;
  return 0;
}
