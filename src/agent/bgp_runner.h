// BgpRunner: weftd's BGP side for pools with `routes: bgp` (issue 5). It owns the Speaker,
// applies each reconcile's BgpPlan to it (sessions added, changed or removed; own blocks
// announced or withdrawn), keeps the learned best routes for the desired state, and publishes
// the node's session status under /weft/v1/bgp/status/<node> for `weft bgp status`: on change
// (batched over 500 ms) and at least every kStatusRefresh.
//
// weftd's own graceful restart: the routes weft installed before a restart stay in the kernel.
// keep_routes_from_before() hands them in; they stay part of routes() (so the reconciler leaves
// them alone) until the speaker says something about the prefix, or every planned peer is
// Established and has sent its End-of-RIB, or the restart time passes. Meanwhile the OPEN
// carries the Restarting bit, and since weftd never sends a Cease on SIGTERM, the peers keep
// this node's routes as stale across its restart (RFC 4724).
//
// A change of AS number or router id restarts the speaker the same graceful way: the learned
// routes become kept routes, the sessions close without a Cease. A change of the BGP pools (or a
// peer's accepted prefixes) only changes the import filter and asks the peers for their routes
// again (route refresh): no session ends.
//
// Everything runs on the agent's io_context thread, but the status writes: they go through the
// agent's StoreWorker (a hung store must not stall the sessions' keepalives), one at a time, and
// a status that changed while one was in flight is written after it.
#pragma once

#include <asio.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>

#include "base/clock.h"
#include "agent/store_worker.h"
#include "bgp/mesh_plan.h"
#include "bgp/speaker.h"
#include "dataplane/desired_state.h"
#include "model/bgp_config.h"

namespace weft::agent {

class BgpRunner {
 public:
  static constexpr std::chrono::seconds kStatusRefresh{60};
  struct Options {
    std::string node;
    uint16_t listen_port = 179;
    std::chrono::seconds restart_time{120};
    std::function<void()> routes_changed;     // schedule a reconcile
    std::function<int64_t()> lease;           // the node lease status keys hang on
    const Clock* clock = &system_clock();     // decides when the restart time is over
    bgp::NextHopCheck next_hop_usable;        // bgp/rib.h; empty: every next hop is
    std::function<std::optional<IpAddress>(const IpAddress&)> link_local_of;  // bgp/speaker.h
  };
  BgpRunner(asio::io_context& io, StoreWorker& store, Options options);
  ~BgpRunner();  // closes the sessions without a Cease: peers keep our routes (graceful restart)

  void keep_routes_from_before(dataplane::LearnedRoutes routes);
  void apply(const bgp::BgpPlan& plan);
  // Learned best routes, plus the ones kept from before a restart.
  dataplane::LearnedRoutes routes() const;

  size_t sessions_established() const;
  size_t routes_learned() const { return learned_.size(); }
  size_t routes_kept() const { return kept_.size(); }
  const std::vector<std::string>& problems() const { return problems_; }

 private:
  void start_speaker(const bgp::BgpPlan& plan);
  void stop_speaker();
  void restart_speaker();
  void on_best(const Prefix& prefix, const std::vector<IpAddress>& hops);
  void check_kept(bool after_session_event);
  void schedule_publish(std::chrono::milliseconds delay = std::chrono::milliseconds(500));
  void publish();
  model::BgpNodeStatus status() const;

  asio::io_context& io_;
  StoreWorker& store_;
  Options options_;
  std::unique_ptr<bgp::Speaker> speaker_;
  bgp::BgpPlan applied_;  // what the speaker runs now
  dataplane::LearnedRoutes learned_, kept_;
  std::chrono::steady_clock::time_point kept_until_{};
  bool restarting_ = false;  // a restart (weftd's or the speaker's) is not over yet
  std::vector<std::string> problems_;
  asio::steady_timer publish_timer_;
  bool publish_pending_ = false;
  std::optional<model::BgpNodeStatus> published_;
  std::chrono::steady_clock::time_point published_at_{};
  int64_t published_lease_ = 0;
  bool status_cleared_ = false;
  bool writing_ = false;        // a status write is on the store worker
  bool publish_again_ = false;  // publish() was asked for meanwhile
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

}  // namespace weft::agent
