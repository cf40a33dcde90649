// Block claim cost against a real etcd: wall time and store round trips per claim for 1, 10 and
// 100 concurrent claimants (each its own node and its own store client), all in a fresh /16
// pool of /24 blocks. The baseline is one plain etcd put measured in the same run, so the
// result reads as "a claim costs N puts".
//
// Usage: block_claim_bench [--rounds R]   (starts its own etcd; prints JSON)
#include <algorithm>
#include <chrono>
#include <cstring>
#include <iostream>
#include <numeric>
#include <string>
#include <thread>
#include <vector>

#include "base/json.h"
#include "base/log.h"
#include "etcd_server.h"
#include "ipam/block_leases.h"
#include "ipam/node_lease.h"
#include "ipam/pool_registry.h"

using namespace weft;
using Stopwatch = std::chrono::steady_clock;

namespace {

double ms_since(Stopwatch::time_point t) {
  return std::chrono::duration<double, std::milli>(Stopwatch::now() - t).count();
}

double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

std::unique_ptr<store::Store> connect(const std::string& url) {
  auto s = store::open_store({.url = url});
  if (!s) {
    std::cerr << s.error().describe() << '\n';
    std::exit(1);
  }
  return std::move(*s);
}

struct RoundResult {
  std::vector<double> claim_ms;
  uint64_t round_trips = 0;
  uint64_t attempts = 0;
  double wall_ms = 0;
};

RoundResult run_round(const std::string& url, const std::string& pool, int claimants, int round) {
  // Clients and leases are set up before the clock starts: the benchmark measures claims.
  std::vector<std::unique_ptr<store::Store>> clients;
  std::vector<std::unique_ptr<ipam::NodeLease>> leases;
  for (int i = 0; i < claimants; ++i) {
    clients.push_back(connect(url));
    auto name = "bench-r" + std::to_string(round) + "-n" + std::to_string(i);
    auto lease = ipam::NodeLease::acquire(*clients.back(), {.node = name, .ttl_seconds = 600, .renew_in_background = false});
    if (!lease) { std::cerr << lease.error().describe() << '\n'; std::exit(1); }
    leases.push_back(std::move(*lease));
  }
  RoundResult result;
  result.claim_ms.resize(static_cast<size_t>(claimants));
  std::vector<uint64_t> trips(static_cast<size_t>(claimants)), attempts(static_cast<size_t>(claimants));
  const auto start = Stopwatch::now();
  {
    std::vector<std::jthread> threads;
    for (int i = 0; i < claimants; ++i) {
      threads.emplace_back([&, i] {
        auto& s = *clients[static_cast<size_t>(i)];
        const auto before = s.counters().round_trips.load();
        const auto t = Stopwatch::now();
        auto claim = ipam::claim_block(s, {.pool = pool, .node = leases[static_cast<size_t>(i)]->node(),
                                           .lease = leases[static_cast<size_t>(i)]->id()});
        result.claim_ms[static_cast<size_t>(i)] = ms_since(t);
        if (!claim) { std::cerr << claim.error().describe() << '\n'; std::exit(1); }
        trips[static_cast<size_t>(i)] = s.counters().round_trips.load() - before;
        attempts[static_cast<size_t>(i)] = static_cast<uint64_t>(claim->attempts);
      });
    }
  }
  result.wall_ms = ms_since(start);
  result.round_trips = std::accumulate(trips.begin(), trips.end(), uint64_t{0});
  result.attempts = std::accumulate(attempts.begin(), attempts.end(), uint64_t{0});
  for (auto& l : leases) (void)l->release();  // frees the blocks for the next round
  return result;
}

}  // namespace

int main(int argc, char** argv) {
  int rounds = 3;
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], "--rounds") == 0) rounds = std::max(1, std::atoi(argv[i + 1]));
  }
  spdlog::set_level(spdlog::level::err);
  testing::EtcdServer etcd;
  if (!etcd.start()) return 1;
  auto admin = connect(etcd.url());
  model::Pool pool;
  pool.name = "bench";
  pool.cidr = *Prefix::parse("198.19.0.0/16");
  pool.block_length = 24;
  if (auto r = ipam::add_pool(*admin, pool); !r) { std::cerr << r.error().describe() << '\n'; return 1; }

  // Baseline: one plain put, the cheapest write etcd does.
  std::vector<double> put_ms;
  for (int i = 0; i < 200; ++i) {
    const auto t = Stopwatch::now();
    (void)admin->put("/bench/baseline", std::to_string(i));
    put_ms.push_back(ms_since(t));
  }
  const double put_p50 = percentile(put_ms, 0.5);

  Json out = {{"benchmark", "block_claim"},
              {"store", "etcd " + etcd.endpoint()},
              {"pool", "198.19.0.0/16, /24 blocks"},
              {"baseline_put_ms_p50", put_p50},
              {"results", Json::array()}};
  for (int claimants : {1, 10, 100}) {
    std::vector<double> all_ms;
    uint64_t trips = 0, attempts = 0;
    double wall = 0;
    for (int r = 0; r < rounds; ++r) {
      auto res = run_round(etcd.url(), pool.name, claimants, claimants * 100 + r);
      all_ms.insert(all_ms.end(), res.claim_ms.begin(), res.claim_ms.end());
      trips += res.round_trips;
      attempts += res.attempts;
      wall += res.wall_ms;
    }
    const double claims = static_cast<double>(all_ms.size());
    out["results"].push_back({
        {"concurrent_claimants", claimants},
        {"claims", all_ms.size()},
        {"claim_ms_p50", percentile(all_ms, 0.5)},
        {"claim_ms_p99", percentile(all_ms, 0.99)},
        {"claim_p50_in_puts", percentile(all_ms, 0.5) / put_p50},
        {"round_trips_per_claim", static_cast<double>(trips) / claims},
        {"cas_attempts_per_claim", static_cast<double>(attempts) / claims},
        {"wall_ms_per_round", wall / rounds},
    });
  }
  std::cout << out.dump(2) << std::endl;
  return 0;
}
