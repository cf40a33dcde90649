// weftd's graceful restart of BGP (RFC 4724), on a fake clock: routes kept from before a restart
// stay until every peer is back and has sent End-of-RIB, or until the restart time is over. The
// peer is a real Speaker on loopback (127.0.0.2): no root, nothing leaves the machine.
#include "agent/bgp_runner.h"

#include <gtest/gtest.h>

#include "gated_store.h"
#include "model/keys.h"
#include "store/store.h"
#include "parse.h"

namespace weft::agent {
namespace {

using weft::testing::ip;
using weft::testing::pfx;

uint32_t v4(const char* text) {
  const IpAddress address = ip(text);
  const auto& b = address.bytes();
  return (uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) | (uint32_t{b[2]} << 8) | b[3];
}

struct Fixture {
  asio::io_context io;
  std::unique_ptr<store::Store> store = *store::open_store({.url = "memory:"});
  StoreWorker worker{io, *store};  // the status writes
  FakeClock clock;
  int routes_changed = 0;
  std::unique_ptr<BgpRunner> runner;

  Fixture() {
    runner = std::make_unique<BgpRunner>(io, worker,
                                         BgpRunner::Options{.node = "h1",
                                                            .listen_port = 0,
                                                            .routes_changed = [this] { ++routes_changed; },
                                                            .lease = [] { return int64_t{0}; },
                                                            .clock = &clock});
    runner->keep_routes_from_before({{pfx("198.19.2.0/24"), {ip("198.18.1.12")}}});
  }
  bgp::BgpPlan plan(std::vector<bgp::PlannedPeer> peers = {}) const {
    return bgp::BgpPlan{.enabled = true,
                        .local_as = 64512,
                        .router_id = v4("127.0.0.1"),
                        .allowed = {pfx("198.19.0.0/16")},
                        .announce = {pfx("198.19.1.0/24")},
                        .peers = std::move(peers)};
  }
  template <class Pred>
  bool run_until(Pred done) {
    for (int i = 0; i < 2000 && !done(); ++i) io.run_one_for(std::chrono::milliseconds(5));
    return done();
  }
};

TEST(BgpRunner, KeptRoutesStayUntilTheRestartTimeIsOver) {
  Fixture f;
  f.runner->apply(f.plan());
  EXPECT_EQ(f.runner->routes_kept(), 1u);
  EXPECT_EQ(f.runner->routes().count(pfx("198.19.2.0/24")), 1u) << "the reconciler leaves the kept route in place";
  f.clock.advance(std::chrono::seconds(119));
  f.runner->apply(f.plan());
  EXPECT_EQ(f.runner->routes_kept(), 1u) << "119 s of 120: still restarting";
  f.clock.advance(std::chrono::seconds(2));
  f.runner->apply(f.plan());
  EXPECT_EQ(f.runner->routes_kept(), 0u) << "restart time over";
  EXPECT_TRUE(f.runner->routes().empty());
  EXPECT_EQ(f.routes_changed, 1) << "the reconcile that removes the route was asked for";
}

TEST(BgpRunner, KeptRoutesGoOnceEveryPeerSentEndOfRib) {
  Fixture f;
  auto peer = bgp::Speaker::create(f.io, bgp::SpeakerConfig{.local_as = 64512,
                                                            .router_id = v4("127.0.0.2"),
                                                            .listen_address = ip("127.0.0.2"),
                                                            .listen_port = 0,
                                                            .allowed = {pfx("198.19.0.0/16")}});
  ASSERT_TRUE(peer) << peer.error().describe();
  ASSERT_TRUE((*peer)->start());
  ASSERT_TRUE((*peer)->add_peer(bgp::PeerConfig{.address = ip("127.0.0.1"), .peer_as = 64512, .passive = true}));
  bgp::PlannedPeer planned{"h2", "mesh",
                           bgp::PeerConfig{.address = ip("127.0.0.2"),
                                           .peer_as = 64512,
                                           .port = (*peer)->listen_port(),
                                           .local_address = ip("127.0.0.1")}};
  f.runner->apply(f.plan({planned}));
  EXPECT_EQ(f.runner->routes_kept(), 1u) << "kept while the peer is not back";
  ASSERT_TRUE(f.run_until([&] { return f.runner->routes_kept() == 0; }))
      << "the peer's End-of-RIB did not end the restart; sessions: " << f.runner->sessions_established();
  EXPECT_EQ(f.runner->sessions_established(), 1u);
  EXPECT_GE(f.routes_changed, 1) << "a reconcile was asked for to drop the kept route";
  // The peer learns this node's block once the restart is over (selection deferral ended).
  ASSERT_TRUE(f.run_until([&] { return !(*peer)->routes(pfx("198.19.1.0/24")).empty(); }));
}

// Issue 9: the status write goes through the store worker, so a hung store holds the write, not
// the loop (which runs the sessions' keepalives); the write lands once the store answers. (The
// publish is batched on a 500 ms timer: the test waits for it as for any event.)
TEST(BgpRunner, TheStatusIsWrittenOffTheLoop) {
  asio::io_context io;
  std::unique_ptr<store::Store> memory = *store::open_store({.url = "memory:"});
  GatedStore gate(*memory);
  StoreWorker worker(io, gate);
  struct Opener {  // before the worker joins: a write held at the gate would never end
    GatedStore& gate;
    ~Opener() { gate.open(); }
  } opener{gate};
  FakeClock clock;
  BgpRunner runner(io, worker,
                   BgpRunner::Options{.node = "h1", .listen_port = 0, .lease = [] { return int64_t{0}; }, .clock = &clock});
  auto run_until = [&](auto done) {
    for (int i = 0; i < 2000 && !done(); ++i) io.run_one_for(std::chrono::milliseconds(5));
    return done();
  };
  gate.close();
  runner.apply(bgp::BgpPlan{.enabled = true, .local_as = 64512, .router_id = v4("127.0.0.1"),
                            .allowed = {pfx("198.19.0.0/16")}, .announce = {pfx("198.19.1.0/24")}});
  ASSERT_TRUE(run_until([&] { return gate.waiting() == 1; })) << "no status write reached the store";
  bool served = false;
  asio::post(io, [&] { served = true; });
  ASSERT_TRUE(run_until([&] { return served; })) << "the loop is held by the status write";
  EXPECT_FALSE(memory->get(model::keys::bgp_status("h1")).value().has_value());

  gate.open();
  ASSERT_TRUE(worker.drain());
  io.poll();
  auto written = memory->get(model::keys::bgp_status("h1"));
  ASSERT_TRUE(written && *written);
  auto status = model::decode_bgp_status((*written)->value);
  ASSERT_TRUE(status) << status.error().describe();
  EXPECT_EQ(status->as_number, 64512u);
}

}  // namespace
}  // namespace weft::agent
