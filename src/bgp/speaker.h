// The BGP speaker weftd runs: sessions on an Asio io_context, the RIB, local routes, and the
// hand-off of best routes to whoever programs the kernel.
//
// Protocol coverage: RFC 4271 (sessions, decision process, UPDATE generation), RFC 4760 (IPv4
// and IPv6 unicast), RFC 6793 (4-octet AS), RFC 2918 (route refresh), RFC 4456 (route
// reflection), RFC 4724 (graceful restart: advertised, and the receiving side), RFC 7606 (revised
// error handling, in the codec and Fsm), RFC 2385 (TCP MD5).
//
// Contract:
// - Everything runs on the io_context's one thread; call every method from it (post to it from
//   elsewhere), and destroy the Speaker there too (or once the io_context has stopped). Nothing
//   blocks. No exceptions escape: setup errors come back as Result. stop() before destruction
//   sends a Cease to every peer; destruction alone just closes the sockets (peers that
//   negotiated graceful restart then keep our routes for our restart time).
// - listen_address "::" accepts IPv4 and IPv6 peers on one dual-stack socket.
// - start() opens the listener (listen_port 0 picks a free port; see listen_port()) and starts
//   every peer; peers added later start at once.
// - announce()/withdraw() originate the node's own prefixes; they are exported to every peer.
// - The best-change handler is called, after the RIB settles (batched per read, never from
//   inside announce() or a peer's callback chain), with each prefix whose multipath set changed
//   and the set's next hops: empty when there is no route any more or the best route is the
//   node's own (nothing to install). It may repeat an unchanged next-hop set.
// - Import only accepts prefixes inside SpeakerConfig::allowed (the pools) or a peer's
//   import_allow; export follows export_policy.h.
#pragma once

#include <asio.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <unordered_map>
#include <vector>

#include "base/result.h"
#include "bgp/peer.h"
#include "bgp/rib.h"

namespace weft::bgp {

struct SpeakerConfig {
  uint32_t local_as = 0;
  uint32_t router_id = 0;
  uint32_t cluster_id = 0;              // route reflection cluster (RFC 4456 §7); 0: router_id
  IpAddress listen_address;             // 0.0.0.0 (any)
  uint16_t listen_port = 179;           // 0: a free port
  bool listen = true;
  std::vector<Prefix> allowed;          // import filter: the pools
  size_t max_paths = 8;                 // ECMP
  uint16_t graceful_restart_time = 120; // advertised (RFC 4724 §3); 0: no capability
  bool restarting = false;              // the R bit: weftd restarted and kept its routes
  // While restarting, routes and End-of-RIB go to no peer until every peer is Established and
  // has sent its End-of-RIB (peers restarting themselves: Established only), or this long
  // (RFC 4724 §4.1, selection deferral): a peer must not sweep what it kept for us, nor a
  // reflector's clients what it reflected, before this speaker knows the routes again.
  Seconds selection_deferral{10};
  bool forwarding_preserved = true;     // the F bit: the kernel keeps weft's routes over a restart
  Seconds stale_time{300};              // stale routes' lifetime once the peer is back, until EoR
  NextHopCheck next_hop_usable;         // rib.h; empty: every next hop is usable
  // The IPv6 link-local address of the link that holds a session's local IPv4 address: the
  // IPv6 next hop self of a session that has none configured (a router on its own link). Empty,
  // or nullopt: IPv6 routes do not go to such a peer.
  std::function<std::optional<IpAddress>(const IpAddress& local)> link_local_of;
};

struct RouteInfo {  // one path of a prefix, for tests and the CLI
  Prefix prefix;
  IpAddress peer;                       // 0.0.0.0 for a local route
  std::optional<IpAddress> next_hop;
  AsPath as_path;
  bool best = false;                    // in the multipath set
  bool stale = false;
};

class Speaker {
 public:
  using BestChangeFn = std::function<void(const Prefix&, const std::vector<IpAddress>&)>;
  using SessionChangeFn = std::function<void()>;

