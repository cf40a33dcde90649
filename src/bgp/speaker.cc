// The speaker: listener, peers, the RIB, export and graceful restart timers (see speaker.h).
//
// Export is batched: every RIB change (UPDATE, local route, session event) only marks the RIB;
// one posted pass (run_export) then takes the changed prefixes, tells the best-change handler,
// updates each established peer's Adj-RIB-Out and packs the differences into UPDATEs. A burst
// of UPDATEs read in one go thus costs one pass, and a prefix that changes twice is sent once.
//
// Graceful restart, receiving side (RFC 4724 §4.2): when a session that negotiated the
// capability ends without a NOTIFICATION, the peer's routes are marked stale and kept for the
// peer's restart time. When the peer is back, the families it no longer preserves (no F bit) are
// swept at once; the others when its End-of-RIB arrives, or when stale_time passes.
#include "bgp/speaker.h"

#include <algorithm>

#include "base/log.h"
#include "bgp/tcp_md5.h"

namespace weft::bgp {

struct Speaker::GrState {
  explicit GrState(asio::io_context& io) : timer(io) {}
  asio::steady_timer timer;
};

Result<std::unique_ptr<Speaker>> Speaker::create(asio::io_context& io, SpeakerConfig config) {
  if (config.local_as == 0) return fail(Errc::invalid_argument, "bgp: local AS 0");
  if (config.router_id == 0) return fail(Errc::invalid_argument, "bgp: router id 0");
  if (config.graceful_restart_time > 0x0fff) {
    return fail(Errc::invalid_argument, "bgp: graceful restart time above 4095 seconds");
  }
  return std::unique_ptr<Speaker>(new Speaker(io, std::move(config)));
}

Speaker::Speaker(asio::io_context& io, SpeakerConfig config)
    : io_(io),
      config_(std::move(config)),
      rib_(RibConfig{.local_as = config_.local_as,
                     .router_id = config_.router_id,
                     .cluster_id = config_.cluster_id,
                     .allowed = config_.allowed,
                     .max_paths = config_.max_paths,
                     .next_hop_usable = config_.next_hop_usable}) {}

Speaker::~Speaker() {
  alive_.reset();
  peers_.clear();
  gr_.clear();
}

Result<void> Speaker::start() {
  if (config_.listen) {
    const asio::ip::tcp::endpoint ep(to_asio(config_.listen_address), config_.listen_port);
    asio::error_code ec;
    acceptor_.emplace(io_);
    acceptor_->open(ep.protocol(), ec);
    if (!ec) acceptor_->set_option(asio::socket_base::reuse_address(true), ec);
    for (const auto& p : peers_) {
      if (!ec && !p->config().md5_password.empty()) {
        if (auto r = set_tcp_md5(acceptor_->native_handle(), p->config().address, p->config().md5_password); !r) {
          acceptor_.reset();
          return std::unexpected(r.error());
        }
      }
    }
    if (!ec) acceptor_->bind(ep, ec);
    if (!ec) acceptor_->listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      acceptor_.reset();
      return fail(Errc::io, "bgp: listening on ", ep.address().to_string(), " port ",
                  std::to_string(ep.port()), ": ", ec.message());
    }
    listen_port_ = acceptor_->local_endpoint().port();
    accept();
  }
  started_ = true;
  if (config_.restarting) {
    deferring_ = true;
    deferral_timer_.emplace(io_);
    deferral_timer_->expires_after(config_.selection_deferral);
    deferral_timer_->async_wait([this, alive = std::weak_ptr<int>(alive_)](const asio::error_code& ec) {
      if (alive.expired() || ec || !deferring_) return;
      spdlog::info("bgp: selection deferral over before every peer resynced");
      end_deferral();
    });
  }
  for (auto& p : peers_) p->start();
  return {};
}

void Speaker::stop() {
  for (auto& p : peers_) p->stop();
  if (acceptor_) {
    asio::error_code ignored;
    acceptor_->close(ignored);
  }
  started_ = false;
}

