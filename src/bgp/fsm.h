// The BGP-4 finite state machine (RFC 4271 §8) as a pure state machine: events in, actions out.
// No sockets, no clocks: timers are StartTimer/StopTimer actions and *Expires events, the TCP
// connection is ConnectTcp/DropTcp actions and Tcp* events, and messages go out as the exact bytes
// to write.
//
// Contract with the session driver (the code that owns the socket and the timers):
// - Feed every event in order and perform the returned actions in order. StartTimer (re)arms a
//   timer, replacing a running one; StopTimer cancels it so that its expiry is never delivered.
// - Decode received messages with decode_options() and turn the result into an event with
//   to_event(); deliver TcpConnectionConfirmed for an accepted incoming connection and
//   TcpConnectionAcknowledged when an outgoing connect() completes.
// - One Fsm per connection. With two connections to one peer (RFC 4271 §6.8), the driver runs
//   two Fsms, asks collision_survivor() which to keep once an OPEN has arrived, and feeds
//   OpenCollisionDump to the other.
// - DeliverUpdate carries routes to the RIB; SessionDown with was_established means the RIB must
//   drop (or, with graceful restart, retain as stale) the peer's routes.
//
// Beyond the RFC's mandatory behaviour (the "optional session attributes" of §8.1.1):
// - AllowAutomaticStart with DampPeerOscillations: after a failure the FSM asks for the
//   IdleHoldTimer and restarts itself when it expires; ManualStop cancels that.
// - The ConnectRetryTimer and IdleHoldTimer durations back off exponentially with the
//   ConnectRetryCounter (reset on ManualStart, ManualStop and on reaching Established).
// - PassiveTcpEstablishment: never connects, only waits for the peer.
// - DelayOpen, SendNOTIFICATIONwithoutOPEN and CollisionDetectEstablishedState are off.
#pragma once

#include <chrono>
#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "base/result.h"
#include "bgp/codec.h"

