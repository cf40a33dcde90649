// RFC 4271 §8.2.2 state transitions. One function per state (Connect and Active share one),
// each following the RFC's event list for that state; "any other event" is the final branch.
// Going down always does the same things in the same order (see Step::to_idle): stop the
// session timers, drop TCP, count the failure, report SessionDown, and, when automatic restart
// is on, arm the IdleHoldTimer with the backoff.
//
// Deliberate readings of the RFC:
// - A NOTIFICATION received in OpenSent is not answered with an FSM Error NOTIFICATION (the RFC
//   lists event 25 among "any other event" there): the peer has already closed, and OpenConfirm
//   and Established treat it the same way.
// - A version-error NOTIFICATION (event 24) does not count as a failure, as in §8.2.2.
// - Treat-as-withdraw in Established delivers the withdrawals and keeps the session (RFC 7606);
//   only session_reset errors send a NOTIFICATION.
// - A stale IdleHoldTimer expiry outside Idle is ignored rather than being an FSM error.
#include "bgp/fsm.h"

#include <algorithm>

namespace weft::bgp {

struct Fsm::Step {
  Fsm& f;
  std::vector<Action> out;

  void send(const Message& m) {
    auto bytes = encode(m, f.encode_options());
    if (bytes) out.push_back(SendMessage{type_of(m), std::move(*bytes)});
  }
  Notification notify(uint8_t code, uint8_t subcode, Bytes data = {}) {
    if (data.size() > kMaxMessageSize - 21) data.resize(kMaxMessageSize - 21);
    Notification n{code, subcode, std::move(data)};
    send(n);
    return n;
  }
  void start(Timer t, Seconds d) { out.emplace_back(std::in_place_type<StartTimer>, t, d); }
  void stop(Timer t) { out.emplace_back(std::in_place_type<StopTimer>, t); }
  // KeepaliveTimer_Expires: send one and re-arm (never with a zero period: no hold time, no
  // keepalives, RFC 4271 §4.4).
  void keepalive_tick() {
    if (f.negotiated->keepalive_time == 0) return;
    send(Keepalive{});
    start(Timer::keepalive, Seconds(f.negotiated->keepalive_time));
  }
  void restart_hold() {
    if (f.negotiated && f.negotiated->hold_time > 0) {
      start(Timer::hold, Seconds(f.negotiated->hold_time));
    }
  }

  void to_idle(DownReason reason, std::optional<Notification> n, std::string detail,
               bool count_failure = true) {
    const bool was_established = f.state == State::established;
    stop(Timer::connect_retry);
    stop(Timer::hold);
    stop(Timer::keepalive);
    out.push_back(DropTcp{});
    if (reason == DownReason::manual_stop) {
      f.connect_retry_counter = 0;
      f.stopped = true;
    } else if (count_failure) {
      ++f.connect_retry_counter;
    }
    out.push_back(SessionDown{reason, was_established, std::move(n), std::move(detail)});
    f.state = State::idle;
    f.negotiated.reset();
    if (f.config.auto_restart && !f.stopped) start(Timer::idle_hold, f.backoff());
  }

  void start_connecting() {
    start(Timer::connect_retry, f.backoff());
    if (f.config.passive) {
      f.state = State::active;
    } else {
      out.push_back(ConnectTcp{});
      f.state = State::connect;
    }
  }

  void tcp_up() {
    stop(Timer::connect_retry);
    send(build_open(f.config));
    start(Timer::hold, f.config.open_hold_time);
    f.state = State::open_sent;
  }

  void manual_stop() {
    std::optional<Notification> n;
    if (f.state >= State::open_sent) {
      n = notify(code::kCease, cease_subcode::kAdministrativeShutdown);
    }
    to_idle(DownReason::manual_stop, std::move(n), "");
  }

