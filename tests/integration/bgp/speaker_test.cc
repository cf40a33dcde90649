// The Speaker over real TCP on loopback (127.0.0.x, root namespace, no state changed): two weft
// speakers (collision when both connect, routes both ways, withdrawal, TCP MD5) and a scripted
// raw peer for what real peers will not send: malformed UPDATEs (RFC 7606) and a restart with
// graceful restart (RFC 4724 §4.2).
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <mutex>

#include "bgp/speaker.h"
#include "harness.h"
#include "parse.h"

namespace weft::bgp::testing {
namespace {

using namespace std::chrono_literals;

using ::weft::testing::ip;  // tests/support/parse.h
using ::weft::testing::pfx;

std::unique_ptr<Speaker> make_speaker(IoThread& t, uint32_t as, const char* id, const char* listen) {
  return t.call([&] {
    auto s = Speaker::create(t.io(), SpeakerConfig{.local_as = as,
                                                   .router_id = ip(id).v4_host_order(),
                                                   .listen_address = ip(listen),
                                                   .listen_port = 0,
                                                   .allowed = {pfx("198.19.0.0/16")}});
    EXPECT_TRUE(s.has_value());
    return std::move(*s);
  });
}

State state_of(IoThread& t, Speaker& s, const char* peer) {
  return t.call([&] {
    auto st = s.peer(ip(peer));
    return st ? st->state : State::idle;
  });
}

bool has_route(IoThread& t, Speaker& s, const char* prefix) {
  return t.call([&] { return !s.routes(pfx(prefix)).empty(); });
}

struct TwoSpeakers : ::testing::Test {
  IoThread t;
  std::unique_ptr<Speaker> a = make_speaker(t, 65001, "198.18.0.1", "127.0.0.1");
  std::unique_ptr<Speaker> b = make_speaker(t, 65002, "198.18.0.2", "127.0.0.2");
  ~TwoSpeakers() override {
    t.call([&] {
      a.reset();
      b.reset();
    });
  }
  void connect(const std::string& md5_a, const std::string& md5_b) {
    t.call([&] {
      ASSERT_TRUE(a->start());
      ASSERT_TRUE(b->start());
      // Both sides connect: RFC 4271 §6.8 collision detection must leave one session.
      ASSERT_TRUE(a->add_peer(PeerConfig{.address = ip("127.0.0.2"), .peer_as = 65002, .port = b->listen_port(),
                                         .md5_password = md5_a, .hold_time = 9, .connect_retry_time = 1s,
                                         .local_address = ip("127.0.0.1")}));
      ASSERT_TRUE(b->add_peer(PeerConfig{.address = ip("127.0.0.1"), .peer_as = 65001, .port = a->listen_port(),
                                         .md5_password = md5_b, .hold_time = 9, .connect_retry_time = 1s,
                                         .local_address = ip("127.0.0.2")}));
    });
  }
};

TEST_F(TwoSpeakers, EstablishAnnounceWithdraw) {
  std::vector<std::pair<Prefix, std::vector<IpAddress>>> changes;
  std::mutex mu;
  t.call([&] {
    b->on_best_change([&](const Prefix& p, const std::vector<IpAddress>& nh) {
      std::lock_guard lock(mu);
      changes.emplace_back(p, nh);
    });
    a->announce(pfx("198.19.1.0/26"));
  });
  connect("", "");
  ASSERT_TRUE(eventually([&] { return state_of(t, *a, "127.0.0.2") == State::established; }));
  ASSERT_TRUE(eventually([&] { return state_of(t, *b, "127.0.0.1") == State::established; }));
  ASSERT_TRUE(eventually([&] { return has_route(t, *b, "198.19.1.0/26"); }));
  auto routes = t.call([&] { return b->routes(pfx("198.19.1.0/26")); });
  ASSERT_EQ(routes.size(), 1u);
  EXPECT_EQ(routes[0].next_hop, ip("127.0.0.1"));
  EXPECT_EQ(routes[0].as_path, (AsPath{AsSegment{SegmentType::as_sequence, {65001}}}));
  {
    std::lock_guard lock(mu);
    ASSERT_FALSE(changes.empty());
    EXPECT_EQ(changes.back().first, pfx("198.19.1.0/26"));
    EXPECT_EQ(changes.back().second, std::vector{ip("127.0.0.1")});
  }
  // The other way, then withdrawal.
  t.call([&] { b->announce(pfx("198.19.2.0/26")); });
  ASSERT_TRUE(eventually([&] { return has_route(t, *a, "198.19.2.0/26"); }));
  t.call([&] { a->withdraw(pfx("198.19.1.0/26")); });
  ASSERT_TRUE(eventually([&] { return !has_route(t, *b, "198.19.1.0/26"); }));
  {
    std::lock_guard lock(mu);
    EXPECT_TRUE(changes.back().second.empty());
  }
  // Stays up: exactly one session on each side after the collision.
  std::this_thread::sleep_for(1500ms);
  EXPECT_EQ(state_of(t, *a, "127.0.0.2"), State::established);
  EXPECT_EQ(state_of(t, *b, "127.0.0.1"), State::established);
}

// A wider import filter on a running session: the route refused before is asked for again
// (ROUTE-REFRESH) and arrives; a narrower one drops it at once. The session never ends.
TEST_F(TwoSpeakers, ImportFilterChangesWithoutASessionReset) {
  t.call([&] { a->announce(pfx("10.5.0.0/24")); });
  connect("", "");
  ASSERT_TRUE(eventually([&] { return state_of(t, *b, "127.0.0.1") == State::established; }));
  std::this_thread::sleep_for(300ms);
  EXPECT_FALSE(has_route(t, *b, "10.5.0.0/24")) << "outside b's pools";
  t.call([&] { b->set_allowed({pfx("198.19.0.0/16"), pfx("10.5.0.0/16")}); });
  EXPECT_TRUE(eventually([&] { return has_route(t, *b, "10.5.0.0/24"); })) << "sent again on route refresh";
  t.call([&] { b->set_allowed({pfx("198.19.0.0/16")}); });
  EXPECT_FALSE(has_route(t, *b, "10.5.0.0/24"));
  t.call([&] { ASSERT_TRUE(b->set_import_allow(ip("127.0.0.1"), {pfx("10.5.0.0/24")})); });
  EXPECT_TRUE(eventually([&] { return has_route(t, *b, "10.5.0.0/24"); })) << "a peer's own accept list";
  EXPECT_EQ(state_of(t, *b, "127.0.0.1"), State::established);
  EXPECT_EQ(t.call([&] { return b->peer(ip("127.0.0.1"))->peer_id; }), ip("198.18.0.1").v4_host_order());
}

// A restarting speaker (RFC 4724 §4.1) sends nothing, not even End-of-RIB, until its peer's
// End-of-RIB is in: the peer must not sweep the routes it kept for it before it knows them again.
TEST(SelectionDeferral, ARestartingSpeakerWaitsForItsPeersEndOfRib) {
  IoThread t;
  auto restarted = t.call([&] {
    auto s = Speaker::create(t.io(), SpeakerConfig{.local_as = 65001, .router_id = ip("198.18.0.1").v4_host_order(),
                                                   .listen_address = ip("127.0.0.1"), .listen_port = 0,
                                                   .allowed = {pfx("198.19.0.0/16")}, .restarting = true,
                                                   .selection_deferral = 30s});
    return std::move(*s);
  });
  RawPeer raw;
  const uint16_t port = t.call([&] {
    EXPECT_TRUE(restarted->start());
    EXPECT_TRUE(restarted->add_peer(PeerConfig{.address = ip("127.0.0.3"), .peer_as = 65003, .passive = true}));
    restarted->announce(pfx("198.19.1.0/26"));
    return restarted->listen_port();
  });
  ASSERT_TRUE(raw.connect("127.0.0.1", port, "127.0.0.3"));
  ASSERT_TRUE(raw.send(Message(raw_open(65003, "198.18.0.3", 30, 120))));
  auto open = raw.expect<Open>();
  ASSERT_TRUE(open);
  ASSERT_TRUE(raw.send(Message(Keepalive{})));
  ASSERT_TRUE(raw.expect<Keepalive>());
  EXPECT_FALSE(raw.expect<Update>(500ms)) << "nothing before the peer's End-of-RIB";
  ASSERT_TRUE(raw.send(Message(end_of_rib_marker(kIpv4Unicast))));
  auto update = raw.expect<Update>(5s);
  ASSERT_TRUE(update) << "the table once the peer resynced";
  EXPECT_EQ(update->nlri, std::vector{pfx("198.19.1.0/26")});
  raw.close();
  t.call([&] { restarted.reset(); });
}

TEST_F(TwoSpeakers, TcpMd5) {
  t.call([&] { a->announce(pfx("198.19.1.0/26")); });
  connect("s3cret", "s3cret");
  ASSERT_TRUE(eventually([&] { return state_of(t, *a, "127.0.0.2") == State::established; }));
  ASSERT_TRUE(eventually([&] { return has_route(t, *b, "198.19.1.0/26"); }));
}

TEST_F(TwoSpeakers, TcpMd5MismatchNeverEstablishes) {
  connect("s3cret", "other");
  std::this_thread::sleep_for(3s);
  EXPECT_NE(state_of(t, *a, "127.0.0.2"), State::established);
  EXPECT_NE(state_of(t, *b, "127.0.0.1"), State::established);
}

// Route reflection (RFC 4456) as `weft lab --mode bgp-rr` wires it: one reflector, two clients
// that peer only with it, all in one AS.
TEST(RouteReflector, ClientsLearnEachOthersRoutesThroughTheReflector) {
  IoThread t;
  auto rr = make_speaker(t, 65000, "198.18.0.1", "127.0.0.1");
  auto c1 = make_speaker(t, 65000, "198.18.0.2", "127.0.0.2");
  auto c2 = make_speaker(t, 65000, "198.18.0.3", "127.0.0.3");
  t.call([&] {
    ASSERT_TRUE(rr->start() && c1->start() && c2->start());
    for (const char* client : {"127.0.0.2", "127.0.0.3"}) {
      ASSERT_TRUE(rr->add_peer(PeerConfig{.address = ip(client), .peer_as = 65000, .passive = true, .rr_client = true}));
    }
    for (Speaker* c : {c1.get(), c2.get()}) {
      ASSERT_TRUE(c->add_peer(PeerConfig{.address = ip("127.0.0.1"), .peer_as = 65000, .port = rr->listen_port(),
                                         .connect_retry_time = 1s, .local_address = c == c1.get() ? ip("127.0.0.2") : ip("127.0.0.3")}));
    }
    c1->announce(pfx("198.19.1.0/26"));
    c2->announce(pfx("198.19.2.0/26"));
  });
  ASSERT_TRUE(eventually([&] { return has_route(t, *c2, "198.19.1.0/26") && has_route(t, *c1, "198.19.2.0/26"); }));
  auto r = t.call([&] { return c2->routes(pfx("198.19.1.0/26")); });
  EXPECT_EQ(r.at(0).next_hop, ip("127.0.0.2"));  // reflection keeps the originator's next hop
  EXPECT_EQ(r.at(0).peer, ip("127.0.0.1"));
  t.call([&] { c1->withdraw(pfx("198.19.1.0/26")); });
  ASSERT_TRUE(eventually([&] { return !has_route(t, *c2, "198.19.1.0/26"); }));
  t.call([&] {
    rr.reset();
    c1.reset();
    c2.reset();
  });
}

// A reflector's plain iBGP peer whose session came up before the reflector had any client still
// gets the clients' routes once they are added (weftd adds peers as nodes appear).
TEST(RouteReflector, APeerEstablishedBeforeTheFirstClientGetsReflectedRoutes) {
  IoThread t;
  auto rr = make_speaker(t, 65000, "198.18.0.1", "127.0.0.1");
  auto other = make_speaker(t, 65000, "198.18.0.4", "127.0.0.4");
  auto client = make_speaker(t, 65000, "198.18.0.2", "127.0.0.2");
  t.call([&] {
    ASSERT_TRUE(rr->start() && other->start() && client->start());
    ASSERT_TRUE(rr->add_peer(PeerConfig{.address = ip("127.0.0.4"), .peer_as = 65000, .passive = true}));
    ASSERT_TRUE(other->add_peer(PeerConfig{.address = ip("127.0.0.1"), .peer_as = 65000, .port = rr->listen_port(),
                                           .connect_retry_time = 1s, .local_address = ip("127.0.0.4")}));
  });
  ASSERT_TRUE(eventually([&] { return state_of(t, *rr, "127.0.0.4") == State::established; }));
  t.call([&] {
    ASSERT_TRUE(rr->add_peer(PeerConfig{.address = ip("127.0.0.2"), .peer_as = 65000, .passive = true, .rr_client = true}));
    ASSERT_TRUE(client->add_peer(PeerConfig{.address = ip("127.0.0.1"), .peer_as = 65000, .port = rr->listen_port(),
                                            .connect_retry_time = 1s, .local_address = ip("127.0.0.2")}));
    client->announce(pfx("198.19.1.0/26"));
  });
  EXPECT_TRUE(eventually([&] { return has_route(t, *other, "198.19.1.0/26"); }));
  t.call([&] {
    rr.reset();
    other.reset();
    client.reset();
  });
}

// A raw peer at 127.0.0.3 (AS 65003) that the speaker (127.0.0.1, AS 65001) waits for.
struct RawPeerTest : ::testing::Test {
  IoThread t;
  std::unique_ptr<Speaker> s = make_speaker(t, 65001, "198.18.0.1", "127.0.0.1");
  RawPeer raw;
  uint16_t port = 0;
  RawPeerTest() {
    port = t.call([&] {
      EXPECT_TRUE(s->start());
      EXPECT_TRUE(s->add_peer(PeerConfig{.address = ip("127.0.0.3"), .peer_as = 65003, .passive = true}));
      return s->listen_port();
    });
  }
  ~RawPeerTest() override {
    raw.close();
    t.call([&] { s.reset(); });
  }
  void establish(std::optional<uint16_t> gr_time = std::nullopt, uint16_t hold = 30) {
    ASSERT_TRUE(raw.connect("127.0.0.1", port, "127.0.0.3"));
    ASSERT_TRUE(raw.send(Message(raw_open(65003, "198.18.0.3", hold, gr_time))));
    ASSERT_TRUE(raw.expect<Open>());
    ASSERT_TRUE(raw.send(Message(Keepalive{})));
    ASSERT_TRUE(raw.expect<Keepalive>());
    ASSERT_TRUE(eventually([&] { return state_of(t, *s, "127.0.0.3") == State::established; }));
  }
  static Update route(std::vector<Prefix> nlri) {
    Update u;
    u.attributes.origin = Origin::igp;
    u.attributes.as_path = AsPath{AsSegment{SegmentType::as_sequence, {65003}}};
    u.attributes.next_hop = IpAddress::v4(0x7f000003);
    u.nlri = std::move(nlri);
    return u;
  }
  size_t malformed() {
    return t.call([&] { return s->peer(ip("127.0.0.3"))->malformed; });
  }
};

TEST_F(RawPeerTest, BrokenAttributeIsTreatAsWithdrawAndTheSessionStays) {
  establish();
  ASSERT_TRUE(raw.send(Message(route({pfx("198.19.5.0/24"), pfx("198.19.6.0/24")}))));
  ASSERT_TRUE(eventually([&] { return has_route(t, *s, "198.19.5.0/24") && has_route(t, *s, "198.19.6.0/24"); }));
  // ORIGIN 7 is undefined: RFC 7606 §7.1, treat-as-withdraw for the UPDATE's prefix.
  Bytes bad = *encode(Message(route({pfx("198.19.5.0/24")})));
  const Bytes origin_igp = {0x40, 0x01, 0x01, 0x00};
  auto at = std::search(bad.begin(), bad.end(), origin_igp.begin(), origin_igp.end());
  ASSERT_NE(at, bad.end());
  at[3] = 0x07;
  ASSERT_TRUE(raw.send(bad));
  ASSERT_TRUE(eventually([&] { return !has_route(t, *s, "198.19.5.0/24"); }));
  EXPECT_TRUE(has_route(t, *s, "198.19.6.0/24"));
  EXPECT_EQ(malformed(), 1u);
  // The session stays: no NOTIFICATION; a KEEPALIVE still gets the hold timer going.
  ASSERT_TRUE(raw.send(Message(Keepalive{})));
  EXPECT_FALSE(raw.expect<Notification>(1500ms));
  EXPECT_EQ(state_of(t, *s, "127.0.0.3"), State::established);
}

TEST_F(RawPeerTest, UnlocatableErrorResetsTheSessionWithANotification) {
  establish();
  ASSERT_TRUE(raw.send(Message(route({pfx("198.19.5.0/24")}))));
  ASSERT_TRUE(eventually([&] { return has_route(t, *s, "198.19.5.0/24"); }));
  // NLRI length 33 for IPv4: RFC 7606 §5.3, the routes cannot be located: session reset with
  // UPDATE Message Error / Invalid Network Field (RFC 4271 §6.3).
  Bytes bad = *encode(Message(route({pfx("198.19.7.0/24")})));
  bad[bad.size() - 4] = 33;
  ASSERT_TRUE(raw.send(bad));
  auto n = raw.expect<Notification>();
  ASSERT_TRUE(n);
  EXPECT_EQ(n->code, code::kUpdate);
  EXPECT_EQ(n->subcode, update_subcode::kInvalidNetworkField);
  EXPECT_TRUE(raw.closed());
  ASSERT_TRUE(eventually([&] { return !has_route(t, *s, "198.19.5.0/24"); }));  // no GR: dropped
  auto last = t.call([&] { return s->peer(ip("127.0.0.3"))->last_notification; });
  ASSERT_TRUE(last);
  EXPECT_EQ(last->direction, NotificationRecord::Direction::sent);
  EXPECT_EQ(notification_text(last->notification), "UPDATE Message Error / Invalid Network Field");
}

// `weft bgp status`: a prefix outside the pools is received, not accepted; a Cease from the peer
// (RFC 4486 Administrative Shutdown with an RFC 9003 message) is kept as the last NOTIFICATION,
// in words, and reported through on_status_change.
TEST_F(RawPeerTest, ReceivedAcceptedAndACeaseFromThePeer) {
  std::atomic<bool> reported{false};
  t.call([&] {
    s->on_status_change([&] {
      auto st = s->peer(ip("127.0.0.3"));
      if (st && st->last_notification) reported = true;
    });
  });
  establish();
  ASSERT_TRUE(raw.send(Message(route({pfx("198.19.5.0/24"), pfx("10.9.0.0/16")}))));
  ASSERT_TRUE(eventually([&] { return has_route(t, *s, "198.19.5.0/24"); }));
  auto status = t.call([&] { return *s->peer(ip("127.0.0.3")); });
  EXPECT_EQ(status.received, 2u);
  EXPECT_EQ(status.accepted, 1u);
  EXPECT_FALSE(status.last_notification);

  const std::string message = "rack maintenance";
  std::vector<uint8_t> data{static_cast<uint8_t>(message.size())};
  for (char c : message) data.push_back(static_cast<uint8_t>(c));
  ASSERT_TRUE(raw.send(Message(Notification{code::kCease, cease_subcode::kAdministrativeShutdown, data})));
  // The speaker closes after a NOTIFICATION. Reading until then keeps our close from being a
  // reset (unread data in our buffer), which could drop the NOTIFICATION before it is read.
  EXPECT_TRUE(raw.closed()) << "the speaker closes the connection after a NOTIFICATION";
  raw.close();
  ASSERT_TRUE(eventually([&] { return state_of(t, *s, "127.0.0.3") != State::established; }));
  status = t.call([&] { return *s->peer(ip("127.0.0.3")); });
  ASSERT_TRUE(status.last_notification);
  EXPECT_EQ(status.last_notification->direction, NotificationRecord::Direction::received);
  EXPECT_EQ(status.last_notification->notification.code, code::kCease);
  EXPECT_EQ(status.last_notification->notification.subcode, cease_subcode::kAdministrativeShutdown);
  EXPECT_EQ(notification_text(status.last_notification->notification),
            "Cease / Administrative Shutdown: \"rack maintenance\"");
  EXPECT_EQ(status.received, 0u);  // the session is over
  EXPECT_EQ(status.accepted, 0u);
  EXPECT_TRUE(eventually([&] { return reported.load(); }));
  t.call([&] { s->on_status_change({}); });
}

TEST_F(RawPeerTest, GracefulRestartKeepsRoutesUntilEndOfRib) {
  establish(/*gr_time=*/60);
  ASSERT_TRUE(raw.send(Message(route({pfx("198.19.5.0/24"), pfx("198.19.6.0/24")}))));
  ASSERT_TRUE(eventually([&] { return has_route(t, *s, "198.19.6.0/24"); }));
  raw.close();  // the peer "restarts": TCP goes away without a NOTIFICATION
  ASSERT_TRUE(eventually([&] { return state_of(t, *s, "127.0.0.3") != State::established; }));
  std::this_thread::sleep_for(500ms);
  auto kept = t.call([&] { return s->routes(pfx("198.19.6.0/24")); });
  ASSERT_EQ(kept.size(), 1u);
  EXPECT_TRUE(kept[0].stale);
  // Back, with the F bit: the stale routes stay until End-of-RIB; the re-announced one is fresh.
  establish(60);
  std::this_thread::sleep_for(300ms);
  EXPECT_TRUE(has_route(t, *s, "198.19.6.0/24"));
  ASSERT_TRUE(raw.send(Message(route({pfx("198.19.5.0/24")}))));
  ASSERT_TRUE(eventually([&] { return !t.call([&] { return s->routes(pfx("198.19.5.0/24")); }).at(0).stale; }));
  ASSERT_TRUE(raw.send(Message(end_of_rib_marker(kIpv4Unicast))));
  ASSERT_TRUE(eventually([&] { return !has_route(t, *s, "198.19.6.0/24"); }));
  EXPECT_TRUE(has_route(t, *s, "198.19.5.0/24"));
}

TEST_F(RawPeerTest, GracefulRestartWithoutForwardingStateSweepsAtOnce) {
  establish(60);
  ASSERT_TRUE(raw.send(Message(route({pfx("198.19.6.0/24")}))));
  ASSERT_TRUE(eventually([&] { return has_route(t, *s, "198.19.6.0/24"); }));
  raw.close();
  ASSERT_TRUE(eventually([&] { return state_of(t, *s, "127.0.0.3") != State::established; }));
  std::this_thread::sleep_for(300ms);
  EXPECT_TRUE(has_route(t, *s, "198.19.6.0/24"));
  ASSERT_TRUE(raw.connect("127.0.0.1", port, "127.0.0.3"));
  ASSERT_TRUE(raw.send(Message(raw_open(65003, "198.18.0.3", 30, 60, /*forwarding=*/false))));
  ASSERT_TRUE(raw.expect<Open>());
  ASSERT_TRUE(raw.send(Message(Keepalive{})));
  ASSERT_TRUE(eventually([&] { return !has_route(t, *s, "198.19.6.0/24"); }));
}

TEST_F(RawPeerTest, KeepalivesThenHoldTimerExpiry) {
  establish(std::nullopt, /*hold=*/3);
  // Hold time 3 s: a KEEPALIVE every second (RFC 4271 §4.4), then, with none from us, the
  // HoldTimer expires: NOTIFICATION Hold Timer Expired (§6.5) and the connection closes.
  const auto start = std::chrono::steady_clock::now();
  int keepalives = 0;
  std::optional<Notification> notification;
  while (std::chrono::steady_clock::now() - start < 6s) {
    auto m = raw.receive(1500ms);
    if (!m) break;
    if (std::holds_alternative<Keepalive>(*m)) ++keepalives;
    if (auto* n = std::get_if<Notification>(&*m)) {
      notification = *n;
      break;
    }
  }
  const auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(notification);
  EXPECT_EQ(notification->code, code::kHoldTimerExpired);
  EXPECT_GE(keepalives, 2);
  EXPECT_GE(elapsed, 2500ms);
  EXPECT_LE(elapsed, 4500ms);
}

TEST_F(RawPeerTest, SpeakerSendsItsRoutesAndEndOfRib) {
  t.call([&] { s->announce(pfx("198.19.9.0/26")); });
  establish();
  auto u = raw.expect<Update>();
  ASSERT_TRUE(u);
  EXPECT_EQ(u->nlri, std::vector{pfx("198.19.9.0/26")});
  EXPECT_EQ(u->attributes.next_hop, ip("127.0.0.1"));
  auto eor = raw.expect<Update>();
  ASSERT_TRUE(eor);
  EXPECT_EQ(end_of_rib(*eor), kIpv4Unicast);
}

}  // namespace
}  // namespace weft::bgp::testing