namespace weft::bgp {

enum class State { idle, connect, active, open_sent, open_confirm, established };
std::string_view to_string(State state);

enum class Timer { connect_retry, hold, keepalive, idle_hold };
std::string_view to_string(Timer timer);

using Seconds = std::chrono::seconds;

struct FsmConfig {
  uint32_t local_as = 0;
  uint32_t router_id = 0;  // our BGP Identifier, host order
  uint32_t peer_as = 0;    // the AS the peer must announce (RFC 4271 §6.2 Bad Peer AS)
  uint16_t hold_time = 90;  // proposed; 0 or at least 3 (RFC 4271 §4.2)
  Seconds connect_retry_time{5};       // first ConnectRetryTimer / IdleHoldTimer duration
  Seconds max_connect_retry_time{120};  // the backoff's ceiling (RFC 4271 §10 suggests 120 s)
  Seconds open_hold_time{240};          // HoldTimer while waiting for OPEN ("4 minutes", §8.2.2)
  bool passive = false;
  bool auto_restart = true;
  std::vector<AfiSafi> families{kIpv4Unicast, kIpv6Unicast};
  bool route_refresh = true;
  bool four_octet_as = true;
  std::optional<GracefulRestartCapability> graceful_restart;  // sent as configured
};

// invalid_argument when a field is out of the protocol's range.
Result<void> validate(const FsmConfig& config);

// What the OPEN exchange settled (RFC 4271 §4.2, RFC 5492, RFC 4760 §8, RFC 6793, RFC 4724).
struct Negotiated {
  uint32_t peer_as = 0;
  uint32_t peer_id = 0;
  uint16_t hold_time = 0;       // min of both; 0: no keepalives, no hold timer
  uint16_t keepalive_time = 0;  // hold_time / 3
  bool four_octet_as = false;
  bool route_refresh = false;          // both sides support it
  std::vector<AfiSafi> families;       // ours that the peer supports too
  std::optional<GracefulRestartCapability> peer_graceful_restart;
  bool ebgp = false;
  friend bool operator==(const Negotiated&, const Negotiated&) = default;
};

// The OPEN this speaker sends for `config`.
Open build_open(const FsmConfig& config);
// Checks the peer's OPEN against `config` (RFC 4271 §6.2, RFC 6286 §2.2) and negotiates; on
// failure, the NOTIFICATION to send.
std::expected<Negotiated, Notification> negotiate(const FsmConfig& config, const Open& peer);

// RFC 4271 §6.8 with RFC 6286 §2.3: of two connections between the same speakers, the one
// initiated by the speaker with the higher BGP Identifier survives; with equal identifiers, the
// one initiated by the speaker with the larger AS number.
enum class Initiator { local, remote };
Initiator collision_survivor(uint32_t local_id, uint32_t remote_id, uint32_t local_as,
                             uint32_t remote_as);

// ---- events (RFC 4271 §8.1; numbers in comments) ----------------------------------------------
struct ManualStart {};                 // 1 (4 when config.passive)
struct ManualStop {};                  // 2
struct AutomaticStart {};              // 3
struct ConnectRetryTimerExpires {};    // 9
struct HoldTimerExpires {};            // 10
struct KeepaliveTimerExpires {};       // 11
struct IdleHoldTimerExpires {};        // 13
struct TcpConnectionAcknowledged {};   // 16: our connect() completed
struct TcpConnectionConfirmed {};      // 17: we accepted the peer's connection
struct TcpConnectionFails {};          // 18
struct OpenReceived { Open open; };                          // 19 (22 if it fails negotiate())
struct OpenCollisionDump {};                                 // 23
struct NotificationReceived { Notification notification; };  // 24, 25
struct KeepaliveReceived {};                                 // 26
struct UpdateReceived { Update update; };                    // 27
struct RouteRefreshReceived { RouteRefresh refresh; };       // RFC 2918
struct DecodeFailed { DecodeError error; };                  // 21, 22, 28

using Event = std::variant<ManualStart, ManualStop, AutomaticStart, ConnectRetryTimerExpires,
                           HoldTimerExpires, KeepaliveTimerExpires, IdleHoldTimerExpires,
                           TcpConnectionAcknowledged, TcpConnectionConfirmed, TcpConnectionFails,
                           OpenReceived, OpenCollisionDump, NotificationReceived,
                           KeepaliveReceived, UpdateReceived, RouteRefreshReceived, DecodeFailed>;

Event to_event(std::expected<Message, DecodeError> decoded);

// ---- actions ---------------------------------------------------------------------------------
struct SendMessage {  // the encoded message, ready to write
  MessageType type;
  Bytes bytes;
  friend bool operator==(const SendMessage&, const SendMessage&) = default;
};
struct StartTimer {  // (re)arm
  Timer timer;
  Seconds duration;
  friend bool operator==(const StartTimer&, const StartTimer&) = default;
};
struct StopTimer {
  Timer timer;
  friend bool operator==(const StopTimer&, const StopTimer&) = default;
};
struct ConnectTcp {  // open a connection to the peer (keep accepting its connections too)
  friend bool operator==(const ConnectTcp&, const ConnectTcp&) = default;
};
struct DropTcp {  // close the connection, or abandon the connection attempt
  friend bool operator==(const DropTcp&, const DropTcp&) = default;
};
struct DeliverUpdate {  // to the RIB (Adj-RIB-In)
  Update update;
  friend bool operator==(const DeliverUpdate&, const DeliverUpdate&) = default;
};
struct DeliverRouteRefresh {  // the peer asks us to re-send that family (RFC 2918)
  AfiSafi family;
  friend bool operator==(const DeliverRouteRefresh&, const DeliverRouteRefresh&) = default;
};
struct SessionEstablished {
  Negotiated negotiated;
  friend bool operator==(const SessionEstablished&, const SessionEstablished&) = default;
};

enum class DownReason {
  manual_stop,
  hold_timer_expired,
  tcp_failure,
  notification_received,
  protocol_error,    // we found an error and sent a NOTIFICATION
  unexpected_event,  // an event the state does not allow (FSM Error, RFC 6608)
  collision,         // OpenCollisionDump
};
std::string_view to_string(DownReason reason);

struct SessionDown {
  DownReason reason;
  bool was_established = false;
  std::optional<Notification> notification;  // sent or received
  std::string detail;
  friend bool operator==(const SessionDown&, const SessionDown&) = default;
};

using Action = std::variant<SendMessage, StartTimer, StopTimer, ConnectTcp, DropTcp,
                            DeliverUpdate, DeliverRouteRefresh, SessionEstablished, SessionDown>;

std::string format(const Action& action);

struct Fsm {
  explicit Fsm(FsmConfig c) : config(std::move(c)) {}

  std::vector<Action> handle(const Event& event);

  // How to decode this peer's messages now (4-octet AS once negotiated; eBGP or iBGP).
  DecodeOptions decode_options() const;
  EncodeOptions encode_options() const;

  FsmConfig config;
  State state = State::idle;
  uint32_t connect_retry_counter = 0;
  std::optional<Negotiated> negotiated;  // from a valid OPEN until the session goes down
  bool stopped = false;                  // ManualStop: no automatic restart until ManualStart

 private:
  struct Step;
  Seconds backoff() const;
};

}  // namespace weft::bgp
