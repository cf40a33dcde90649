// weftd's Agent on the embedded store, the recording FakeKernel and a FakeClock: registration,
// block claims, watch-driven reconcile, lease loss and re-acquire, the IPAM service and its
// sweeper, with no root and no sleeps. The loop is driven by hand; waits are for events (the
// store watch posts onto the loop), each bounded so that a missing event fails the test.
#include "agent/agent.h"

#include <gtest/gtest.h>

#include <future>

#include "agent_harness.h"
#include "ipam_ask.h"
#include "base/json.h"
#include "ipam/block_leases.h"
#include "ipam/node_registry.h"
#include "model/keys.h"
#include "parse.h"
#include "policy/compile.h"
#include "policy/policy_codec.h"
#include "policy/policy_file.h"

namespace weft::agent {
namespace {

using weft::testing::ip;
using weft::testing::pfx;

namespace proto = ipam::protocol;


TEST(Agent, StartRegistersTheNodeClaimsABlockAndProgramsIt) {
  Harness h;
  h.add_pool("lab", "198.19.0.0/16");
  ASSERT_TRUE(h.start());
  auto node = h.store->get(model::keys::node("h1"));
  ASSERT_TRUE(node && *node);
  auto record = model::decode_node((*node)->value);
  ASSERT_TRUE(record);
  EXPECT_EQ(record->addresses.at(0).address, *IpAddress::parse("198.18.1.11"));
  auto block = h.block_of("h1");
  ASSERT_TRUE(block);
  EXPECT_TRUE(h.has_route(block->block.to_string().c_str())) << "the blackhole of the node's own block";
  EXPECT_EQ(h.kernel.sysctl("net.ipv4.ip_forward"), "1");
  EXPECT_EQ(h.agent->serve_http("/healthz").status, 200);
  EXPECT_EQ(h.agent->metrics().block_claims, 1u);
}

TEST(Agent, AStoreChangeIsReconciledFromTheWatch) {
  Harness h;
  h.add_pool("lab", "198.19.0.0/16");
  ASSERT_TRUE(h.start());
  ASSERT_TRUE(ipam::register_node(*h.store, model::Node{"h2", {*model::InterfaceAddress::parse("198.18.1.12/24")}}));
  auto other = ipam::claim_block(*h.store, {.pool = "lab", .node = "h2", .lease = 0});
  ASSERT_TRUE(other) << other.error().describe();
  const std::string dest = other->block.to_string();
  ASSERT_TRUE(h.run_until([&] { return h.has_route(dest.c_str()); })) << "no route to h2's block " << dest;
  EXPECT_GE(h.agent->metrics().watch_batches, 1u);

  ASSERT_TRUE(ipam::remove_node(*h.store, "h2"));
  ASSERT_TRUE(h.run_until([&] { return !h.has_route(dest.c_str()); })) << "h2's route stayed after its removal";
}

// Policies and endpoint labels change no route: the watch must still bring the policy table.
TEST(Agent, APolicyOrLabelChangeIsEnforcedFromTheWatch) {
  Harness h;
  h.add_pool("lab", "198.19.0.0/16");
  ASSERT_TRUE(h.start());
  auto table = [&] {
    auto t = h.kernel.nft_get_table(policy::kPolicyFamily, policy::kPolicyTableName);
    return t ? *t : std::nullopt;
  };
  model::Endpoint db{.node = "h1", .container_id = "c1", .ifname = "eth0", .pod_namespace = "x", .pod_name = "db",
                     .labels = {{"app", "db"}}, .host_veth = "weftc1",
                     .addresses = {{ip("198.19.0.5"), "lab", pfx("198.19.0.0/24")}}};
  const auto db_key = model::keys::endpoint("h1", "c1", "eth0");
  ASSERT_TRUE(h.store->put(db_key, dump_json(model::encode(db))));
  auto policies = policy::parse_policy_file(
      "kind: NetworkPolicy\napiVersion: networking.k8s.io/v1\nmetadata: {name: deny, namespace: x}\n"
      "spec: {podSelector: {matchLabels: {app: db}}, policyTypes: [Ingress]}\n");
  ASSERT_TRUE(policies) << policies.error().describe();
  ASSERT_TRUE(h.store->put(model::keys::network_policy("x", "deny"), dump_json(policy::encode(policies->front()))));
  ASSERT_TRUE(h.run_until([&] {
    auto t = table();
    return t && t->chains.size() == 2;  // forward and db's ingress chain
  })) << "no policy table for the selected endpoint";

  db.labels = {{"app", "web"}};  // `weft endpoint label`: no longer selected
  ASSERT_TRUE(h.store->put(db_key, dump_json(model::encode(db))));
  ASSERT_TRUE(h.run_until([&] {
    auto t = table();
    return t && t->chains.size() == 1;
  })) << "the endpoint's chain stayed after its label changed";

  ASSERT_TRUE(h.store->remove(model::keys::network_policy("x", "deny")));
  ASSERT_TRUE(h.run_until([&] { return !table(); })) << "the table stayed after the last policy went";
}

TEST(Agent, ALostLeaseIsAcquiredAgainWithTheSameBlock) {
  Harness h;
  h.add_pool("lab", "198.19.0.0/16");
  ASSERT_TRUE(h.start());
  const auto first_lease = h.agent->lease_id();
  const auto block = h.block_of("h1");
  ASSERT_TRUE(block);
  ASSERT_TRUE(h.store->revoke_lease(first_lease));
  ASSERT_TRUE(h.run_until([&] { return h.agent->metrics().lease_reacquired == 1; }))
      << "the agent did not notice its lease was gone";
  EXPECT_NE(h.agent->lease_id(), first_lease);
  ASSERT_TRUE(h.run_until([&] { return h.block_of("h1").has_value(); }));
  EXPECT_EQ(h.block_of("h1")->block, block->block) << "the node prefers the block it held";
  EXPECT_TRUE(h.store->get(model::keys::liveness("h1")).value().has_value());
}

TEST(Agent, ALeaseThatExpiredIsAcquiredAgainWithTheSameBlock) {
  Harness h;
  h.add_pool("lab", "198.19.0.0/16");
  ASSERT_TRUE(h.start());
  const auto first_lease = h.agent->lease_id();
  const auto block = h.block_of("h1");
  ASSERT_TRUE(block);
  h.clock.advance(std::chrono::seconds(h.config.lease_ttl_seconds + 1));  // e.g. a partition longer than the TTL
  ASSERT_GE(h.store->expire_due(), 1u);
  ASSERT_TRUE(h.run_until([&] { return h.agent->metrics().lease_reacquired == 1; }))
      << "the agent did not notice its lease expired";
  EXPECT_NE(h.agent->lease_id(), first_lease);
  ASSERT_TRUE(h.run_until([&] { return h.block_of("h1").has_value(); }));
  EXPECT_EQ(h.block_of("h1")->block, block->block);
}

void sweep(IpamService& ipam) {
  auto done = std::make_shared<std::promise<void>>();
  auto future = done->get_future();
  ipam.sweep_now([done] { done->set_value(); });
  if (future.wait_for(std::chrono::seconds(10)) != std::future_status::ready) ADD_FAILURE() << "the sweep did not finish";
}

TEST(Agent, TheIpamServiceAssignsFromTheNodesBlockAndSweepsVanishedWorkloads) {
  Harness h;
  h.add_pool("lab", "198.19.0.0/16");
  ASSERT_TRUE(h.start());
  const auto block = h.block_of("h1");
  ASSERT_TRUE(block);
  auto added = ask(*h.agent->ipam(), {.op = proto::Op::add, .container_id = "c1", .ifname = "eth0"});
  ASSERT_TRUE(added.ok()) << added.error->message;
  ASSERT_EQ(added.addresses.size(), 1u);
  EXPECT_TRUE(block->block.contains(added.addresses[0].address));
  auto kept = ask(*h.agent->ipam(), {.op = proto::Op::add, .container_id = "c2", .ifname = "eth0"});
  ASSERT_TRUE(kept.ok());
  // c2's veth exists; c1's never appeared.
  h.kernel.add_device({.name = proto::host_veth_name("c2", "eth0"), .kind = "veth"});

  sweep(*h.agent->ipam());  // first sight of c1 missing: the grace starts
  EXPECT_EQ(h.agent->ipam()->counters().swept.load(), 0u);
  h.clock.advance(std::chrono::seconds(301));
  sweep(*h.agent->ipam());
  EXPECT_EQ(h.agent->ipam()->counters().swept.load(), 1u) << "c1's veth is gone past the grace";
  EXPECT_FALSE(h.store->get(model::keys::endpoint("h1", "c1", "eth0")).value().has_value());
  EXPECT_TRUE(h.store->get(model::keys::endpoint("h1", "c2", "eth0")).value().has_value());
}

TEST(Agent, TheSweeperNeverReleasesOnAFailedProbe) {
  Harness h;
  h.add_pool("lab", "198.19.0.0/16");
  ASSERT_TRUE(h.start());
  ASSERT_TRUE(ask(*h.agent->ipam(), {.op = proto::Op::add, .container_id = "c1", .ifname = "eth0"}).ok());
  sweep(*h.agent->ipam());
  h.clock.advance(std::chrono::seconds(301));
  h.kernel.fail_call(1, EIO);  // the sweeper's find_link
  sweep(*h.agent->ipam());
  EXPECT_EQ(h.agent->ipam()->counters().swept.load(), 0u);
  EXPECT_TRUE(h.store->get(model::keys::endpoint("h1", "c1", "eth0")).value().has_value());
}

TEST(Agent, AFailedProbeDoesNotStartTheSweepersGrace) {
  Harness h;
  h.add_pool("lab", "198.19.0.0/16");
  ASSERT_TRUE(h.start());
  ASSERT_TRUE(ask(*h.agent->ipam(), {.op = proto::Op::add, .container_id = "c1", .ifname = "eth0"}).ok());
  h.kernel.fail_call(1, EIO);  // the first look for c1's veth cannot tell
  sweep(*h.agent->ipam());
  h.clock.advance(std::chrono::seconds(301));
  sweep(*h.agent->ipam());  // the first seen absence: the grace starts only now
  EXPECT_EQ(h.agent->ipam()->counters().swept.load(), 0u);
  h.clock.advance(std::chrono::seconds(301));
  sweep(*h.agent->ipam());
  EXPECT_EQ(h.agent->ipam()->counters().swept.load(), 1u);
}

}  // namespace
}  // namespace weft::agent