  static Result<std::unique_ptr<Speaker>> create(asio::io_context& io, SpeakerConfig config);
  Speaker(const Speaker&) = delete;
  Speaker& operator=(const Speaker&) = delete;
  ~Speaker();

  Result<void> start();
  void stop();  // Cease to every peer, close the listener
  Result<void> add_peer(PeerConfig config);
  Result<void> remove_peer(const IpAddress& address);
  // New import filters without a session reset: paths outside them go at once, and established
  // peers that negotiated route refresh are sent a ROUTE-REFRESH (RFC 2918) so that routes
  // refused before come again (others send them on their next session).
  void set_allowed(std::vector<Prefix> allowed);
  Result<void> set_import_allow(const IpAddress& peer, std::vector<Prefix> allow);
  // New export filter for a peer's learned routes, without a session reset: what it now may or
  // may no longer get is announced or withdrawn at once.
  Result<void> set_export_allow(const IpAddress& peer, std::vector<Prefix> allow);
  void announce(const Prefix& prefix);
  void withdraw(const Prefix& prefix);
  void on_best_change(BestChangeFn fn) { best_change_ = std::move(fn); }
  // Clears (or sets) the Restarting bit of the OPENs sent from now on: once this node's restart
  // is over, later sessions must not claim one.
  void set_restarting(bool restarting);
  // Called (posted, like best changes) when a session comes up or goes down, or a peer's
  // End-of-RIB arrives.
  void on_session_change(SessionChangeFn fn) { session_change_ = std::move(fn); }
  // Called (posted, at most one pending call) when a peer's status changed otherwise: its
  // received or accepted counts, or a NOTIFICATION sent or received (with or without a session
  // going down), so that a status report need not wait for its next refresh.
  void on_status_change(SessionChangeFn fn) { status_change_ = std::move(fn); }

  uint16_t listen_port() const { return listen_port_; }
  std::vector<PeerStatus> peers() const;
  std::optional<PeerStatus> peer(const IpAddress& address) const;
  std::vector<RouteInfo> routes(const Prefix& prefix) const;
  size_t loc_rib_size() const { return rib_.size(); }
  Rib& rib() { return rib_; }
  const SpeakerConfig& config() const { return config_; }

  // From Peer (the session layer); not for other callers.
  void session_up(Peer& peer, const Negotiated& negotiated, const Connection& c);
  void session_down(Peer& peer, const SessionDown& down, const std::optional<Negotiated>& was);
  void update_received(Peer& peer, const Update& update);
  void refresh_requested(Peer& peer, const AfiSafi& family);
  void peer_status_changed(Peer& peer);

 private:
  struct GrState;
  Speaker(asio::io_context& io, SpeakerConfig config);
  void accept();
  void schedule_export();
  void run_export();
  void export_prefix(Peer& peer, const Prefix& prefix, const PathSet* set);
  void flush(Peer& peer);
  void sweep(PeerId id, std::optional<Family> family);
  Peer* find_peer(const IpAddress& address) const;

  asio::io_context& io_;
  SpeakerConfig config_;
  Rib rib_;
  std::optional<asio::ip::tcp::acceptor> acceptor_;
  uint16_t listen_port_ = 0;
  bool started_ = false;
  std::vector<std::unique_ptr<Peer>> peers_;
  std::unordered_map<PeerId, std::unique_ptr<GrState>> gr_;
  BestChangeFn best_change_;
  SessionChangeFn session_change_;
  SessionChangeFn status_change_;
  bool status_change_posted_ = false;
  void notify_session_change();
  void request_refresh(Peer& peer);
  void check_deferral();
  void end_deferral();
  void send_initial(Peer& peer);  // the whole Loc-RIB as exported to the peer, then End-of-RIB
  bool has_rr_clients() const;
  void reexport_all(Peer& peer);
  bool export_scheduled_ = false;
  bool deferring_ = false;
  std::optional<asio::steady_timer> deferral_timer_;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

}  // namespace weft::bgp
