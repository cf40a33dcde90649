// RFC 4271 §8 FSM tests without sockets or clocks: each step asserts the next state and the
// exact actions, including the exact bytes sent (OPEN, KEEPALIVE, NOTIFICATION).
#include <gtest/gtest.h>

#include <ostream>

#include "bgp/fsm.h"
#include "bgp_test_util.h"

namespace weft::bgp {
void PrintTo(const Action& a, std::ostream* os) { *os << format(a); }
}  // namespace weft::bgp

namespace weft::bgp::test {
namespace {

using namespace std::chrono_literals;
using Actions = std::vector<Action>;

FsmConfig config() {
  FsmConfig c;
  c.local_as = 65001;
  c.router_id = id("198.18.0.1");
  c.peer_as = 65002;
  c.hold_time = 90;
  return c;
}

// The OPEN the configuration above sends: AS 65001, hold 90, id 198.18.0.1, multiprotocol IPv4
// and IPv6 unicast, route refresh, 4-octet AS 65001.
const Bytes kOurOpen = message(
    MessageType::open,
    {0x04, 0xfd, 0xe9, 0x00, 0x5a, 0xc6, 0x12, 0x00, 0x01, 0x16, 0x02, 0x14,
     0x01, 0x04, 0x00, 0x01, 0x00, 0x01, 0x01, 0x04, 0x00, 0x02, 0x00, 0x01,
     0x02, 0x00, 0x41, 0x04, 0x00, 0x00, 0xfd, 0xe9});
const Bytes kKeepalive = message(MessageType::keepalive, {});

// The peer's OPEN: AS 65002, hold 30, id 198.18.0.2, IPv6 unicast only, 4-octet AS.
Open peer_open(uint16_t hold = 30) {
  const Bytes bytes = message(
      MessageType::open, {0x04, 0xfd, 0xea, static_cast<uint8_t>(hold >> 8),
                          static_cast<uint8_t>(hold), 0xc6, 0x12, 0x00, 0x02, 0x0e, 0x02, 0x0c,
                          0x01, 0x04, 0x00, 0x02, 0x00, 0x01, 0x41, 0x04, 0x00, 0x00, 0xfd, 0xea});
  auto m = decode(bytes);
  EXPECT_TRUE(m.has_value());
  return m ? std::get<Open>(*m) : Open{};
}

Negotiated expected_negotiated() {
  Negotiated n;
  n.peer_as = 65002;
  n.peer_id = id("198.18.0.2");
  n.hold_time = 30;
  n.keepalive_time = 10;
  n.four_octet_as = true;
  n.route_refresh = false;  // the peer did not offer it
  n.families = {kIpv6Unicast};
  n.ebgp = true;
  return n;
}

Actions cat_actions(Actions a, const Actions& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

SendMessage send(const Bytes& bytes) {
  return SendMessage{static_cast<MessageType>(bytes[18]), bytes};
}
SendMessage send_notification(uint8_t code, uint8_t subcode) {
  return send(message(MessageType::notification, {code, subcode}));
}

// Idle → Connect → OpenSent → OpenConfirm → Established, checking every step.
Fsm established() {
  Fsm f(config());
  EXPECT_EQ(f.handle(ManualStart{}), (Actions{StartTimer{Timer::connect_retry, 5s}, ConnectTcp{}}));
  EXPECT_EQ(f.state, State::connect);
  EXPECT_EQ(f.handle(TcpConnectionAcknowledged{}),
            (Actions{StopTimer{Timer::connect_retry}, send(kOurOpen),
                     StartTimer{Timer::hold, 240s}}));
  EXPECT_EQ(f.state, State::open_sent);
  EXPECT_EQ(f.handle(OpenReceived{peer_open()}),
            (Actions{send(kKeepalive), StartTimer{Timer::keepalive, 10s},
                     StartTimer{Timer::hold, 30s}}));
  EXPECT_EQ(f.state, State::open_confirm);
  EXPECT_EQ(f.handle(KeepaliveReceived{}),
            (Actions{StartTimer{Timer::hold, 30s}, SessionEstablished{expected_negotiated()}}));
  EXPECT_EQ(f.state, State::established);
  return f;
}

Actions going_down(DownReason reason, bool was_established, std::optional<Notification> n,
                   std::string detail, Seconds idle_hold) {
  return {StopTimer{Timer::connect_retry}, StopTimer{Timer::hold}, StopTimer{Timer::keepalive},
          DropTcp{}, SessionDown{reason, was_established, std::move(n), std::move(detail)},
          StartTimer{Timer::idle_hold, idle_hold}};
}

TEST(BgpFsm, OpenSentOnConnectionAndKeepaliveAfterAValidOpen) {
  Fsm f = established();
  EXPECT_EQ(f.negotiated, expected_negotiated());
  EXPECT_EQ(f.connect_retry_counter, 0u);
  EXPECT_TRUE(f.decode_options().ebgp);
  EXPECT_TRUE(f.decode_options().four_octet_as);
}

TEST(BgpFsm, IncomingConnectionInActiveSendsOpen) {
  FsmConfig c = config();
  c.passive = true;
  Fsm f(c);
  EXPECT_EQ(f.handle(ManualStart{}), (Actions{StartTimer{Timer::connect_retry, 5s}}));
  EXPECT_EQ(f.state, State::active);
  // Passive: the ConnectRetryTimer never makes it connect.
  EXPECT_EQ(f.handle(ConnectRetryTimerExpires{}), (Actions{StartTimer{Timer::connect_retry, 10s}}));
  EXPECT_EQ(f.state, State::active);
  EXPECT_EQ(f.handle(TcpConnectionConfirmed{}),
            (Actions{StopTimer{Timer::connect_retry}, send(kOurOpen),
                     StartTimer{Timer::hold, 240s}}));
  EXPECT_EQ(f.state, State::open_sent);
}

TEST(BgpFsm, HoldTimerExpiryInEstablishedSendsNotification4) {
  Fsm f = established();
  const Bytes notification = message(MessageType::notification, {0x04, 0x00});
  EXPECT_EQ(notification.size(), 21u);
  EXPECT_EQ(f.handle(HoldTimerExpires{}),
            cat_actions({send(notification)},
                        going_down(DownReason::hold_timer_expired, true, Notification{4, 0, {}}, "",
                                   10s)));
  EXPECT_EQ(f.state, State::idle);
  EXPECT_EQ(f.connect_retry_counter, 1u);
  EXPECT_FALSE(f.negotiated.has_value());
  // The IdleHoldTimer brings it back (automatic restart), with the grown retry time.
  EXPECT_EQ(f.handle(IdleHoldTimerExpires{}),
            (Actions{StartTimer{Timer::connect_retry, 10s}, ConnectTcp{}}));
  EXPECT_EQ(f.state, State::connect);
}

TEST(BgpFsm, ManualStopSendsCeaseAndStaysDown) {
  Fsm f = established();
  const Bytes cease = message(MessageType::notification, {0x06, 0x02});
  EXPECT_EQ(f.handle(ManualStop{}),
            (Actions{send(cease), StopTimer{Timer::connect_retry}, StopTimer{Timer::hold},
                     StopTimer{Timer::keepalive}, DropTcp{},
                     SessionDown{DownReason::manual_stop, true, Notification{6, 2, {}}, ""}}));
  EXPECT_EQ(f.state, State::idle);
  EXPECT_TRUE(f.stopped);
  EXPECT_TRUE(f.handle(IdleHoldTimerExpires{}).empty());  // no automatic restart after a stop
  EXPECT_TRUE(f.handle(AutomaticStart{}).empty());
  EXPECT_EQ(f.handle(ManualStart{}), (Actions{StartTimer{Timer::connect_retry, 5s}, ConnectTcp{}}));
}

TEST(BgpFsm, ManualStopBeforeAnyOpenSendsNothing) {
  Fsm f(config());
  f.handle(ManualStart{});
  EXPECT_EQ(f.handle(ManualStop{}),
            (Actions{StopTimer{Timer::connect_retry}, StopTimer{Timer::hold},
                     StopTimer{Timer::keepalive}, DropTcp{},
                     SessionDown{DownReason::manual_stop, false, std::nullopt, ""}}));
  EXPECT_EQ(f.state, State::idle);
}

TEST(BgpFsm, KeepaliveTimerSendsKeepalive) {
  Fsm f = established();
  EXPECT_EQ(f.handle(KeepaliveTimerExpires{}),
            (Actions{send(kKeepalive), StartTimer{Timer::keepalive, 10s}}));
  EXPECT_EQ(f.handle(KeepaliveReceived{}), (Actions{StartTimer{Timer::hold, 30s}}));
  EXPECT_EQ(f.state, State::established);
}

TEST(BgpFsm, UpdatesGoToTheRibAndRestartTheHoldTimer) {
  Fsm f = established();
  Update u;
  u.attributes.origin = Origin::igp;
  u.nlri = {pfx("198.19.1.0/24")};
  EXPECT_EQ(f.handle(UpdateReceived{u}),
            (Actions{StartTimer{Timer::hold, 30s}, DeliverUpdate{u}}));
  EXPECT_EQ(f.state, State::established);
}

TEST(BgpFsm, TreatAsWithdrawDeliversWithdrawalsAndKeepsTheSession) {
  Fsm f = established();
  DecodeError e{ErrorAction::treat_as_withdraw, attr::kOrigin, Notification{3, 6, {}}, "bad",
                {pfx("198.19.1.0/24"), pfx("2001:db8:1::/48")}};
  Update withdrawal;
  withdrawal.withdrawn = {pfx("198.19.1.0/24")};
  withdrawal.attributes.mp_unreach = MpUnreach{kIpv6Unicast, {pfx("2001:db8:1::/48")}};
  withdrawal.discarded = {e};
  EXPECT_EQ(f.handle(DecodeFailed{e}),
            (Actions{StartTimer{Timer::hold, 30s}, DeliverUpdate{withdrawal}}));
  EXPECT_EQ(f.state, State::established);
}

TEST(BgpFsm, SessionResetErrorSendsItsNotification) {
  Fsm f = established();
  // A malformed AS_PATH in an UPDATE with no reachable NLRI (RFC 7606 §5.2), end to end.
  const Bytes bad = update_message({0x18, 0xc6, 0x13, 0x01},
                                   cat({kOriginIgp, attribute(0x40, 2, {2, 0}), kNextHop}), {});
  const Event e = to_event(decode(bad, f.decode_options()));
  ASSERT_TRUE(std::holds_alternative<DecodeFailed>(e));
  const std::string detail = std::get<DecodeFailed>(e).error.detail;
  EXPECT_EQ(f.handle(e), cat_actions({send_notification(3, 11)},
                                     going_down(DownReason::protocol_error, true,
                                                Notification{3, 11, {}}, detail, 10s)));
  EXPECT_EQ(f.state, State::idle);
}

TEST(BgpFsm, UnacceptableHoldTimeIsRejected) {
  Fsm f(config());
  f.handle(ManualStart{});
  f.handle(TcpConnectionAcknowledged{});
  const Open open = peer_open(2);
  EXPECT_EQ(f.handle(OpenReceived{open}),
            cat_actions({send_notification(2, 6)},
                        going_down(DownReason::protocol_error, false, Notification{2, 6, {}},
                                   "peer's OPEN rejected: " + format(open), 10s)));
  EXPECT_EQ(f.state, State::idle);
}

TEST(BgpFsm, ZeroHoldTimeMeansNoKeepalives) {
  Fsm f(config());
  f.handle(ManualStart{});
  f.handle(TcpConnectionAcknowledged{});
  EXPECT_EQ(f.handle(OpenReceived{peer_open(0)}),
            (Actions{send(kKeepalive), StopTimer{Timer::hold}}));
  Negotiated n = expected_negotiated();
  n.hold_time = 0;
  n.keepalive_time = 0;
  EXPECT_EQ(f.handle(KeepaliveReceived{}), (Actions{SessionEstablished{n}}));
  EXPECT_EQ(f.handle(KeepaliveReceived{}), Actions{});
  EXPECT_EQ(f.handle(KeepaliveTimerExpires{}), Actions{});  // a stale expiry sends nothing
}

TEST(BgpFsm, UnexpectedMessagesAreFsmErrors) {
  // RFC 6608 subcodes: 1 in OpenSent, 2 in OpenConfirm, 3 in Established.
  Fsm sent(config());
  sent.handle(ManualStart{});
  sent.handle(TcpConnectionAcknowledged{});
  auto actions = sent.handle(KeepaliveReceived{});
  ASSERT_FALSE(actions.empty());
  EXPECT_EQ(actions[0], Action(send_notification(5, 1)));
  EXPECT_EQ(sent.state, State::idle);

  Fsm confirm(config());
  confirm.handle(ManualStart{});
  confirm.handle(TcpConnectionAcknowledged{});
  confirm.handle(OpenReceived{peer_open()});
  actions = confirm.handle(UpdateReceived{Update{}});
  ASSERT_FALSE(actions.empty());
  EXPECT_EQ(actions[0], Action(send_notification(5, 2)));

  Fsm est = established();
  actions = est.handle(OpenReceived{peer_open()});
  ASSERT_FALSE(actions.empty());
  EXPECT_EQ(actions[0], Action(send_notification(5, 3)));
  EXPECT_EQ(std::get<SessionDown>(actions[5]).reason, DownReason::unexpected_event);
}

TEST(BgpFsm, NotificationReceivedClosesWithoutAnswer) {
  Fsm f = established();
  const Notification n{6, 4, {}};
  EXPECT_EQ(f.handle(NotificationReceived{n}),
            going_down(DownReason::notification_received, true, n, "", 10s));
}

TEST(BgpFsm, CollisionDumpSendsCease7) {
  Fsm f(config());
  f.handle(ManualStart{});
  f.handle(TcpConnectionAcknowledged{});
  f.handle(OpenReceived{peer_open()});
  EXPECT_EQ(f.handle(OpenCollisionDump{}),
            cat_actions({send_notification(6, 7)},
                        going_down(DownReason::collision, false, Notification{6, 7, {}}, "", 10s)));
}

TEST(BgpFsm, ConnectRetryBacksOffExponentially) {
  FsmConfig c = config();
  c.max_connect_retry_time = 60s;
  Fsm f(c);
  EXPECT_EQ(f.handle(ManualStart{}), (Actions{StartTimer{Timer::connect_retry, 5s}, ConnectTcp{}}));
  EXPECT_EQ(f.handle(ConnectRetryTimerExpires{}),
            (Actions{DropTcp{}, StartTimer{Timer::connect_retry, 10s}, ConnectTcp{}}));
  // Refused connections: Idle, then the IdleHoldTimer, each time twice as long, up to the max.
  std::vector<int64_t> idle_holds;
  for (int i = 0; i < 4; ++i) {
    auto down = f.handle(TcpConnectionFails{});
    ASSERT_EQ(f.state, State::idle);
    idle_holds.push_back(std::get<StartTimer>(down.back()).duration.count());
    auto up = f.handle(IdleHoldTimerExpires{});
    ASSERT_EQ(f.state, State::connect);
    EXPECT_EQ(std::get<StartTimer>(up.front()).duration.count(), idle_holds.back());
  }
  EXPECT_EQ(idle_holds, (std::vector<int64_t>{20, 40, 60, 60}));
  // Reaching Established resets the counter.
  f.handle(TcpConnectionAcknowledged{});
  f.handle(OpenReceived{peer_open()});
  f.handle(KeepaliveReceived{});
  EXPECT_EQ(f.connect_retry_counter, 0u);
}

TEST(BgpFsm, TcpFailureInOpenSentGoesToActive) {
  Fsm f(config());
  f.handle(ManualStart{});
  f.handle(TcpConnectionAcknowledged{});
  EXPECT_EQ(f.handle(TcpConnectionFails{}),
            (Actions{DropTcp{}, StopTimer{Timer::hold}, StartTimer{Timer::connect_retry, 5s}}));
  EXPECT_EQ(f.state, State::active);
  EXPECT_EQ(f.handle(ConnectRetryTimerExpires{}),
            (Actions{StartTimer{Timer::connect_retry, 10s}, ConnectTcp{}}));
  EXPECT_EQ(f.state, State::connect);
}

TEST(BgpFsm, RouteRefreshForAdvertisedFamiliesOnly) {
  Fsm f = established();
  EXPECT_EQ(f.handle(RouteRefreshReceived{{kIpv6Unicast, 0}}),
            (Actions{StartTimer{Timer::hold, 30s}, DeliverRouteRefresh{kIpv6Unicast}}));
  EXPECT_EQ(f.handle(RouteRefreshReceived{{AfiSafi{1, 128}, 0}}),
            (Actions{StartTimer{Timer::hold, 30s}}));
}

TEST(BgpFsm, IdleIgnoresEverythingButStarts) {
  Fsm f(config());
  for (const Event& e : std::vector<Event>{HoldTimerExpires{}, KeepaliveReceived{},
                                            TcpConnectionFails{}, OpenCollisionDump{}}) {
    EXPECT_TRUE(f.handle(e).empty());
    EXPECT_EQ(f.state, State::idle);
  }
}

}  // namespace
}  // namespace weft::bgp::test
