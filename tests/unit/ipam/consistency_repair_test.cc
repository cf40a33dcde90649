// `weft ipam check [--repair]` end to end below the CLI (ipam/consistency_run.h): a cluster made
// by the real allocator on the embedded store, two hosts on fake kernels, broken by hand the way
// an operator or a crash would, then checked, repaired and checked again.
#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <sstream>

#include "base/clock.h"
#include "ipam/address_allocator.h"
#include "ipam/block_leases.h"
#include "ipam/consistency_report.h"
#include "ipam/consistency_run.h"
#include "ipam/ipam_protocol.h"
#include "ipam/node_lease.h"
#include "ipam/node_registry.h"
#include "ipam/pool_registry.h"
#include "kernel/fake_kernel.h"
#include "model/keys.h"
#include "parse.h"
#include "store/memory_store.h"

namespace weft::ipam::consistency {
namespace {

using weft::testing::pfx;

class ConsistencyRun : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = store::MemoryStore::open("", clock_);
    ASSERT_TRUE(s);
    store_ = std::move(*s);
    model::Pool pool;
    pool.name = "lab";
    pool.cidr = pfx("198.19.0.0/16");
    pool.block_length = 24;
    ASSERT_TRUE(add_pool(*store_, pool));
    for (const std::string node : {"h1", "h2"}) {
      ASSERT_TRUE(register_node(*store_, model::Node{.name = node}));
      auto lease = NodeLease::acquire(*store_, {.node = node, .renew_in_background = false});
      ASSERT_TRUE(lease) << lease.error().describe();
      leases_.push_back(std::move(*lease));
      kernels_[node].add_device({.name = "lo"});
      kernels_[node].add_device({.name = "eth0", .kind = "veth"});
    }
    add_pod("h1", "c1");
    add_pod("h1", "c2");
    add_pod("h2", "c3");
    // Each host: a blackhole for its own block, a route to the other's (as weftd programs them).
    for (const auto& [node, other] : {std::pair{"h1", "h2"}, std::pair{"h2", "h1"}}) {
      kernels_[node].add_route_silently(kernel::Route::blackhole(block_of(node)));
      kernels_[node].add_route_silently(kernel::Route::via_gateway(block_of(other), *IpAddress::parse("198.18.1.1"), 2, true));
    }
  }

  void add_pod(const std::string& node, const std::string& cid) {
    AddressAllocator allocator(*store_, node);
    model::Endpoint ep{.container_id = cid, .ifname = "eth0"};
    ep.host_veth = protocol::host_veth_name(cid, "eth0");
    auto a = allocator.assign({.endpoint = ep, .lease = lease_of(node)});
    ASSERT_TRUE(a) << a.error().describe();
    pods_[cid] = a->endpoint;
    kernels_[node].add_device({.name = ep.host_veth, .kind = "veth"});
  }

  store::LeaseId lease_of(const std::string& node) { return leases_[node == "h1" ? 0 : 1]->id(); }
  Prefix block_of(const std::string& node) {
    for (const auto& ep : pods_) {
      if (ep.second.node == node) return ep.second.addresses.at(0).block;
    }
    ADD_FAILURE() << "no pod on " << node;
    return {};
  }

  std::vector<HostKernel> hosts() { return {{"h1", &kernels_["h1"]}, {"h2", &kernels_["h2"]}}; }

  RunResult run_check(bool repair, int64_t age_seconds = 3600) {
    RunOptions options{.repair = repair};
    options.repair_options.now_unix = pods_["c1"].created_at_unix + age_seconds;
    auto r = run(*store_, hosts(), options);
    EXPECT_TRUE(r) << r.error().describe();
    return r ? *r : RunResult{};
  }

  std::optional<BlockAllocations> record_of(const model::Endpoint& ep) {
    const auto& a = ep.addresses.at(0);
    const std::string key = model::keys::allocation(a.pool, a.block);
    auto kv = store_->get(key);
    if (!kv || !*kv) return std::nullopt;
    auto r = decode_allocations(key, (*kv)->value);
    return r ? std::optional(*r) : std::nullopt;
  }
  void put_record(const BlockAllocations& r) {
    ASSERT_TRUE(store_->put(model::keys::allocation(r.pool, r.block), dump_json(encode(r))));
  }

  FakeClock clock_;
  std::unique_ptr<store::MemoryStore> store_;
  std::vector<std::unique_ptr<NodeLease>> leases_;
  std::map<std::string, kernel::FakeKernel> kernels_;
  std::map<std::string, model::Endpoint> pods_;
};

std::string text_of(const RunResult& r) {
  std::ostringstream out;
  print(out, r);
  return out.str();
}