  // Events every connected state (OpenSent, OpenConfirm, Established) handles alike; false if
  // `e` is not one of them.
  bool common_connected(const Event& e) {
    if (std::holds_alternative<ManualStop>(e)) {
      manual_stop();
    } else if (std::holds_alternative<HoldTimerExpires>(e)) {
      to_idle(DownReason::hold_timer_expired, notify(code::kHoldTimerExpired, 0), "");
    } else if (std::holds_alternative<OpenCollisionDump>(e)) {
      to_idle(DownReason::collision, notify(code::kCease, cease_subcode::kConnectionCollision),
              "");
    } else if (const auto* r = std::get_if<NotificationReceived>(&e)) {
      const bool version_error = r->notification.code == code::kOpen &&
                                 r->notification.subcode == open_subcode::kUnsupportedVersion;
      to_idle(DownReason::notification_received, r->notification, "", !version_error);
    } else if (const auto* d = std::get_if<DecodeFailed>(&e);
               d && d->error.action == ErrorAction::session_reset) {
      const Notification& n = d->error.notification;
      to_idle(DownReason::protocol_error, notify(n.code, n.subcode, n.data), d->error.detail);
    } else if (std::holds_alternative<ManualStart>(e) ||
               std::holds_alternative<AutomaticStart>(e) ||
               std::holds_alternative<IdleHoldTimerExpires>(e) ||
               std::holds_alternative<TcpConnectionAcknowledged>(e) ||
               std::holds_alternative<TcpConnectionConfirmed>(e)) {
      // Ignored: a second connection is the driver's to track and resolve (RFC 4271 §6.8).
    } else {
      return false;
    }
    return true;
  }

  void unexpected(uint8_t subcode) {
    to_idle(DownReason::unexpected_event, notify(code::kFsm, subcode),
            "unexpected event in " + std::string(to_string(f.state)));
  }

  void idle(const Event& e) {
    if (std::holds_alternative<ManualStart>(e)) {
      f.stopped = false;
      f.connect_retry_counter = 0;
      start_connecting();
    } else if (std::holds_alternative<AutomaticStart>(e) ||
               std::holds_alternative<IdleHoldTimerExpires>(e)) {
      if (!f.stopped) start_connecting();
    } else if (std::holds_alternative<ManualStop>(e)) {
      f.stopped = true;
      f.connect_retry_counter = 0;
      stop(Timer::idle_hold);
    }
  }

  void connecting(const Event& e) {
    if (std::holds_alternative<ManualStop>(e)) {
      manual_stop();
    } else if (std::holds_alternative<ConnectRetryTimerExpires>(e)) {
      ++f.connect_retry_counter;
      if (f.state == State::connect) out.push_back(DropTcp{});
      start(Timer::connect_retry, f.backoff());
      if (!f.config.passive) {
        out.push_back(ConnectTcp{});
        f.state = State::connect;
      }
    } else if (std::holds_alternative<TcpConnectionAcknowledged>(e) ||
               std::holds_alternative<TcpConnectionConfirmed>(e)) {
      tcp_up();
    } else if (std::holds_alternative<TcpConnectionFails>(e)) {
      to_idle(DownReason::tcp_failure, std::nullopt, "TCP connection failed");
    } else if (std::holds_alternative<ManualStart>(e) ||
               std::holds_alternative<AutomaticStart>(e) ||
               std::holds_alternative<IdleHoldTimerExpires>(e)) {
      // Already started.
    } else {
      to_idle(DownReason::unexpected_event, std::nullopt,
              "unexpected event in " + std::string(to_string(f.state)));
    }
  }

  void open_sent(const Event& e) {
    if (const auto* o = std::get_if<OpenReceived>(&e)) {
      auto n = negotiate(f.config, o->open);
      if (!n) {
        to_idle(DownReason::protocol_error,
                notify(n.error().code, n.error().subcode, n.error().data),
                "peer's OPEN rejected: " + format(o->open));
        return;
      }
      f.negotiated = std::move(*n);
      send(Keepalive{});
      if (f.negotiated->hold_time > 0) {
        start(Timer::keepalive, Seconds(f.negotiated->keepalive_time));
        start(Timer::hold, Seconds(f.negotiated->hold_time));
      } else {
        stop(Timer::hold);
      }
      f.state = State::open_confirm;
    } else if (std::holds_alternative<TcpConnectionFails>(e)) {
      out.push_back(DropTcp{});
      stop(Timer::hold);
      start(Timer::connect_retry, f.backoff());
      f.state = State::active;
    } else if (!common_connected(e)) {
      unexpected(fsm_subcode::kUnexpectedInOpenSent);
    }
  }

