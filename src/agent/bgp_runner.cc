#include "agent/bgp_runner.h"

#include <algorithm>
#include <utility>

#include "base/log.h"
#include "base/clock.h"
#include "model/keys.h"

namespace weft::agent {
namespace {

int64_t unix_seconds(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

// The speaker's record in the store's terms: the words are made here, where the codes are known,
// so that the CLI (and etcdctl readers) need no BGP vocabulary.
std::optional<model::BgpNotificationStatus> notification_status(const std::optional<bgp::NotificationRecord>& r) {
  if (!r) return std::nullopt;
  return model::BgpNotificationStatus{std::string(bgp::to_string(r->direction)), r->notification.code,
                                      r->notification.subcode, bgp::notification_text(r->notification),
                                      unix_seconds(r->at)};
}

}  // namespace

BgpRunner::BgpRunner(asio::io_context& io, StoreWorker& store, Options options)
    : io_(io), store_(store), options_(std::move(options)), publish_timer_(io) {}

BgpRunner::~BgpRunner() {
  alive_.reset();
  // No stop(): closing the sockets without a Cease lets peers that negotiated graceful restart
  // keep forwarding to this node until it is back.
  speaker_.reset();
}

void BgpRunner::keep_routes_from_before(dataplane::LearnedRoutes routes) {
  kept_ = std::move(routes);
  kept_until_ = options_.clock->now() + options_.restart_time;
  restarting_ = !kept_.empty();
  if (!kept_.empty()) spdlog::info("bgp: keeping {} routes from before the restart until the peers resync", kept_.size());
}

dataplane::LearnedRoutes BgpRunner::routes() const {
  dataplane::LearnedRoutes out = kept_;
  for (const auto& [prefix, hops] : learned_) out[prefix] = hops;
  return out;
}

size_t BgpRunner::sessions_established() const {
  if (!speaker_) return 0;
  const auto peers = speaker_->peers();
  return static_cast<size_t>(std::count_if(peers.begin(), peers.end(), [](const bgp::PeerStatus& p) {
    return p.state == bgp::State::established;
  }));
}

void BgpRunner::apply(const bgp::BgpPlan& plan) {
  problems_ = plan.problems;
  if (!plan.enabled) {
    if (speaker_) stop_speaker();
    applied_ = plan;
    kept_.clear();
    schedule_publish();  // removes a status left from before
    return;
  }
  if (speaker_ && (plan.local_as != applied_.local_as || plan.router_id != applied_.router_id)) {
    restart_speaker();
  }
  if (speaker_ && plan.allowed != applied_.allowed) {
    spdlog::info("bgp: the BGP pools changed: new import filter, routes asked for again");
    speaker_->set_allowed(plan.allowed);
  }
  if (!speaker_) {
    start_speaker(plan);
    if (!speaker_) {
      check_kept(/*after_session_event=*/false);  // kept routes still expire without a speaker
      return;
    }
  }
  // Sessions: remove what is gone or changed, then add what is new.
  for (const auto& old : applied_.peers) {
    auto now = std::find_if(plan.peers.begin(), plan.peers.end(), [&](const bgp::PlannedPeer& p) {
      return bgp::same_session(p.config, old.config);
    });
    if (now != plan.peers.end()) continue;
    spdlog::info("bgp: removing peer {} ({})", old.name, old.config.address.to_string());
    if (auto r = speaker_->remove_peer(old.config.address); !r) spdlog::warn("{}", r.error().describe());
  }
  for (const auto& p : plan.peers) {
    auto old = std::find_if(applied_.peers.begin(), applied_.peers.end(), [&](const bgp::PlannedPeer& o) {
      return bgp::same_session(o.config, p.config);
    });
    if (old != applied_.peers.end() && old->config.import_allow != p.config.import_allow) {
      if (auto r = speaker_->set_import_allow(p.config.address, p.config.import_allow); !r) {
        problems_.push_back(r.error().describe());
      }
    }
    if (old != applied_.peers.end() && old->config.export_allow != p.config.export_allow) {
      if (auto r = speaker_->set_export_allow(p.config.address, p.config.export_allow); !r) {
        problems_.push_back(r.error().describe());
      }
    }
    if (speaker_->peer(p.config.address)) continue;
    spdlog::info("bgp: peer {} ({} AS {}, {})", p.name, p.config.address.to_string(), p.config.peer_as, p.kind);
    if (auto r = speaker_->add_peer(p.config); !r) problems_.push_back(r.error().describe());
  }
  for (const auto& prefix : applied_.announce) {
    if (!std::binary_search(plan.announce.begin(), plan.announce.end(), prefix)) speaker_->withdraw(prefix);
  }
  for (const auto& prefix : plan.announce) speaker_->announce(prefix);  // no-op when announced already
  applied_ = plan;
  check_kept(/*after_session_event=*/false);
  schedule_publish();
}

void BgpRunner::start_speaker(const bgp::BgpPlan& plan) {
  auto speaker = bgp::Speaker::create(
      io_, bgp::SpeakerConfig{.local_as = plan.local_as,
                              .router_id = plan.router_id,
                              .listen_port = options_.listen_port,
                              .allowed = plan.allowed,
                              .graceful_restart_time = static_cast<uint16_t>(options_.restart_time.count()),
                              .restarting = restarting_,
                              .next_hop_usable = options_.next_hop_usable,
                              .link_local_of = options_.link_local_of});
  if (!speaker) {
    problems_.push_back(speaker.error().describe());
    return;
  }
  (*speaker)->on_best_change([this](const Prefix& p, const std::vector<IpAddress>& hops) { on_best(p, hops); });
  (*speaker)->on_session_change([this] {
    check_kept(/*after_session_event=*/true);
    schedule_publish();
  });
  // Counts and NOTIFICATIONs that move without a session event (an OPEN refused, a filtered
  // prefix): published too, not only at the next refresh.
  (*speaker)->on_status_change([this] { schedule_publish(); });
  if (auto r = (*speaker)->start(); !r) {
    spdlog::warn("{}", r.error().describe());
    problems_.push_back(r.error().describe());
    return;  // tried again at the next reconcile
  }
  speaker_ = std::move(*speaker);
  applied_ = bgp::BgpPlan{};  // a fresh speaker has no peers and announces nothing
  spdlog::info("bgp: speaker up, AS {}, router id {}{}", plan.local_as, IpAddress::v4(plan.router_id).to_string(),
               plan.route_reflector ? ", route reflector" : "");
}

void BgpRunner::restart_speaker() {
  // As if weftd restarted: the sessions close without a Cease, so the peers keep this node's
  // routes (graceful restart), and what was learned stays in the kernel until the new sessions
  // have resynced. A Cease and a fresh start would cut every route in the pools for a while.
  spdlog::info("bgp: AS number or router id changed: restarting the speaker gracefully");
  for (const auto& [prefix, hops] : learned_) kept_[prefix] = hops;
  learned_.clear();
  kept_until_ = options_.clock->now() + options_.restart_time;
  restarting_ = true;
  speaker_.reset();  // not from inside the speaker: apply() runs from the reconcile
  applied_ = bgp::BgpPlan{};
}

void BgpRunner::stop_speaker() {
  speaker_->on_best_change({});
  speaker_->on_session_change({});
  speaker_->on_status_change({});
  speaker_->stop();
  // Stopping sends Ceases; destroying right away would cut them off, so the speaker lives until
  // the loop has written them.
  asio::post(io_, [s = std::shared_ptr<bgp::Speaker>(std::move(speaker_))] {});
  if (!learned_.empty()) {
    learned_.clear();
    if (options_.routes_changed) options_.routes_changed();
  }
  applied_ = bgp::BgpPlan{};
  schedule_publish();
}

void BgpRunner::on_best(const Prefix& prefix, const std::vector<IpAddress>& hops) {
  kept_.erase(prefix);  // the speaker knows this prefix now
  if (hops.empty()) {
    learned_.erase(prefix);
  } else {
    learned_[prefix] = hops;
  }
  if (options_.routes_changed) options_.routes_changed();
  schedule_publish();
}

void BgpRunner::check_kept(bool after_session_event) {
  if (!restarting_) return;
  // Whether the peers have resynced is only concluded from the speaker's session notification:
  // it is posted after an End-of-RIB, so the best changes of the UPDATEs before it have reached
  // on_best(). A peer's status says End-of-RIB as soon as it is read, which a reconcile running
  // in between would take for "resynced" while that peer's routes are still on their way.
  bool synced = after_session_event && speaker_ != nullptr;
  if (synced) {
    for (const auto& p : applied_.peers) {
      auto s = speaker_->peer(p.config.address);
      synced &= s && s->state == bgp::State::established && s->end_of_rib;
    }
  }
  const bool expired = options_.clock->now() >= kept_until_;
  if (!synced && !expired) return;
  // The restart is over (even when every kept route was learned again before): later OPENs no
  // longer claim one.
  restarting_ = false;
  if (speaker_) speaker_->set_restarting(false);
  spdlog::info("bgp: restart over ({}); {} routes kept from before and not learned again dropped",
               synced ? "every peer sent End-of-RIB" : "restart time over", kept_.size());
  if (kept_.empty()) return;
  kept_.clear();
  if (options_.routes_changed) options_.routes_changed();
}

model::BgpNodeStatus BgpRunner::status() const {
  model::BgpNodeStatus s{options_.node, applied_.local_as, IpAddress::v4(applied_.router_id).to_string(),
                        applied_.route_reflector, 0, {}};
  if (!speaker_) return s;
  for (const auto& p : applied_.peers) {
    auto peer = speaker_->peer(p.config.address);
    if (!peer) continue;
    const bool up = peer->state == bgp::State::established;
    s.sessions.push_back(model::BgpSessionStatus{.peer = p.name,
                                                .kind = p.kind,
                                                .address = p.config.address,
                                                .as_number = p.config.peer_as,
                                                .state = std::string(bgp::to_string(peer->state)),
                                                .established_at_unix = up ? unix_seconds(peer->established_at) : 0,
                                                .received = peer->received,
                                                .accepted = peer->accepted,
                                                .advertised = peer->advertised,
                                                .last_error = peer->last_error,
                                                .last_notification = notification_status(peer->last_notification)});
  }
  return s;
}

void BgpRunner::schedule_publish(std::chrono::milliseconds delay) {
  const auto at = std::chrono::steady_clock::now() + delay;
  if (publish_pending_ && publish_timer_.expiry() <= at) return;
  publish_pending_ = true;
  // Batched: a burst of route or session changes costs one store write.
  publish_timer_.expires_at(at);
  publish_timer_.async_wait([this, alive = std::weak_ptr<int>(alive_)](const asio::error_code& ec) {
    if (alive.expired() || ec) return;
    publish_pending_ = false;
    publish();
  });
}

void BgpRunner::publish() {
  if (writing_) {
    publish_again_ = true;  // decided on what the write in flight leaves behind
    return;
  }
  const std::string key = model::keys::bgp_status(options_.node);
  // Completions of writes run on the loop, maybe after this runner is gone.
  auto done = [this, alive = std::weak_ptr<int>(alive_)](auto apply) {
    return [this, alive, apply = std::move(apply)](const auto& r) {
      if (alive.expired()) return;
      writing_ = false;
      if (r) {
        apply();
      } else {
        spdlog::warn("bgp status: {}", r.error().describe());
      }
      if (std::exchange(publish_again_, false)) publish();
    };
  };
  if (!applied_.enabled) {
    // Also once after a start: a status written before a restart may hang on a lease kept since.
    if (published_ || !status_cleared_) {
      writing_ = true;
      store_.post([key](store::Store& store) { return store.remove(key); }, done([this] {
        published_.reset();
        status_cleared_ = true;
      }));
    }
    return;
  }
  // Unchanged status is still rewritten now and then, so that `weft bgp status` can tell a
  // report that is merely old from a weftd that stopped reporting (its lease may live for hours);
  // and at once under a new lease (the old one took the key with it).
  schedule_publish(kStatusRefresh);
  auto s = status();
  const auto now = options_.clock->now();
  const int64_t lease = options_.lease ? options_.lease() : 0;
  // (With some slack: the refresh timer fires about kStatusRefresh after the last write.)
  const bool fresh = now - published_at_ < kStatusRefresh - std::chrono::seconds(5);
  if (published_ && *published_ == s && lease == published_lease_ && fresh) return;
  auto stamped = s;
  stamped.updated_at_unix = options_.clock->unix_seconds();
  writing_ = true;
  store_.post([key, value = dump_json(model::encode(stamped)), lease](store::Store& store) {
    return store.put(key, value, lease);
  }, done([this, s, now, lease] {
    published_ = s;
    published_at_ = now;
    published_lease_ = lease;
    status_cleared_ = false;
  }));
}

}  // namespace weft::agent
