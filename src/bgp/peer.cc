// A neighbour's connections and their Fsms (see peer.h for the collision rules).
#include "bgp/peer.h"

#include <algorithm>

#include "base/log.h"
#include "bgp/speaker.h"

namespace weft::bgp {

Peer::Peer(Speaker& speaker, asio::io_context& io, PeerConfig config, PeerId id)
    : adj_out(speaker.rib().pool()), speaker_(speaker), io_(io), config_(std::move(config)), id_(id) {
  if (!config_.passive) {
    out_ = std::make_unique<Connection>(io_, Connection::Direction::outbound, fsm_config(false),
                                        [this](Connection& c, const Event& e) { feed(c, e); });
  }
}

Peer::~Peer() { alive_.reset(); }

FsmConfig Peer::fsm_config(bool inbound) const {
  const SpeakerConfig& s = speaker_.config();
  FsmConfig c{.local_as = s.local_as,
              .router_id = s.router_id,
              .peer_as = config_.peer_as,
              .hold_time = config_.hold_time,
              .connect_retry_time = config_.connect_retry_time,
              .passive = inbound || config_.passive,
              .auto_restart = !inbound,
              .families = config_.families};
  if (c.max_connect_retry_time < c.connect_retry_time) c.max_connect_retry_time = c.connect_retry_time;
  if (s.graceful_restart_time > 0) {
    GracefulRestartCapability gr;
    gr.flags = s.restarting ? GracefulRestartCapability::kRestartState : 0;
    gr.restart_time = s.graceful_restart_time;
    for (const AfiSafi& f : config_.families) gr.families.push_back({f, s.forwarding_preserved});
    c.graceful_restart = std::move(gr);
  }
  return c;
}

void Peer::start() {
  stopped_ = false;
  if (out_) feed(*out_, ManualStart{});
}

void Peer::stop() {
  stopped_ = true;
  if (in_) {
    feed(*in_, ManualStop{});
    bury(in_);
  }
  if (out_) feed(*out_, ManualStop{});
}

void Peer::accept(asio::ip::tcp::socket socket) {
  asio::error_code ignored;
  if (stopped_) {
    socket.close(ignored);
    return;
  }
  if (established_ != nullptr) {
    if (!negotiated_ || !negotiated_->peer_graceful_restart) {
      spdlog::info("bgp: {} connected while a session is established; refused",
                   config_.address.to_string());
      socket.close(ignored);
      return;
    }
    spdlog::info("bgp: {} reconnected: graceful restart of the old session",
                 config_.address.to_string());
    feed(*established_, TcpConnectionFails{});
  }
  if (config_.ttl != 0) {
    asio::error_code ec;
    socket.set_option(asio::ip::unicast::hops(config_.ttl), ec);
    if (ec) spdlog::warn("bgp: {}: setting TTL {}: {}", config_.address.to_string(), config_.ttl, ec.message());
  }
  if (in_) bury(in_);
  in_ = std::make_unique<Connection>(io_, Connection::Direction::inbound, fsm_config(true),
                                     [this](Connection& c, const Event& e) { feed(c, e); });
  Connection& c = *in_;
  feed(c, ManualStart{});
  c.attach(std::move(socket));
  feed(c, TcpConnectionConfirmed{});
}

void Peer::feed(Connection& c, const Event& e) {
  for (const Action& a : c.fsm.handle(e)) perform(c, a);
  resolve_collision(c);
}

void Peer::perform(Connection& c, const Action& action) {
  std::visit(
      [&](const auto& a) {
        using T = std::decay_t<decltype(a)>;
        if constexpr (std::is_same_v<T, SendMessage>) {
          c.send(a.bytes);
        } else if constexpr (std::is_same_v<T, StartTimer>) {
          c.start_timer(a.timer, a.duration);
        } else if constexpr (std::is_same_v<T, StopTimer>) {
          c.stop_timer(a.timer);
        } else if constexpr (std::is_same_v<T, ConnectTcp>) {
          c.connect(asio::ip::tcp::endpoint(to_asio(config_.address), config_.port),
                    config_.local_address, config_.md5_password, config_.ttl);
        } else if constexpr (std::is_same_v<T, DropTcp>) {
          c.drop();
        } else if constexpr (std::is_same_v<T, DeliverUpdate>) {
          speaker_.update_received(*this, a.update);
        } else if constexpr (std::is_same_v<T, DeliverRouteRefresh>) {
          speaker_.refresh_requested(*this, a.family);
        } else if constexpr (std::is_same_v<T, SessionEstablished>) {
          established_ = &c;
          negotiated_ = a.negotiated;
          last_error_.clear();
          end_of_rib_.clear();
          established_at_ = std::chrono::system_clock::now();
          spdlog::info("bgp: session with {} established ({})", config_.address.to_string(),
                       c.direction == Connection::Direction::inbound ? "inbound" : "outbound");
          speaker_.session_up(*this, a.negotiated, c);
        } else if constexpr (std::is_same_v<T, SessionDown>) {
          last_error_ = format(Action(a));
          record_notification(c, a);
          if (&c == established_) {
            established_ = nullptr;
            spdlog::info("bgp: {} {}", config_.address.to_string(), last_error_);
            auto was = std::move(negotiated_);
            negotiated_.reset();
            speaker_.session_down(*this, a, was);
            // An inbound session ended: the outbound side may try again.
            if (c.direction == Connection::Direction::inbound && out_ && !stopped_) {
              asio::post(io_, [this, alive = std::weak_ptr<int>(alive_)] {
                if (!alive.expired() && !stopped_ && !established_ && out_->fsm.state == State::idle) {
                  feed(*out_, ManualStart{});
                }
              });
            }
          } else {
            spdlog::debug("bgp: {} {}", config_.address.to_string(), last_error_);
          }
        }
      },
      action);
}

std::string_view to_string(NotificationRecord::Direction direction) {
  return direction == NotificationRecord::Direction::received ? "received" : "sent";
}

void Peer::record_notification(const Connection& c, const SessionDown& down) {
  if (!down.notification) return;
  // A collision's Cease closes the losing duplicate connection, not the session (RFC 4271 §6.8):
  // it happens whenever both ends connect at once, and would hide the NOTIFICATION that matters.
  const bool collision = down.notification->code == code::kCease &&
                         down.notification->subcode == cease_subcode::kConnectionCollision;
  if (collision && &c != established_) return;
  last_notification_ = NotificationRecord{.direction = down.reason == DownReason::notification_received
                                                           ? NotificationRecord::Direction::received
                                                           : NotificationRecord::Direction::sent,
                                          .notification = *down.notification,
                                          .at = std::chrono::system_clock::now()};
  // Also when no session goes down with it (an OPEN refused, a connection in OpenConfirm).
  speaker_.peer_status_changed(*this);
}

void Peer::resolve_collision(Connection& c) {
  if (&c != in_.get() && &c != out_.get()) return;  // already buried
  if (&c == in_.get() && c.fsm.state == State::idle) {
    bury(in_);  // an inbound connection is used once
    return;
  }
  Connection* other = &c == out_.get() ? in_.get() : out_.get();
  if (other == nullptr) return;
  const State mine = c.fsm.state, theirs = other->fsm.state;
  Connection* loser = nullptr;
  if (mine == State::established) {
    loser = other;
  } else if (mine == State::open_confirm && theirs == State::established) {
    loser = &c;
  } else if (mine == State::open_confirm && theirs == State::open_confirm) {
    const Initiator keep = collision_survivor(speaker_.config().router_id, c.fsm.negotiated->peer_id,
                                              speaker_.config().local_as, config_.peer_as);
    loser = keep == Initiator::local ? in_.get() : out_.get();
  }
  if (loser == nullptr) return;
  if (loser->fsm.state >= State::open_sent) {
    spdlog::debug("bgp: {} connection collision: dropping the {} connection",
                  config_.address.to_string(), loser == out_.get() ? "outbound" : "inbound");
    for (const Action& a : loser->fsm.handle(OpenCollisionDump{})) perform(*loser, a);
  }
  if (loser == out_.get()) {
    // Held while the inbound connection lives; restarted when its session ends (or, if the
    // inbound one lost, by its own IdleHoldTimer).
    if (mine == State::established && !out_->fsm.stopped) {
      for (const Action& a : out_->fsm.handle(ManualStop{})) perform(*out_, a);
    }
  } else {
    bury(in_);
  }
}

void Peer::bury(std::unique_ptr<Connection>& c) {
  if (!c) return;
  if (c.get() == established_) established_ = nullptr;
  c->stop_all_timers();
  c->drop();
  graveyard_.push_back(std::move(c));
  // Destroyed later: the connection may be the one whose handler is running now.
  asio::post(io_, [this, alive = std::weak_ptr<int>(alive_)] {
    if (!alive.expired()) graveyard_.clear();
  });
}

void Peer::send(const Bytes& message) {
  if (established_) established_->send(message);
}

void Peer::mark_end_of_rib(const AfiSafi& family) {
  if (std::find(end_of_rib_.begin(), end_of_rib_.end(), family) == end_of_rib_.end()) end_of_rib_.push_back(family);
}

void Peer::set_restarting(bool restarting) {
  // The outbound Fsm lives across attempts with the config it was made with; inbound ones are
  // made per accepted socket from fsm_config(), which reads the speaker's config.
  if (out_ && out_->fsm.config.graceful_restart) {
    auto& flags = out_->fsm.config.graceful_restart->flags;
    using Flags = std::remove_reference_t<decltype(flags)>;
    flags = restarting ? static_cast<Flags>(flags | GracefulRestartCapability::kRestartState)
                       : static_cast<Flags>(flags & ~GracefulRestartCapability::kRestartState);
  }
}

EncodeOptions Peer::encode_options() const {
  return established_ ? established_->fsm.encode_options() : EncodeOptions{};
}

PeerStatus Peer::status() const {
  PeerStatus s;
  s.address = config_.address;
  s.peer_as = config_.peer_as;
  if (established_) {
    s.state = State::established;
    s.end_of_rib = negotiated_ && std::all_of(negotiated_->families.begin(), negotiated_->families.end(),
                                              [&](const AfiSafi& f) {
                                                return std::find(end_of_rib_.begin(), end_of_rib_.end(), f) !=
                                                       end_of_rib_.end();
                                              });
    s.established_at = established_at_;
  } else {
    if (out_) s.state = out_->fsm.state;
    if (in_ && in_->fsm.state > s.state) s.state = in_->fsm.state;
  }
  if (negotiated_) {
    s.peer_id = negotiated_->peer_id;
    s.graceful_restart = negotiated_->peer_graceful_restart.has_value();
  }
  s.received = speaker_.rib().received_count(id_);
  s.accepted = speaker_.rib().path_count(id_);
  s.advertised = adj_out.size();
  s.malformed = malformed_;
  s.last_error = last_error_;
  s.last_notification = last_notification_;
  return s;
}

}  // namespace weft::bgp