TEST_F(ConsistencyRun, ACleanClusterCountsZeroEverywhere) {
  const RunResult r = run_check(false);
  EXPECT_TRUE(r.before.clean()) << text_of(r);
  EXPECT_TRUE(r.errors.empty());
  EXPECT_EQ(r.before.kernel_nodes, (std::vector<std::string>{"h1", "h2"}));
  EXPECT_EQ(r.exit_code(), 0);
  const Json json = to_json(r);
  ASSERT_EQ(json["counts"].size(), kAllChecks.size());
  for (const auto& [name, count] : json["counts"].items()) EXPECT_EQ(count, 0) << name;
  EXPECT_EQ(json["exitCode"], 0);
  EXPECT_NE(text_of(r).find("ipam check: clean"), std::string::npos) << text_of(r);
}

TEST_F(ConsistencyRun, WithoutAKernelTheKernelChecksAreNotCountedAsZero) {
  auto r = run(*store_, {}, {});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->exit_code(), 0);
  const Json json = to_json(*r);
  EXPECT_TRUE(json["counts"]["endpointsWithoutVeth"].is_null());
  EXPECT_TRUE(json["counts"]["staleRoutes"].is_null());
  EXPECT_EQ(json["counts"]["duplicateAddresses"], 0);
  EXPECT_NE(text_of(*r).find("no host's kernel read"), std::string::npos);
}

TEST_F(ConsistencyRun, BrokenByHandIsCountedThenRepairedThenClean) {
  // An endpoint key deleted with the store, a pod's host veth deleted, a stale weft route added.
  ASSERT_TRUE(store_->remove(model::keys::endpoint("h1", "c1", "eth0")));
  auto veth = kernels_["h1"].find_link(pods_["c2"].host_veth);
  ASSERT_TRUE(veth);
  ASSERT_TRUE(kernels_["h1"].delete_link(veth->index));
  const auto stale = kernel::Route::blackhole(pfx("198.19.250.0/24"));
  kernels_["h2"].add_route_silently(stale);

  const RunResult found = run_check(false);
  EXPECT_EQ(found.before.count(Check::allocation_without_endpoint), 1u) << text_of(found);
  EXPECT_EQ(found.before.count(Check::endpoint_without_veth), 1u);
  EXPECT_EQ(found.before.count(Check::stale_route), 1u);
  EXPECT_EQ(found.before.findings.size(), 3u);
  EXPECT_EQ(found.exit_code(), kExitFindings);

  const RunResult repaired = run_check(true);
  ASSERT_EQ(repaired.repairs.size(), 3u);
  for (const auto& a : repaired.repairs) EXPECT_EQ(a.outcome, Outcome::done) << a.text;
  ASSERT_TRUE(repaired.after);
  EXPECT_TRUE(repaired.after->clean()) << text_of(repaired);
  EXPECT_EQ(repaired.exit_code(), 0);
  // What the repairs did: c1's address released, c2 released whole, the route gone from h2.
  EXPECT_FALSE(record_of(pods_["c1"]).has_value() && record_of(pods_["c1"])->addresses.contains(pods_["c1"].addresses[0].address));
  EXPECT_FALSE(record_of(pods_["c2"]).has_value() && record_of(pods_["c2"])->addresses.contains(pods_["c2"].addresses[0].address));
  EXPECT_FALSE(store_->get(model::keys::endpoint("h1", "c2", "eth0"))->has_value());
  const auto routes = kernels_["h2"].routes();
  EXPECT_EQ(std::count(routes.begin(), routes.end(), stale), 0);
  EXPECT_TRUE(store_->get(model::keys::endpoint("h2", "c3", "eth0"))->has_value()) << "an intact pod is left alone";
  const std::string text = text_of(repaired);
  EXPECT_NE(text.find("done: deleted h2: blackhole 198.19.250.0/24 (no node holds 198.19.250.0/24)"), std::string::npos) << text;
  EXPECT_NE(text.find("ipam check after repair: clean"), std::string::npos) << text;
}

TEST_F(ConsistencyRun, AYoungEndpointWithoutVethIsSparedAndStillReported) {
  auto veth = kernels_["h2"].find_link(pods_["c3"].host_veth);
  ASSERT_TRUE(veth);
  ASSERT_TRUE(kernels_["h2"].delete_link(veth->index));
  const RunResult r = run_check(true, /*age_seconds=*/5);
  ASSERT_EQ(r.repairs.size(), 1u);
  EXPECT_EQ(r.repairs[0].outcome, Outcome::spared);
  ASSERT_TRUE(r.after);
  EXPECT_EQ(r.after->count(Check::endpoint_without_veth), 1u);
  EXPECT_EQ(r.exit_code(), kExitFindings);
  EXPECT_TRUE(store_->get(model::keys::endpoint("h2", "c3", "eth0"))->has_value());
}

