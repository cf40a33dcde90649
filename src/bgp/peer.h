// One configured BGP neighbour: its connections, collision resolution, and its Adj-RIB-Out.
//
// Connections (RFC 4271 §6.8, §8): an outbound Connection whose Fsm persists across attempts
// (it carries the connect-retry backoff), unless the peer is passive, and at most one inbound
// Connection per accepted socket. Once a connection has the peer's OPEN (OpenConfirm) while the
// other also has one, collision_survivor() picks the survivor and the other gets
// OpenCollisionDump; a connection that reaches Established wins over any other, and the outbound
// Fsm is held (ManualStop) while an inbound session is up, restarted when it goes down. A new
// connection from a peer whose established session negotiated graceful restart ends that
// session first (RFC 4724 §4.2: the peer restarted); otherwise it is refused
// (CollisionDetectEstablishedState off).
//
// The Peer performs its Fsms' actions in order and reports session events, UPDATEs and route
// refresh requests to its Speaker.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bgp/adj_rib_out.h"
#include "bgp/connection.h"
#include "bgp/export_policy.h"

namespace weft::bgp {

class Speaker;

struct PeerConfig {
  IpAddress address;
  uint32_t peer_as = 0;
  uint16_t port = 179;         // where the peer listens
  bool passive = false;        // never connect, only accept
  std::string md5_password;    // TCP MD5 (RFC 2385); empty: none
  bool rr_client = false;      // RFC 4456: reflect routes to and from this iBGP peer
  uint16_t hold_time = 90;
  Seconds connect_retry_time{5};
  std::optional<IpAddress> local_address;  // source of outgoing connections
  uint8_t ttl = 0;                         // IP TTL of the session's packets; 0: the system's
  // NEXT_HOP "self" for IPv4 routes; default: the session's local address.
  std::optional<IpAddress> next_hop_v4;
  std::optional<IpAddress> next_hop_v6;    // next hop self for IPv6 routes on an IPv4 session
  std::vector<Prefix> import_allow;        // accepted from this peer on top of the pools
  std::vector<Prefix> export_allow;        // learned routes exported to this peer
  std::vector<AfiSafi> families{kIpv4Unicast, kIpv6Unicast};
};

// The last NOTIFICATION of a peer's connections, either way (RFC 4271 §6: every one ends the
// connection it was on), kept across sessions for `weft bgp status`.
struct NotificationRecord {
  enum class Direction { sent, received };
  Direction direction = Direction::sent;
  Notification notification;
  std::chrono::system_clock::time_point at{};
  friend bool operator==(const NotificationRecord&, const NotificationRecord&) = default;
};
std::string_view to_string(NotificationRecord::Direction direction);

struct PeerStatus {
  IpAddress address;
  uint32_t peer_as = 0;
  State state = State::idle;
  uint32_t peer_id = 0;      // the peer's BGP Identifier while a session is up
  size_t received = 0;       // prefixes it announces, whether or not they were accepted
  size_t accepted = 0;       // its paths in the RIB (import filter passed, next hop usable; stale ones included)
  size_t advertised = 0;     // prefixes in its Adj-RIB-Out
  size_t malformed = 0;      // UPDATEs that needed RFC 7606 handling
  bool graceful_restart = false;  // the peer negotiated it on the last session
  bool end_of_rib = false;   // End-of-RIB arrived for every family of the current session (its initial routes are in)
  std::chrono::system_clock::time_point established_at{};  // while established
  std::string last_error;
  std::optional<NotificationRecord> last_notification;
};

class Peer {
 public:
  Peer(Speaker& speaker, asio::io_context& io, PeerConfig config, PeerId id);
  Peer(const Peer&) = delete;
  Peer& operator=(const Peer&) = delete;
  ~Peer();

  void start();
  void stop();  // Cease (administrative shutdown) and stay down
  void accept(asio::ip::tcp::socket socket);

  const PeerConfig& config() const { return config_; }
  PeerId id() const { return id_; }
  bool established() const { return established_ != nullptr; }
  const std::optional<Negotiated>& negotiated() const { return negotiated_; }
  void send(const Bytes& message);  // on the established connection
  EncodeOptions encode_options() const;
  PeerStatus status() const;
  void count_malformed() { ++malformed_; }
  void mark_end_of_rib(const AfiSafi& family);
  // The session's learned-route export filter (PeerConfig::export_allow), now and for later sessions.
  void set_export_allow(std::vector<Prefix> allow) {
    config_.export_allow = allow;
    export_view.export_allow = std::move(allow);
  }
  // The R bit (RFC 4724) in the OPENs of connections made from now on.
  void set_restarting(bool restarting);

  AdjRibOut adj_out;
  ExportPeer export_view;  // refreshed when a session comes up

 private:
  FsmConfig fsm_config(bool inbound) const;
  void feed(Connection& c, const Event& e);
  void perform(Connection& c, const Action& a);
  void resolve_collision(Connection& c);
  void bury(std::unique_ptr<Connection>& c);
  void record_notification(const Connection& c, const SessionDown& down);

  Speaker& speaker_;
  asio::io_context& io_;
  PeerConfig config_;
  PeerId id_;
  std::unique_ptr<Connection> out_, in_;
  Connection* established_ = nullptr;
  std::optional<Negotiated> negotiated_;
  bool stopped_ = true;
  size_t malformed_ = 0;
  std::vector<AfiSafi> end_of_rib_;  // families whose End-of-RIB arrived on this session
  std::chrono::system_clock::time_point established_at_{};
  std::string last_error_;
  std::optional<NotificationRecord> last_notification_;
  std::vector<std::unique_ptr<Connection>> graveyard_;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

}  // namespace weft::bgp