  void open_confirm(const Event& e) {
    if (std::holds_alternative<KeepaliveReceived>(e)) {
      restart_hold();
      f.connect_retry_counter = 0;
      f.state = State::established;
      out.push_back(SessionEstablished{*f.negotiated});
    } else if (std::holds_alternative<KeepaliveTimerExpires>(e)) {
      keepalive_tick();
    } else if (std::holds_alternative<TcpConnectionFails>(e)) {
      to_idle(DownReason::tcp_failure, std::nullopt, "TCP connection failed");
    } else if (!common_connected(e)) {
      unexpected(fsm_subcode::kUnexpectedInOpenConfirm);
    }
  }

  void established(const Event& e) {
    if (std::holds_alternative<KeepaliveReceived>(e)) {
      restart_hold();
    } else if (const auto* u = std::get_if<UpdateReceived>(&e)) {
      restart_hold();
      out.push_back(DeliverUpdate{u->update});
    } else if (const auto* r = std::get_if<RouteRefreshReceived>(&e)) {
      restart_hold();
      // RFC 2918 §4: ignore a family we did not advertise.
      const auto& ours = f.config.families;
      if (f.config.route_refresh &&
          std::find(ours.begin(), ours.end(), r->refresh.family) != ours.end()) {
        out.push_back(DeliverRouteRefresh{r->refresh.family});
      }
    } else if (const auto* d = std::get_if<DecodeFailed>(&e);
               d && d->error.action != ErrorAction::session_reset) {
      restart_hold();
      Update withdrawal;
      std::vector<Prefix> v6;
      for (const Prefix& p : d->error.withdrawn) {
        (p.family() == Family::v4 ? withdrawal.withdrawn : v6).push_back(p);
      }
      if (!v6.empty()) withdrawal.attributes.mp_unreach = MpUnreach{kIpv6Unicast, std::move(v6)};
      withdrawal.discarded.push_back(d->error);
      if (!d->error.withdrawn.empty()) out.push_back(DeliverUpdate{std::move(withdrawal)});
    } else if (std::holds_alternative<KeepaliveTimerExpires>(e)) {
      keepalive_tick();
    } else if (std::holds_alternative<TcpConnectionFails>(e)) {
      to_idle(DownReason::tcp_failure, std::nullopt, "TCP connection failed");
    } else if (!common_connected(e)) {
      unexpected(fsm_subcode::kUnexpectedInEstablished);
    }
  }
};

std::vector<Action> Fsm::handle(const Event& event) {
  Step step{*this, {}};
  switch (state) {
    case State::idle: step.idle(event); break;
    case State::connect:
    case State::active: step.connecting(event); break;
    case State::open_sent: step.open_sent(event); break;
    case State::open_confirm: step.open_confirm(event); break;
    case State::established: step.established(event); break;
  }
  return std::move(step.out);
}

Seconds Fsm::backoff() const {
  // Doubling per counted failure up to the ceiling; stops doubling there, so it cannot overflow.
  Seconds d = config.connect_retry_time;
  for (uint32_t i = 0; i < connect_retry_counter && d < config.max_connect_retry_time; ++i) d *= 2;
  return std::min(d, config.max_connect_retry_time);
}

DecodeOptions Fsm::decode_options() const {
  return DecodeOptions{
      .four_octet_as = negotiated ? negotiated->four_octet_as : config.four_octet_as,
      .ebgp = config.local_as != config.peer_as};
}

EncodeOptions Fsm::encode_options() const {
  return EncodeOptions{.four_octet_as = negotiated ? negotiated->four_octet_as
                                                   : config.four_octet_as};
}

}  // namespace weft::bgp
