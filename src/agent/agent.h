// Agent: weftd's wiring (DESIGN.md "Inside weftd"). One Asio event loop runs everything that
// touches agent state: store watch batches are posted onto it, reconcile rounds and timers run on
// it, and /healthz and /metrics are answered from it.
//
// Built from what it acts on (AgentEnv): a Store, a KernelOps and a Clock. weftd passes etcd (or
// the embedded store), the netlink kernel and the system clock; the unit tests pass the embedded
// store, the recording FakeKernel and a FakeClock, and drive the loop themselves (io()), with no
// root and no sleeps.
//
// Start: find the underlay, load the local state (VTEP MAC, previous blocks), acquire the node
// lease (reusing the node's live lease after a restart), register the node, read /weft/v1/ into
// the model, claim a block in every pool, then watch /weft/v1/ from the read's revision and
// reconcile on every change and every reconcile interval.
//
// Store calls (issue 9): start() makes its own directly, since the loop serves nothing yet and a
// failure must fail the start. Once the loop runs, every store call of the agent and its
// BgpRunner — node record updates, block claims, lease probes and re-acquires, BGP status —
// goes through the StoreWorker, and its result is applied on the loop when it comes back: a slow
// or hung etcd delays those writes, never BGP keepalives, the IPAM socket, /metrics or a
// reconcile round. (The IPAM service has its own worker thread for the same reason.)
// Stop (SIGTERM/SIGINT): the loop ends; the data plane and the lease stay as they are, so
// traffic keeps flowing and a restart finds everything in place.
#pragma once

#include <asio.hpp>

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "agent/bgp_runner.h"
#include "agent/config.h"
#include "agent/http_server.h"
#include "agent/ipam_service.h"
#include "agent/ipam_socket.h"
#include "agent/local_state.h"
#include "agent/next_hop_resolver.h"
#include "agent/store_worker.h"
#include "agent/underlay.h"
#include "dataplane/desired_state.h"
#include "dataplane/reconciler.h"
#include "model/cluster_model.h"
#include "ipam/block_leases.h"
#include "ipam/node_lease.h"
#include "base/clock.h"
#include "kernel/kernel_ops.h"
#include "kernel/route_watcher.h"
#include "store/store.h"

namespace weft::agent {

struct AgentMetrics {
  uint64_t reconciles = 0;
  uint64_t reconcile_errors = 0;
  uint64_t kernel_changes = 0;
  uint64_t watch_batches = 0;
  uint64_t watch_resyncs = 0;
  uint64_t block_claims = 0;
  uint64_t lease_reacquired = 0;
  uint64_t routes_removed_externally = 0;
  size_t routes = 0;
  size_t problems = 0;
  size_t skipped_store_keys = 0;
  double last_reconcile_ms = 0;
};

struct AgentEnv {
  store::Store& store;
  kernel::KernelOps& kernel;
  const Clock& clock;
  // Route notifications from the kernel (a weft route deleted by hand is restored at once); off
  // in unit tests, which have no kernel to listen to.
  bool kernel_route_events = true;
};

class Agent {
 public:
  Agent(AgentConfig config, AgentEnv env);
  ~Agent();

  // Starts and runs the loop until SIGTERM/SIGINT; returns the process exit code.
  int run();

  // What run() does before the loop: underlay, local state, lease, registration, block claims,
  // store watch, first reconcile, IPAM socket (and /metrics unless its address is "none").
  Result<void> start();
  // One reconcile round now (the loop runs one on every change and every reconcile interval).
  void reconcile();
  asio::io_context& io() { return io_; }
  const AgentMetrics& metrics() const { return metrics_; }
  const model::ClusterModel& model() const { return model_; }
  const std::vector<std::string>& problems() const { return problems_; }
  store::LeaseId lease_id() const { return lease_ ? lease_->id() : 0; }
  IpamService* ipam() { return ipam_.get(); }
  BgpRunner* bgp() { return bgp_.get(); }
  HttpResponse serve_http(const std::string& path);
  // The /metrics address with its real port ("" without one); for tests that ask over HTTP.
  std::string http_address() const { return http_ ? http_->local_address() : ""; }
  // Tests drain it (then run the loop) to apply pending store results deterministically.
  StoreWorker& store_worker() { return *store_worker_; }

 private:
  ipam::ClaimRequest claim_request(const std::string& pool) const;
  // Applies a claim's result (on the loop); false if there was nothing to apply.
  bool block_claimed(const std::string& pool, const Result<ipam::Claim>& claim);
  void claim_blocks();  // posts a claim for every pool without a block and none in flight
  model::Node node_record() const;
  void node_registered(const model::Node& node);
  void register_node();  // posts a write of the record when it changed since the last one
  void on_watch(const store::WatchBatch& batch);
  void schedule_reconcile();
  void arm_periodic();
  void probe_lease();
  void check_lease();
  void watch_kernel_routes();
  void start_bgp();
  std::string metrics_text() const;

  AgentConfig config_;
  AgentEnv env_;
  asio::io_context io_;
  asio::signal_set signals_{io_};
  asio::steady_timer periodic_{io_};
  store::Store* store_;  // env_.store: start() calls it directly, the loop through store_worker_
  // Declared after io_ and destroyed first (~Agent): no store job runs while the agent dies.
  std::unique_ptr<StoreWorker> store_worker_;
  dataplane::Reconciler reconciler_;
  Underlay underlay_;
  NextHopResolver next_hops_{env_.kernel};
  LocalState local_;
  // Shared with the store jobs that use it (a probe may still run when a new lease replaces it).
  std::shared_ptr<ipam::NodeLease> lease_;
  model::ClusterModel model_;
  std::unique_ptr<store::Watch> watch_;
  std::unique_ptr<HttpServer> http_;
  // Route notifications: a weft route removed behind weft's back is restored at once instead of
  // at the next periodic round.
  std::optional<kernel::RouteWatcher> route_watcher_;
  std::optional<asio::posix::stream_descriptor> route_events_;
  bool registered_ = false;
  // Store writes in flight on the worker: none is posted twice, and what changed meanwhile is
  // written after it.
  bool registering_ = false;
  bool register_again_ = false;
  bool reacquiring_ = false;
  std::set<std::string> claiming_;
  bool reconcile_pending_ = false;
  bool healthy_ = false;
  uint32_t workload_mtu_ = 0;
  dataplane::IpipDataplane ipip_dataplane_ = dataplane::IpipDataplane::ebpf;
  std::vector<std::string> problems_;
  std::set<std::string> claimed_pools_;
  AgentMetrics metrics_;
  // BGP for pools with `routes: bgp` (issue 5): created at start, idle while no pool needs it.
  std::unique_ptr<BgpRunner> bgp_;
  // Workload IPAM for weft-cni (issue 4); last, so that they stop before everything they use.
  std::unique_ptr<IpamService> ipam_;
  std::unique_ptr<IpamSocket> ipam_socket_;
};

}  // namespace weft::agent