void Speaker::accept() {
  acceptor_->async_accept([this, alive = std::weak_ptr<int>(alive_)](const asio::error_code& ec,
                                                                     asio::ip::tcp::socket s) {
    if (alive.expired() || ec == asio::error::operation_aborted || !acceptor_ || !acceptor_->is_open()) return;
    if (!ec) {
      asio::error_code e2;
      const auto remote = s.remote_endpoint(e2);
      Peer* p = e2 ? nullptr : find_peer(to_ip(remote.address()));
      if (p) {
        p->accept(std::move(s));
      } else {
        spdlog::info("bgp: connection from unconfigured {} refused",
                     e2 ? "?" : remote.address().to_string());
        s.close(e2);
      }
    }
    accept();
  });
}

Peer* Speaker::find_peer(const IpAddress& address) const {
  for (const auto& p : peers_) {
    if (p->config().address == address) return p.get();
  }
  return nullptr;
}

Result<void> Speaker::add_peer(PeerConfig c) {
  if (find_peer(c.address)) return fail(Errc::already_exists, "bgp: peer ", c.address.to_string());
  if (c.peer_as == 0) return fail(Errc::invalid_argument, "bgp: peer AS 0");
  if (c.hold_time == 1 || c.hold_time == 2) return fail(Errc::invalid_argument, "bgp: hold time 1 or 2");
  if (c.connect_retry_time.count() <= 0) return fail(Errc::invalid_argument, "bgp: connect retry time");
  if (acceptor_ && !c.md5_password.empty()) {
    if (auto r = set_tcp_md5(acceptor_->native_handle(), c.address, c.md5_password); !r) return r;
  }
  const bool reflector_before = has_rr_clients();
  const PeerId id = rib_.add_peer(RibPeer{.address = c.address,
                                          .peer_as = c.peer_as,
                                          .ebgp = c.peer_as != config_.local_as,
                                          .rr_client = c.rr_client,
                                          .import_allow = c.import_allow});
  peers_.push_back(std::make_unique<Peer>(*this, io_, std::move(c), id));
  if (started_) peers_.back()->start();
  if (has_rr_clients() != reflector_before) {
    for (auto& p : peers_) reexport_all(*p);
  }
  return {};
}

Result<void> Speaker::remove_peer(const IpAddress& address) {
  auto it = std::find_if(peers_.begin(), peers_.end(),
                         [&](const auto& p) { return p->config().address == address; });
  if (it == peers_.end()) return fail(Errc::not_found, "bgp: peer ", address.to_string());
  (*it)->stop();
  const PeerId id = (*it)->id();
  gr_.erase(id);
  rib_.remove_peer(id);
  if (acceptor_ && !(*it)->config().md5_password.empty()) {
    (void)set_tcp_md5(acceptor_->native_handle(), address, "");
  }
  const bool reflector_before = has_rr_clients();
  peers_.erase(it);
  if (has_rr_clients() != reflector_before) {
    for (auto& p : peers_) reexport_all(*p);
  }
  schedule_export();
  check_deferral();  // it may have been the one not back yet
  return {};
}

bool Speaker::has_rr_clients() const {
  return std::any_of(peers_.begin(), peers_.end(), [](const auto& p) { return p->config().rr_client; });
}

// Whether this speaker reflects decides what its iBGP peers may get (RFC 4456 §6); sessions that
// came up before the first client was added are exported to again.
void Speaker::reexport_all(Peer& peer) {
  if (!peer.established() || deferring_) return;
  peer.export_view.reflector = has_rr_clients();
  rib_.for_each([&](const Prefix& p, const PathSet& s) { export_prefix(peer, p, &s); });
  flush(peer);
}

void Speaker::set_restarting(bool restarting) {
  config_.restarting = restarting;
  for (auto& p : peers_) p->set_restarting(restarting);
}

void Speaker::announce(const Prefix& prefix) {
  if (rib_.announce(prefix)) schedule_export();
}