TEST_F(ConsistencyRun, AnEndpointGetsItsFreeAddressBackAfterAStrangerIsReleased) {
  // c1's address is recorded for an attachment that has no endpoint: the stranger's allocation is
  // released first, then c1, whose workload has the address configured, gets it back.
  auto record = record_of(pods_["c1"]);
  ASSERT_TRUE(record);
  const IpAddress address = pods_["c1"].addresses[0].address;
  record->addresses[address].container_id = "stranger";
  put_record(*record);
  const RunResult r = run_check(true);
  EXPECT_EQ(r.before.count(Check::allocation_without_endpoint), 1u) << text_of(r);
  EXPECT_EQ(r.before.count(Check::endpoint_without_allocation), 1u);
  ASSERT_EQ(r.repairs.size(), 2u);
  EXPECT_EQ(r.repairs[0].finding.check, Check::allocation_without_endpoint);
  for (const auto& a : r.repairs) EXPECT_EQ(a.outcome, Outcome::done) << a.text;
  ASSERT_TRUE(r.after);
  EXPECT_TRUE(r.after->clean()) << text_of(r);
  EXPECT_EQ(record_of(pods_["c1"])->addresses.at(address).container_id, "c1");
}

TEST_F(ConsistencyRun, DuplicatesAreReportedNotRepaired) {
  // A second endpoint claims c3's address: which pod keeps it is the operator's call.
  model::Endpoint twin = pods_["c3"];
  twin.container_id = "twin";
  twin.host_veth = protocol::host_veth_name("twin", "eth0");
  ASSERT_TRUE(store_->put(model::keys::endpoint("h2", "twin", "eth0"), dump_json(encode(twin))));
  kernels_["h2"].add_device({.name = twin.host_veth, .kind = "veth"});
  const RunResult r = run_check(true);
  EXPECT_EQ(r.before.count(Check::duplicate_address), 1u) << text_of(r);
  EXPECT_EQ(r.before.count(Check::endpoint_without_allocation), 1u);
  for (const auto& a : r.repairs) EXPECT_EQ(a.outcome, Outcome::not_repairable) << a.text;
  ASSERT_TRUE(r.after);
  EXPECT_EQ(r.after->findings.size(), 2u);
  EXPECT_EQ(r.exit_code(), kExitFindings);
  EXPECT_NE(text_of(r).find("not-repairable: h2/twin-eth0: " + pods_["c3"].addresses[0].address.to_string() +
                            " is allocated to h2/c3-eth0"),
            std::string::npos)
      << text_of(r);
}

TEST_F(ConsistencyRun, ARouteWhoseBlockIsHeldByTheTimeOfTheRepairStays) {
  const auto route = kernel::Route::blackhole(pfx("198.19.250.0/24"));
  kernels_["h1"].add_route_silently(route);
  auto r = run(*store_, hosts(), {});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->before.count(Check::stale_route), 1u);
  ASSERT_TRUE(reserve_block(*store_, "lab", pfx("198.19.250.0/24"), "h1"));
  std::map<std::string, kernel::KernelOps*> kernels{{"h1", &kernels_["h1"]}};
  const auto actions = repair(*store_, r->before.findings, kernels, {});
  ASSERT_EQ(actions.size(), 1u);
  EXPECT_EQ(actions[0].outcome, Outcome::unchanged) << actions[0].text;
  const auto routes = kernels_["h1"].routes();
  EXPECT_EQ(std::count(routes.begin(), routes.end(), route), 1);
}

TEST_F(ConsistencyRun, AHostThatCannotBeReadIsAnErrorNotAZero) {
  kernels_["h2"].fail_call(1, EIO);  // its first call: listing its devices
  auto r = run(*store_, {{"h1", &kernels_["h1"]}, {"h2", &kernels_["h2"]}, {"h3", nullptr, Error{Errc::not_found, "no netns"}},
                         {"h9", &kernels_["h1"]}},
               {});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->before.kernel_nodes, std::vector<std::string>{"h1"});
  ASSERT_EQ(r->errors.size(), 3u);
  EXPECT_NE(r->errors[0].find("h2: listing devices"), std::string::npos) << r->errors[0];
  EXPECT_NE(r->errors[1].find("h3: the kernel cannot be read: no netns"), std::string::npos) << r->errors[1];
  EXPECT_NE(r->errors[2].find("h9: no such node"), std::string::npos) << r->errors[2];
  EXPECT_EQ(r->exit_code(), kExitIncomplete);
  EXPECT_NE(text_of(*r).find("3 host(s) NOT checked"), std::string::npos) << text_of(*r);
  EXPECT_EQ(to_json(*r)["errors"].size(), 3u);
}

}  // namespace
}  // namespace weft::ipam::consistency
