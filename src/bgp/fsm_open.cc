// The OPEN side of the FSM: the OPEN we send, validation of the peer's OPEN and capability
// negotiation (RFC 4271 §4.2, §6.2; RFC 5492; RFC 4760 §8; RFC 6793 §4; RFC 2918; RFC 4724 §3;
// RFC 6286 §2.2), collision resolution (RFC 4271 §6.8, RFC 6286 §2.3), and the glue between
// decoded messages and FSM events, plus text for logs.
//
// Peer BGP Identifier: RFC 6286 §2.2 replaces RFC 4271's "valid unicast host address" with "any
// non-zero value", and forbids our own identifier only on an internal session (eBGP peers may
// share an identifier with us; collisions are then resolved by AS number).
#include <algorithm>

#include "bgp/fsm.h"

namespace weft::bgp {

Result<void> validate(const FsmConfig& c) {
  if (c.local_as == 0 || c.peer_as == 0) return fail(Errc::invalid_argument, "AS number 0");
  if (c.router_id == 0) return fail(Errc::invalid_argument, "BGP identifier 0");
  if (c.hold_time == 1 || c.hold_time == 2) {
    return fail(Errc::invalid_argument, "hold time must be 0 or at least 3 seconds");
  }
  if (!c.four_octet_as && (c.local_as > 0xffff || c.peer_as > 0xffff)) {
    return fail(Errc::invalid_argument, "4-octet AS numbers need the 4-octet AS capability");
  }
  if (c.connect_retry_time.count() <= 0 || c.max_connect_retry_time < c.connect_retry_time) {
    return fail(Errc::invalid_argument, "connect retry times must be positive and ordered");
  }
  if (c.graceful_restart && c.graceful_restart->restart_time > 0x0fff) {
    return fail(Errc::invalid_argument, "graceful restart time above 4095 seconds");
  }
  return {};
}

Open build_open(const FsmConfig& c) {
  Open open;
  open.my_as = static_cast<uint16_t>(c.local_as > 0xffff ? kAsTrans : c.local_as);
  open.hold_time = c.hold_time;
  open.bgp_id = c.router_id;
  // emplace_back with in_place_type: GCC 12 warns falsely (maybe-uninitialized) on push_back
  // of a temporary variant under the sanitizers.
  auto& caps = open.capabilities;
  for (const AfiSafi& f : c.families) {
    caps.emplace_back(std::in_place_type<MultiprotocolCapability>, f);
  }
  if (c.route_refresh) caps.emplace_back(std::in_place_type<RouteRefreshCapability>);
  if (c.graceful_restart) {
    caps.emplace_back(std::in_place_type<GracefulRestartCapability>, *c.graceful_restart);
  }
  if (c.four_octet_as) caps.emplace_back(std::in_place_type<FourOctetAsCapability>, c.local_as);
  return open;
}

std::expected<Negotiated, Notification> negotiate(const FsmConfig& c, const Open& peer) {
  const uint32_t peer_as = c.four_octet_as ? peer.peer_as() : peer.my_as;
  if (peer_as != c.peer_as) {
    return std::unexpected(Notification{code::kOpen, open_subcode::kBadPeerAs, {}});
  }
  if (peer.hold_time == 1 || peer.hold_time == 2) {
    return std::unexpected(Notification{code::kOpen, open_subcode::kUnacceptableHoldTime, {}});
  }
  const bool ebgp = c.local_as != c.peer_as;
  if (peer.bgp_id == 0 || (!ebgp && peer.bgp_id == c.router_id)) {
    return std::unexpected(Notification{code::kOpen, open_subcode::kBadBgpIdentifier, {}});
  }
  Negotiated n;
  n.peer_as = peer_as;
  n.peer_id = peer.bgp_id;
  n.hold_time = std::min(c.hold_time, peer.hold_time);
  n.keepalive_time = static_cast<uint16_t>(n.hold_time / 3);
  n.four_octet_as = c.four_octet_as && peer.find<FourOctetAsCapability>() != nullptr;
  n.route_refresh = c.route_refresh && peer.find<RouteRefreshCapability>() != nullptr;
  // A peer without multiprotocol capabilities supports IPv4 unicast only (RFC 4760 §1).
  std::vector<AfiSafi> theirs;
  for (const Capability& cap : peer.capabilities) {
    if (const auto* mp = std::get_if<MultiprotocolCapability>(&cap)) theirs.push_back(mp->family);
  }
  if (theirs.empty()) theirs.push_back(kIpv4Unicast);
  for (const AfiSafi& f : c.families) {
    if (std::find(theirs.begin(), theirs.end(), f) != theirs.end()) n.families.push_back(f);
  }
  if (const auto* gr = peer.find<GracefulRestartCapability>()) n.peer_graceful_restart = *gr;
  n.ebgp = ebgp;
  return n;
}

Initiator collision_survivor(uint32_t local_id, uint32_t remote_id, uint32_t local_as,
                             uint32_t remote_as) {
  if (local_id != remote_id) return local_id > remote_id ? Initiator::local : Initiator::remote;
  return local_as > remote_as ? Initiator::local : Initiator::remote;
}

Event to_event(std::expected<Message, DecodeError> decoded) {
  if (!decoded) return DecodeFailed{std::move(decoded.error())};
  return std::visit(
      [](auto&& m) -> Event {
        using T = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<T, Open>) {
          return OpenReceived{std::move(m)};
        } else if constexpr (std::is_same_v<T, Update>) {
          return UpdateReceived{std::move(m)};
        } else if constexpr (std::is_same_v<T, Notification>) {
          return NotificationReceived{std::move(m)};
        } else if constexpr (std::is_same_v<T, Keepalive>) {
          return KeepaliveReceived{};
        } else {
          return RouteRefreshReceived{m};
        }
      },
      std::move(*decoded));
}