void Speaker::withdraw(const Prefix& prefix) {
  if (rib_.withdraw(prefix)) schedule_export();
}

void Speaker::session_up(Peer& peer, const Negotiated& n, const Connection& c) {
  const PeerId id = peer.id();
  rib_.set_router_id(id, n.peer_id);
  for (auto& p : peers_) p->adj_out.set_memo({});  // rewrites depend on the peers' identifiers
  const PeerConfig& pc = peer.config();
  ExportPeer& view = peer.export_view;
  view = ExportPeer{.id = id,
                    .ebgp = n.ebgp,
                    .rr_client = pc.rr_client,
                    .reflector = has_rr_clients(),
                    .export_allow = pc.export_allow};
  const auto local = c.local_address();
  // Next hop self is the session's own address unless configured (RFC 4271 §5.1.3: on a directly
  // connected eBGP session it must be on the shared link, which the local address is).
  if (local && local->is_v4()) view.next_hop_v4 = local;
  if (pc.next_hop_v4) view.next_hop_v4 = pc.next_hop_v4;
  if (local && !local->is_v4()) view.next_hop_v6 = local;
  if (pc.next_hop_v6) view.next_hop_v6 = pc.next_hop_v6;
  if (!view.next_hop_v6 && local && config_.link_local_of) view.next_hop_v6 = config_.link_local_of(*local);

  if (const auto& gr = n.peer_graceful_restart) {
    std::string families;
    for (const auto& f : gr->families) families += " " + format(f.family) + (f.forwarding_preserved ? "(F)" : "");
    spdlog::debug("bgp: {} graceful restart: flags {:#x}, time {}s, families{}", pc.address.to_string(),
                  gr->flags, gr->restart_time, families);
  }
  if (auto it = gr_.find(id); it != gr_.end()) {
    // The peer is back: families it did not preserve are swept now (RFC 4724 §4.2).
    const auto& gr = n.peer_graceful_restart;
    for (const AfiSafi& f : {kIpv4Unicast, kIpv6Unicast}) {
      const bool kept = gr && std::any_of(gr->families.begin(), gr->families.end(), [&](const auto& x) {
                          return x.family == f && x.forwarding_preserved;
                        });
      if (kept) continue;
      const size_t swept = rib_.sweep_stale(id, f == kIpv4Unicast ? Family::v4 : Family::v6);
      if (swept > 0) {
        spdlog::info("bgp: {} is back without forwarding state for {}: {} stale routes swept",
                     pc.address.to_string(), format(f), swept);
      }
    }
    it->second->timer.expires_after(config_.stale_time);
    it->second->timer.async_wait([this, id, alive = std::weak_ptr<int>(alive_)](const asio::error_code& ec) {
      if (!alive.expired() && !ec) sweep(id, std::nullopt);
    });
    schedule_export();
  }
  notify_session_change();
  if (deferring_) return check_deferral();
  send_initial(peer);
}

void Speaker::send_initial(Peer& peer) {
  rib_.for_each([&](const Prefix& p, const PathSet& s) { export_prefix(peer, p, &s); });
  flush(peer);
  for (const AfiSafi& f : peer.negotiated()->families) {
    if (auto eor = encode(Message(end_of_rib_marker(f)), peer.encode_options())) peer.send(*eor);
  }
}

void Speaker::check_deferral() {
  if (!deferring_) return;
  for (const auto& p : peers_) {
    const auto status = p->status();
    if (status.state != State::established) return;
    const auto& gr = p->negotiated()->peer_graceful_restart;
    const bool peer_restarting = gr && (gr->flags & GracefulRestartCapability::kRestartState);
    if (!peer_restarting && !status.end_of_rib) return;  // a restarting peer defers its own
  }
  end_deferral();
}

void Speaker::end_deferral() {
  deferring_ = false;
  if (deferral_timer_) deferral_timer_->cancel();
  for (auto& p : peers_) {
    if (p->established()) send_initial(*p);
  }
}

