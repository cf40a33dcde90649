// Issue 9: a store that hangs on writes must not freeze weftd's event loop. The agent runs behind
// a GatedStore; with the gate closed its writes (a block claim, a node record update, a lease
// re-acquire, a CNI ADD's allocation) are held, and the tests show that the loop meanwhile runs
// reconcile rounds and answers /healthz and /metrics over their socket — then, with the gate
// open, that each held write's result is applied. No sleeps: every wait is for an event, bounded.
#include <gtest/gtest.h>

#include <future>
#include <string>

#include "agent_harness.h"
#include "ipam_ask.h"
#include "ipam/ipam_protocol.h"
#include "model/keys.h"
#include "unix_client.h"

namespace weft::agent {
namespace {

namespace proto = ipam::protocol;

template <class T>
bool ready(const std::future<T>& f) {
  return f.wait_for(std::chrono::seconds(0)) == std::future_status::ready;
}

// One GET over the agent's metrics socket, answered (or not) by the loop the test drives.
std::string http_get(Harness& h, const std::string& path) {
  const std::string socket = h.config.metrics_address.substr(std::string("unix:").size());
  auto reply = std::async(std::launch::async, exchange, socket, "GET " + path + " HTTP/1.0\r\n\r\n");
  if (!h.run_until([&] { return ready(reply); })) ADD_FAILURE() << "the loop did not answer GET " << path;
  return reply.get();  // the client's own timeouts bound this when the loop never answered
}

// The number on the metric's line of a /metrics answer (-1 when it is missing).
double metric(const std::string& text, const std::string& name) {
  const auto at = text.find("\n" + name + " ");
  return at == std::string::npos ? -1 : std::stod(text.substr(at + name.size() + 2));
}

struct HangHarness : Harness {
  HangHarness() {
    config.metrics_address = "unix:" + (dir / "metrics.sock").string();
    gate();  // the agent writes through it
  }
  // Also waits until the IPAM worker has read the node's blocks (its first job, a transaction):
  // a test that closes the gate afterwards counts only the writes it means to hold.
  Result<void> start() {
    auto r = Harness::start();
    if (r && !ask(*agent->ipam(), {.op = proto::Op::status}).ok()) ADD_FAILURE() << "the IPAM worker did not answer";
    return r;
  }
};

TEST(AgentStoreHang, TheLoopServesWhileABlockClaimAndANodeUpdateHangAndAppliesThemAfter) {
  HangHarness h;
  h.add_pool("lab", "198.19.0.0/17");
  ASSERT_TRUE(h.start());
  ASSERT_TRUE(h.settle());
  const auto reconciles = h.agent->metrics().reconciles;

  h.gated->close();
  // Another node's `weft pool add`: the watch brings it, the agent claims a block in it (its
  // transaction hangs) and, VXLAN lowering the workload MTU, queues a node record update.
  h.add_pool("tunnelled", "198.19.128.0/17", model::Encapsulation::vxlan);
  ASSERT_TRUE(h.run_until([&] { return h.gated->waiting() == 1; })) << "no block claim reached the store";
  ASSERT_TRUE(h.run_until([&] { return h.agent->metrics().reconciles > reconciles; }))
      << "no reconcile round while the claim hangs";
  ASSERT_TRUE(h.run_until([&] { return h.agent->store_worker().pending() >= 2; })) << "no node record update queued";

  const std::string metrics = http_get(h, "/metrics");
  EXPECT_NE(metrics.find("HTTP/1.0 200"), std::string::npos) << metrics;
  EXPECT_GE(metric(metrics, "weft_store_jobs_pending"), 2) << "the claim and the node record wait for the store";
  EXPECT_EQ(metric(metrics, "weft_block_claims_total"), 1);
  EXPECT_NE(http_get(h, "/healthz").find("HTTP/1.0 200"), std::string::npos);
  EXPECT_FALSE(h.block_of("h1", "tunnelled"));

  h.gated->open();
  ASSERT_TRUE(h.settle());
  EXPECT_EQ(h.agent->metrics().block_claims, 2u);
  const auto block = h.block_of("h1", "tunnelled");
  ASSERT_TRUE(block) << "the held claim did not reach the store";
  const std::string dest = block->block.to_string();
  ASSERT_TRUE(h.run_until([&] { return h.has_route(dest.c_str()); })) << "no route for the new block " << dest;
  auto node = h.store->get(model::keys::node("h1"));
  ASSERT_TRUE(node && *node);
  auto record = model::decode_node((*node)->value);
  ASSERT_TRUE(record);
  EXPECT_EQ(record->mtu, 1450) << "the node record update held behind the claim was written after it";
}

TEST(AgentStoreHang, TheLoopServesWhileALeaseReacquireHangsAndClaimsAgainAfter) {
  HangHarness h;
  h.add_pool("lab", "198.19.0.0/16");
  ASSERT_TRUE(h.start());
  ASSERT_TRUE(h.settle());
  const auto first_lease = h.agent->lease_id();
  const auto block = h.block_of("h1");
  ASSERT_TRUE(block);

  h.gated->close();
  ASSERT_TRUE(h.store->revoke_lease(first_lease));  // the liveness key goes with it; the watch says so
  // The agent acquires a new lease; writing its liveness record hangs.
  ASSERT_TRUE(h.run_until([&] { return h.gated->waiting() == 1; })) << "no lease re-acquire reached the store";
  const std::string health = http_get(h, "/healthz");
  EXPECT_NE(health.find("HTTP/1.0 503"), std::string::npos) << health;
  EXPECT_NE(health.find("node lease lost"), std::string::npos) << health;
  const auto reconciles = h.agent->metrics().reconciles;
  asio::post(h.agent->io(), [&] { h.agent->reconcile(); });
  ASSERT_TRUE(h.run_until([&] { return h.agent->metrics().reconciles > reconciles; }));
  EXPECT_EQ(h.agent->metrics().lease_reacquired, 0u);
  EXPECT_EQ(h.agent->lease_id(), first_lease);

  h.gated->open();
  ASSERT_TRUE(h.settle());
  EXPECT_EQ(h.agent->metrics().lease_reacquired, 1u) << "the reconcile while it hung did not acquire twice";
  EXPECT_NE(h.agent->lease_id(), first_lease);
  ASSERT_TRUE(h.block_of("h1"));
  EXPECT_EQ(h.block_of("h1")->block, block->block);
  EXPECT_NE(http_get(h, "/healthz").find("HTTP/1.0 200"), std::string::npos);
}

// The IPAM socket keeps its contract — an ADD is answered once its allocation is committed —
// without holding the loop meanwhile (the IPAM service runs requests on its own worker).
TEST(AgentStoreHang, ACniAddIsAnsweredOnceCommittedWhileTheLoopServes) {
  HangHarness h;
  h.add_pool("lab", "198.19.0.0/16");
  ASSERT_TRUE(h.start());
  ASSERT_TRUE(h.settle());
  const auto block = h.block_of("h1");
  ASSERT_TRUE(block);

  h.gated->close();
  const std::string request = proto::encode(proto::Request{.op = proto::Op::add, .container_id = "c1", .ifname = "eth0"});
  auto answer = std::async(std::launch::async, exchange, h.config.socket_path, request);
  ASSERT_TRUE(h.run_until([&] { return h.gated->waiting() == 1; })) << "the ADD's allocation did not reach the store";
  EXPECT_NE(http_get(h, "/healthz").find("HTTP/1.0 200"), std::string::npos);
  const auto reconciles = h.agent->metrics().reconciles;
  asio::post(h.agent->io(), [&] { h.agent->reconcile(); });
  ASSERT_TRUE(h.run_until([&] { return h.agent->metrics().reconciles > reconciles; }));
  EXPECT_FALSE(ready(answer)) << "answered before the allocation was committed";

  h.gated->open();
  ASSERT_TRUE(h.run_until([&] { return ready(answer); })) << "no answer once the store took the write";
  auto response = proto::decode_response(answer.get());
  ASSERT_TRUE(response) << response.error().describe();
  ASSERT_TRUE(response->ok()) << response->error->describe();
  ASSERT_EQ(response->addresses.size(), 1u);
  EXPECT_TRUE(block->block.contains(response->addresses[0].address));
  EXPECT_TRUE(h.store->get(model::keys::endpoint("h1", "c1", "eth0")).value().has_value());
}

}  // namespace
}  // namespace weft::agent