std::string_view to_string(State state) {
  switch (state) {
    case State::idle: return "Idle";
    case State::connect: return "Connect";
    case State::active: return "Active";
    case State::open_sent: return "OpenSent";
    case State::open_confirm: return "OpenConfirm";
    case State::established: return "Established";
  }
  return "?";
}

std::string_view to_string(Timer timer) {
  switch (timer) {
    case Timer::connect_retry: return "ConnectRetryTimer";
    case Timer::hold: return "HoldTimer";
    case Timer::keepalive: return "KeepaliveTimer";
    case Timer::idle_hold: return "IdleHoldTimer";
  }
  return "?";
}

std::string_view to_string(DownReason reason) {
  switch (reason) {
    case DownReason::manual_stop: return "manual stop";
    case DownReason::hold_timer_expired: return "hold timer expired";
    case DownReason::tcp_failure: return "TCP connection failed";
    case DownReason::notification_received: return "NOTIFICATION received";
    case DownReason::protocol_error: return "protocol error";
    case DownReason::unexpected_event: return "unexpected event";
    case DownReason::collision: return "connection collision";
  }
  return "?";
}

std::string format(const Action& action) {
  return std::visit(
      [](const auto& a) -> std::string {
        using T = std::decay_t<decltype(a)>;
        if constexpr (std::is_same_v<T, SendMessage>) {
          auto m = decode(a.bytes);
          return "send " + (m ? format(*m) : "undecodable " + hex(a.bytes));
        } else if constexpr (std::is_same_v<T, StartTimer>) {
          return "start " + std::string(to_string(a.timer)) + " " +
                 std::to_string(a.duration.count()) + "s";
        } else if constexpr (std::is_same_v<T, StopTimer>) {
          return "stop " + std::string(to_string(a.timer));
        } else if constexpr (std::is_same_v<T, ConnectTcp>) {
          return "connect TCP";
        } else if constexpr (std::is_same_v<T, DropTcp>) {
          return "drop TCP";
        } else if constexpr (std::is_same_v<T, DeliverUpdate>) {
          return "deliver " + format(a.update);
        } else if constexpr (std::is_same_v<T, DeliverRouteRefresh>) {
          return "route refresh requested for " + format(a.family);
        } else if constexpr (std::is_same_v<T, SessionEstablished>) {
          return "established with AS " + std::to_string(a.negotiated.peer_as) + " hold " +
                 std::to_string(a.negotiated.hold_time) + "s";
        } else {
          std::string out = "session down: " + std::string(to_string(a.reason));
          if (a.notification) out += " " + format(*a.notification);
          if (!a.detail.empty()) out += ": " + a.detail;
          return out;
        }
      },
      action);
}

}  // namespace weft::bgp