void Speaker::set_allowed(std::vector<Prefix> allowed) {
  config_.allowed = allowed;
  const size_t dropped = rib_.set_allowed(std::move(allowed));
  if (dropped > 0) spdlog::info("bgp: {} paths outside the new import filter dropped", dropped);
  for (auto& p : peers_) request_refresh(*p);
  schedule_export();
}

Result<void> Speaker::set_import_allow(const IpAddress& address, std::vector<Prefix> allow) {
  Peer* p = find_peer(address);
  if (!p) return fail(Errc::not_found, "bgp: peer ", address.to_string());
  const size_t dropped = rib_.set_import_allow(p->id(), std::move(allow));
  if (dropped > 0) spdlog::info("bgp: {} paths from {} outside its new import filter dropped", dropped, address.to_string());
  request_refresh(*p);
  schedule_export();
  return {};
}

Result<void> Speaker::set_export_allow(const IpAddress& address, std::vector<Prefix> allow) {
  Peer* p = find_peer(address);
  if (!p) return fail(Errc::not_found, "bgp: peer ", address.to_string());
  p->set_export_allow(std::move(allow));
  reexport_all(*p);
  return {};
}

void Speaker::request_refresh(Peer& peer) {
  if (!peer.established()) return;  // its next session brings everything anyway
  if (!peer.negotiated()->route_refresh) {
    spdlog::warn("bgp: {} does not support route refresh: routes it sent before the filter change come again "
                 "only with its next session", peer.config().address.to_string());
    return;
  }
  for (const AfiSafi& f : peer.negotiated()->families) {
    if (auto m = encode(Message(RouteRefresh{f}), peer.encode_options())) peer.send(*m);
  }
}

void Speaker::session_down(Peer& peer, const SessionDown& down, const std::optional<Negotiated>& was) {
  const PeerId id = peer.id();
  peer.adj_out.clear();
  notify_session_change();
  const auto& gr = was ? was->peer_graceful_restart : std::nullopt;
  // RFC 4724 §4.2 applies to a TCP failure, not to a session closed with a NOTIFICATION.
  if (gr && gr->restart_time > 0 && down.reason == DownReason::tcp_failure) {
    const size_t n = rib_.mark_stale(id);
    spdlog::info("bgp: {} restarting: {} routes kept as stale for {}s", peer.config().address.to_string(),
                 n, gr->restart_time);
    auto& state = gr_[id];
    if (!state) state = std::make_unique<GrState>(io_);
    state->timer.expires_after(Seconds(gr->restart_time));
    state->timer.async_wait([this, id, alive = std::weak_ptr<int>(alive_)](const asio::error_code& ec) {
      if (!alive.expired() && !ec) sweep(id, std::nullopt);
    });
    return;
  }
  gr_.erase(id);
  rib_.drop_routes(id);
  schedule_export();
}

void Speaker::update_received(Peer& peer, const Update& u) {
  if (!u.discarded.empty()) {
    peer.count_malformed();
    for (const DecodeError& e : u.discarded) {
      spdlog::warn("bgp: UPDATE from {}: {}", peer.config().address.to_string(), format(e));
    }
  } else if (auto family = end_of_rib(u)) {
    spdlog::debug("bgp: End-of-RIB {} from {}", format(*family), peer.config().address.to_string());
    peer.mark_end_of_rib(*family);
    notify_session_change();
    if (deferring_) check_deferral();
    if (gr_.count(peer.id())) sweep(peer.id(), family->afi == kAfiIpv6 ? Family::v6 : Family::v4);
    return;
  }
  const ApplyStats stats = rib_.apply(peer.id(), u);
  if (stats.announced + stats.withdrawn + stats.filtered + stats.looped + stats.unusable > 0) {
    peer_status_changed(peer);  // received/accepted moved, maybe without any best change
  }
  if (stats.unusable > 0) {
    spdlog::debug("bgp: {} prefixes from {} refused: next hop not usable from here", stats.unusable,
                  peer.config().address.to_string());
  }
  schedule_export();
}

void Speaker::refresh_requested(Peer& peer, const AfiSafi&) {
  if (deferring_) return;  // the whole table follows when the deferral ends
  peer.adj_out.requeue_all();
  flush(peer);
}

void Speaker::sweep(PeerId id, std::optional<Family> family) {
  const size_t n = rib_.sweep_stale(id, family);
  if (n > 0) spdlog::info("bgp: {} stale routes swept", n);
  if (rib_.stale_count(id) == 0) gr_.erase(id);
  schedule_export();
}

void Speaker::notify_session_change() {
  if (!session_change_) return;
  asio::post(io_, [this, alive = std::weak_ptr<int>(alive_)] {
    if (!alive.expired() && session_change_) session_change_();
  });
}

void Speaker::peer_status_changed(Peer&) {
  if (!status_change_ || status_change_posted_) return;
  status_change_posted_ = true;
  asio::post(io_, [this, alive = std::weak_ptr<int>(alive_)] {
    if (alive.expired()) return;
    status_change_posted_ = false;
    if (status_change_) status_change_();
  });
}

void Speaker::schedule_export() {
  if (export_scheduled_) return;
  export_scheduled_ = true;
  asio::post(io_, [this, alive = std::weak_ptr<int>(alive_)] {
    if (!alive.expired()) run_export();
  });
}

void Speaker::run_export() {
  export_scheduled_ = false;
  const std::vector<Prefix> changes = rib_.take_changes();
  for (const Prefix& p : changes) {
    const PathSet* set = rib_.find(p);
    if (best_change_) best_change_(p, set ? Rib::next_hops(*set) : std::vector<IpAddress>{});
    if (deferring_) continue;  // the peers get the whole table when the deferral ends
    for (auto& peer : peers_) {
      if (peer->established()) export_prefix(*peer, p, set);
    }
  }
  if (deferring_) return;
  for (auto& peer : peers_) flush(*peer);
}

void Speaker::export_prefix(Peer& peer, const Prefix& prefix, const PathSet* set) {
  StoredAttrs* out = nullptr;
  if (set && !set->best().empty() && exportable(rib_, prefix, set->best()[0], peer.export_view)) {
    const Path& best = set->best()[0];
    if (const auto* m = peer.adj_out.memo(best.attrs, best.peer, prefix.family())) {
      out = m->out;
    } else {
      if (auto a = rewrite(rib_, prefix.family(), best, peer.export_view)) out = rib_.pool().intern(*a);
      peer.adj_out.set_memo({best.attrs, best.peer, prefix.family(), out});
    }
  }
  peer.adj_out.set(prefix, out);
}

void Speaker::flush(Peer& peer) {
  if (!peer.established() || !peer.adj_out.pending()) return;
  peer.adj_out.flush(peer.encode_options(), [&](Bytes&& b) { peer.send(b); });
}

std::vector<PeerStatus> Speaker::peers() const {
  std::vector<PeerStatus> out;
  for (const auto& p : peers_) out.push_back(p->status());
  return out;
}

std::optional<PeerStatus> Speaker::peer(const IpAddress& address) const {
  if (Peer* p = find_peer(address)) return p->status();
  return std::nullopt;
}

std::vector<RouteInfo> Speaker::routes(const Prefix& prefix) const {
  std::vector<RouteInfo> out;
  const PathSet* set = rib_.find(prefix);
  if (set == nullptr) return out;
  const size_t n_best = set->best().size();
  const auto paths = set->paths();
  for (size_t i = 0; i < paths.size(); ++i) {
    const Path& p = paths[i];
    out.push_back(RouteInfo{.prefix = prefix,
                            .peer = rib_.facts()[p.peer].address,
                            .next_hop = p.attrs->next_hop,
                            .as_path = p.attrs->attributes().as_path.value_or(AsPath{}),
                            .best = i < n_best,
                            .stale = p.stale()});
  }
  return out;
}

}  // namespace weft::bgp
