#include "agent/agent.h"

#include <chrono>
#include <fstream>
#include <utility>

#include "base/log.h"
#include "bgp/mesh_plan.h"
#include "dataplane/next_hops.h"
#include "dataplane/ipip.h"
#include "ipam/block_leases.h"
#include "ipam/lost_blocks.h"
#include "ipam/node_registry.h"
#include "model/keys.h"
#include "policy/model_view.h"

namespace weft::agent {
namespace {

using Stopwatch = std::chrono::steady_clock;  // measures reconcile durations, not agent time

// Resident set size from /proc/self/statm, for /metrics.
uint64_t resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  uint64_t pages_total = 0, pages_resident = 0;
  statm >> pages_total >> pages_resident;
  return pages_resident * 4096;
}

}  // namespace

Agent::Agent(AgentConfig config, AgentEnv env)
    : config_(std::move(config)),
      env_(env),
      store_(&env.store),
      store_worker_(std::make_unique<StoreWorker>(io_, env.store)),
      reconciler_(env.kernel) {}

Agent::~Agent() {
  watch_.reset();  // stop callbacks before the loop and model go away
  store_worker_.reset();  // finishes the store call in progress; the queued ones are dropped
  if (route_events_) route_events_->release();  // the watcher closes its own socket
}

int Agent::run() {
  bool stopping = false;
  signals_.add(SIGTERM);
  signals_.add(SIGINT);
  signals_.async_wait([this, &stopping](const asio::error_code&, int signal) {
    spdlog::info("signal {}: stopping; the data plane and the node lease stay in place", signal);
    stopping = true;
    io_.stop();
  });
  // A store that cannot be reached is waited for, never a reason to exit (issue 13): the data
  // plane a previous weftd left stays untouched meanwhile, since nothing is reconciled before the
  // cluster state has been read.
  for (auto pause = std::chrono::seconds(1);; pause = std::min(pause * 2, std::chrono::seconds(10))) {
    auto r = start();
    if (r) break;
    if (r.error().code != Errc::unavailable) {
      spdlog::error("weftd: {}", r.error().describe());
      return 1;
    }
    spdlog::warn("weftd: {}; the data plane stays as it is; trying again in {} s", r.error().describe(), pause.count());
    io_.run_for(pause);
    if (stopping) return 0;
    io_.restart();
  }
  io_.run();
  return 0;
}

Result<void> Agent::start() {
  auto underlay = config_.interface.empty() ? underlay_by_route(env_.kernel, config_.can_reach)
                                            : underlay_by_interface(env_.kernel, config_.interface);
  if (!underlay) return wrap(underlay.error(), "finding the underlay");
  underlay_ = *underlay;
  spdlog::info("node {}: underlay {} on {} (mtu {})", config_.node_name, underlay_.address.to_string(),
               underlay_.device, underlay_.mtu);
  // auto: the kernel's IPIP when it has the ipip module (its fallback device tunl0 is in every
  // namespace), weft's eBPF programs otherwise.
  ipip_dataplane_ = config_.dataplane == "kernel" ? dataplane::IpipDataplane::kernel
                    : config_.dataplane == "ebpf" ? dataplane::IpipDataplane::ebpf
                    : env_.kernel.find_link(dataplane::kIpipKernelDevice) ? dataplane::IpipDataplane::kernel
                                                                         : dataplane::IpipDataplane::ebpf;
  spdlog::info("IPIP data plane: {}", dataplane::to_string(ipip_dataplane_));

  auto local = load_local_state(config_.state_dir);
  if (!local) return std::unexpected(local.error());
  local_ = *local;
  if (auto r = save_local_state(config_.state_dir, local_); !r) return r;

  for (const char* key : {"net.ipv4.ip_forward", "net.ipv6.conf.all.forwarding"}) {
    if (auto r = env_.kernel.write_sysctl(key, "1"); !r) spdlog::warn("{}", r.error().describe());
  }

  auto lease = ipam::NodeLease::acquire(*store_, {.node = config_.node_name, .ttl_seconds = config_.lease_ttl_seconds});
  if (!lease) return wrap(lease.error(), "acquiring the node lease");
  lease_ = std::move(*lease);
  spdlog::info("node lease {:x} ({}, ttl {} s)", lease_->id(), lease_->reused() ? "kept from before" : "new",
               config_.lease_ttl_seconds);

  auto all = store_->list(std::string(model::keys::root));
  if (!all) return wrap(all.error(), "reading the cluster state");
  model_.reset(all->kvs, all->revision);
  // BGP listens, with every session configured, before the node record appears: the other nodes
  // connect as soon as they see it, and a refused first attempt would cost them a retry.
  model_.nodes[config_.node_name] = node_record();
  start_bgp();
  const model::Node node = node_record();
  if (auto r = ipam::register_node(*store_, node); !r) return r;
  node_registered(node);
  for (const auto& [name, pool] : model_.pools) {
    if (!pool.disabled) block_claimed(name, ipam::claim_block(*store_, claim_request(name)));
  }
  if (auto r = save_local_state(config_.state_dir, local_); !r) return r;

  auto watch = store_->watch(std::string(model::keys::root), model_.revision + 1,
                             [this](const store::WatchBatch& batch) {
                               asio::post(io_, [this, batch] { on_watch(batch); });
                             });
  if (!watch) return wrap(watch.error(), "watching the store");
  watch_ = std::move(*watch);

  if (config_.metrics_address != "none") {
    auto http = HttpServer::listen(io_, config_.metrics_address, [this](const std::string& p) { return serve_http(p); });
    if (!http) return std::unexpected(http.error());
    http_ = std::move(*http);
    spdlog::info("serving /healthz and /metrics on {}", http_->local_address());
  }
  if (!env_.kernel_route_events) {
    // (unit tests: no kernel to listen to)
  } else if (auto watcher = kernel::RouteWatcher::open()) {
    route_watcher_.emplace(std::move(*watcher));
    // The descriptor stays owned by the watcher: release() before the stream_descriptor dies.
    route_events_.emplace(io_, route_watcher_->fd());
    watch_kernel_routes();
  } else {
    spdlog::warn("no route notifications ({}); relying on the periodic reconcile", watcher.error().describe());
  }
  reconcile();
  arm_periodic();
  // After the first reconcile, so that the workload MTU told to weft-cni is known.
  ipam_ = std::make_unique<IpamService>(*store_, env_.kernel,
                                        IpamService::Options{.node = config_.node_name, .clock = &env_.clock,
                                                             .journal_path = config_.state_dir + "/ipam-owed.json"});
  ipam_->set_node_facts(lease_->id(), workload_mtu_);
  auto ipam_socket = IpamSocket::listen(io_, config_.socket_path, *ipam_);
  if (!ipam_socket) return wrap(ipam_socket.error(), "serving the IPAM socket");
  ipam_socket_ = std::move(*ipam_socket);
  return {};
}

void Agent::watch_kernel_routes() {
  route_events_->async_wait(asio::posix::stream_descriptor::wait_read, [this](const asio::error_code& ec) {
    if (ec) return;
    auto events = route_watcher_->poll(std::chrono::milliseconds(0));
    bool ours_removed = !events;  // lost notifications: resync to be sure
    if (events) {
      for (const auto& e : *events) {
        ours_removed |= e.kind == kernel::RouteEvent::Kind::deleted && e.route.protocol == kernel::kWeftRouteProtocol;
      }
    }
    if (ours_removed) {
      ++metrics_.routes_removed_externally;
      schedule_reconcile();
    }
    watch_kernel_routes();
  });
}

void Agent::start_bgp() {
  next_hops_.new_round(underlay_.address, model_);
  bgp_ = std::make_unique<BgpRunner>(io_, *store_worker_,
                                     BgpRunner::Options{.node = config_.node_name,
                                                        .routes_changed = [this] { schedule_reconcile(); },
                                                        .lease = [this] { return lease_->id(); },
                                                        .clock = &env_.clock,
                                                        .next_hop_usable = [this](const IpAddress& hop, const IpAddress& from) {
                                                          return next_hops_.usable(hop, from);
                                                        },
                                                        .link_local_of = [this](const IpAddress& local) {
                                                          return dataplane::link_local_of(local, env_.kernel);
                                                        }});
  // Routes weft installed for BGP pools before a restart stay until the sessions are back.
  const auto plan = bgp::plan_bgp(model_, config_.node_name);
  if (!plan.enabled) return;
  auto installed = env_.kernel.list_routes();
  if (!installed) {
    spdlog::warn("bgp: reading the routes kept from before: {}", installed.error().describe());
    return bgp_->apply(plan);
  }
  // What BGP may have installed: prefixes in the BGP pools, or accepted from an external peer.
  std::vector<Prefix> importable = plan.allowed;
  for (const auto& p : plan.peers) importable.insert(importable.end(), p.config.import_allow.begin(), p.config.import_allow.end());
  dataplane::LearnedRoutes kept;
  for (const auto& route : *installed) {
    if (route.type != kernel::RouteType::unicast || route.nexthops.empty()) continue;
    const bool importable_prefix = std::any_of(importable.begin(), importable.end(),
                                               [&](const Prefix& p) { return p.contains(route.destination); });
    const bool store_routed = std::any_of(model_.pools.begin(), model_.pools.end(), [&](const auto& pool) {
      return !model::routed_by_bgp(pool.second) && pool.second.cidr.contains(route.destination);
    });
    if (!importable_prefix || store_routed) continue;
    auto& hops = kept[route.destination];
    for (const auto& nh : route.nexthops) {
      if (nh.gateway) hops.push_back(*nh.gateway);
    }
  }
  std::erase_if(kept, [](const auto& kv) { return kv.second.empty(); });
  bgp_->keep_routes_from_before(std::move(kept));
  bgp_->apply(plan);
}

model::Node Agent::node_record() const {
  return model::Node{config_.node_name, {underlay_.address}, config_.labels, underlay_.link_local,
                    local_.vtep_mac.to_string(), static_cast<int>(workload_mtu_), problems_,
                    std::string(dataplane::to_string(ipip_dataplane_))};
}

void Agent::node_registered(const model::Node& node) {
  registered_ = true;
  model_.nodes[config_.node_name] = node;  // the watch will confirm it
}

void Agent::register_node() {
  const model::Node node = node_record();
  auto it = model_.nodes.find(config_.node_name);
  if (registered_ && it != model_.nodes.end() && it->second == node) return;
  if (registering_) {
    register_again_ = true;  // compared again, and written if still new, when this write is done
    return;
  }
  registering_ = true;
  store_worker_->post([node](store::Store& store) { return ipam::register_node(store, node); },
                      [this, node](Result<void> r) {
                        registering_ = false;
                        if (r) {
                          node_registered(node);
                        } else {
                          spdlog::warn("updating the node record: {}", r.error().describe());
                        }
                        if (std::exchange(register_again_, false)) register_node();
                      });
}

ipam::ClaimRequest Agent::claim_request(const std::string& pool) const {
  std::optional<Prefix> preferred;
  if (auto it = local_.blocks.find(pool); it != local_.blocks.end()) preferred = it->second;
  return {.pool = pool, .node = config_.node_name, .lease = lease_->id(), .preferred = preferred};
}

bool Agent::block_claimed(const std::string& name, const Result<ipam::Claim>& claim) {
  if (!claim) {
    // One full pool must not keep the node from the others; the next change retries.
    spdlog::warn("pool {}: {}", name, claim.error().describe());
    return false;
  }
  ++metrics_.block_claims;
  claimed_pools_.insert(name);
  spdlog::info("pool {}: block {} ({})", name, claim->block.to_string(),
               claim->already_held ? "held already" : "claimed");
  local_.blocks[name] = claim->block;
  // Make the model aware now; the watch event for it follows.
  model::BlockAffinity affinity{name, claim->block, config_.node_name, false, 0};
  model_.blocks[model::keys::block(name, claim->block)] = affinity;
  return true;
}

void Agent::claim_blocks() {
  for (const auto& [name, pool] : model_.pools) {
    if (pool.disabled || claimed_pools_.contains(name) || claiming_.contains(name)) continue;
    claiming_.insert(name);
    const ipam::ClaimRequest request = claim_request(name);
    store_worker_->post([request](store::Store& store) { return ipam::claim_block(store, request); },
                        [this, request](Result<ipam::Claim> claim) {
                          claiming_.erase(request.pool);
                          // Claimed under a lease replaced meanwhile: claim again under the new one.
                          if (request.lease != lease_->id()) return claim_blocks();
                          // The pool was deleted meanwhile: the watch has the store's word on it.
                          if (!model_.pools.contains(request.pool)) return;
                          if (!block_claimed(request.pool, claim)) return;
                          if (auto r = save_local_state(config_.state_dir, local_); !r) {
                            spdlog::warn("{}", r.error().describe());
                          }
                          schedule_reconcile();  // the block's own route
                        });
  }
}

void Agent::on_watch(const store::WatchBatch& batch) {
  ++metrics_.watch_batches;
  if (batch.resync) {
    ++metrics_.watch_resyncs;
    spdlog::warn("store watch resynced at revision {} (history was compacted)", batch.revision);
  }
  // Our liveness key hangs on our lease: its deletion means the store expired or revoked the
  // lease. Ask the store now (renew() marks the lease lost) instead of at the next renewal. (The
  // model ignores liveness keys, so this comes before its verdict on the batch.)
  const std::string liveness = model::keys::liveness(config_.node_name);
  for (const auto& e : batch.events) {
    if (e.kv.key == liveness && e.type == store::WatchEvent::Type::remove) probe_lease();
  }
  check_lease();
  const uint64_t policy_before = model_.policy_generation;
  if (!model_.apply(batch)) {
    // Endpoints, namespaces and policies shape only the policy table: reconcile for them, with
    // no block claims to look at.
    if (model_.policy_generation != policy_before) schedule_reconcile();
    return;
  }
  // A pool may have appeared, or one of our blocks vanished (lease expired, released by hand).
  std::set<std::string> held;
  for (const auto& b : model_.blocks_of(config_.node_name)) held.insert(b.pool);
  std::erase_if(claimed_pools_, [&](const std::string& pool) { return !held.contains(pool); });
  bool missing = false;
  for (const auto& [name, pool] : model_.pools) missing |= !pool.disabled && !held.contains(name);
  if (missing) claim_blocks();
  schedule_reconcile();
}

void Agent::schedule_reconcile() {
  if (reconcile_pending_) return;
  reconcile_pending_ = true;
  asio::post(io_, [this] {
    reconcile_pending_ = false;
    reconcile();
  });
}

void Agent::probe_lease() {
  store_worker_->post([lease = lease_](store::Store&) { return lease->renew(); },
                      [this](Result<void>) { check_lease(); });  // a failed renewal marks the lease lost
}

void Agent::check_lease() {
  if (!lease_->lost() || reacquiring_) return;
  reacquiring_ = true;
  spdlog::warn("node lease lost (the store expired it); acquiring a new one and claiming blocks again");
  const ipam::NodeLease::Options options{.node = config_.node_name, .ttl_seconds = config_.lease_ttl_seconds};
  store_worker_->post(
      [options](store::Store& store) -> Result<std::shared_ptr<ipam::NodeLease>> {
        auto lease = ipam::NodeLease::acquire(store, options);
        if (!lease) return std::unexpected(lease.error());
        return std::shared_ptr<ipam::NodeLease>(std::move(*lease));
      },
      [this](Result<std::shared_ptr<ipam::NodeLease>> lease) {
        reacquiring_ = false;
        if (!lease) return spdlog::warn("{}", lease.error().describe());  // the next round tries again
        // The old lease's renewer may be in a store call: it stops (and is joined) on the worker.
        store_worker_->post([old = std::exchange(lease_, std::move(*lease))](store::Store&) { return Result<void>{}; },
                            [](Result<void>) {});
        ++metrics_.lease_reacquired;
        claimed_pools_.clear();
        claim_blocks();
        if (ipam_) ipam_->set_node_facts(lease_->id(), workload_mtu_);
      });
}

void Agent::reconcile() {
  const auto start = Stopwatch::now();
  check_lease();
  dataplane::LocalFacts facts{.node = config_.node_name,
                                    .underlay = underlay_.address,
                                    .underlay_device = underlay_.device,
                                    .underlay_ifindex = underlay_.ifindex,
                                    .underlay_mtu = underlay_.mtu,
                                    .vtep_mac = local_.vtep_mac,
                                    .vxlan = {config_.vxlan_vni, config_.vxlan_port},
                                    .ipip = ipip_dataplane_,
                                    .bpf_dir = config_.bpf_dir};
  next_hops_.new_round(underlay_.address, model_);
  dataplane::LearnedRoutes learned;
  if (bgp_) {
    bgp_->apply(bgp::plan_bgp(model_, config_.node_name));
    learned = bgp_->routes();
    facts.bgp_next_hops = next_hops_.resolve(learned);
  }
  facts.underlay_next_hops = dataplane::underlay_next_hops(model_, facts, env_.kernel);
  // weft.vxlan shares the workload interfaces' prefix; it is not a workload.
  auto policy = policy::host_policy(model_, {.host = config_.node_name, .own_devices = {std::string(dataplane::kVxlanDevice)}});
  auto desired = dataplane::compute_desired(model_, facts, learned, policy.table);
  desired.problems.insert(desired.problems.end(), policy.problems.begin(), policy.problems.end());
  if (bgp_) desired.problems.insert(desired.problems.end(), bgp_->problems().begin(), bgp_->problems().end());
  for (auto& p : ipam::workloads_in_lost_blocks(model_, config_.node_name)) desired.problems.push_back(std::move(p));
  if (ipam_) {
    auto ipam_problems = ipam_->problems();
    desired.problems.insert(desired.problems.end(), ipam_problems.begin(), ipam_problems.end());
  }
  const auto report = reconciler_.apply(desired);
  desired.problems.insert(desired.problems.end(), report.problems.begin(), report.problems.end());

  ++metrics_.reconciles;
  metrics_.reconcile_errors += report.errors.size();
  metrics_.kernel_changes += report.changes.size();
  metrics_.routes = desired.routes.size();
  metrics_.problems = desired.problems.size();
  metrics_.skipped_store_keys = model_.skipped.size();
  metrics_.last_reconcile_ms = std::chrono::duration<double, std::milli>(Stopwatch::now() - start).count();
  healthy_ = report.ok();

  if (desired.problems != problems_ || desired.workload_mtu != workload_mtu_) {
    for (const auto& p : desired.problems) {
      if (std::find(problems_.begin(), problems_.end(), p) == problems_.end()) spdlog::warn("{}", p);
    }
    problems_ = desired.problems;
    workload_mtu_ = desired.workload_mtu;
    register_node();
  }
  if (ipam_) ipam_->set_node_facts(lease_->id(), workload_mtu_);  // the lease may be new, the MTU changed
}

void Agent::arm_periodic() {
  periodic_.expires_after(config_.reconcile_interval);
  periodic_.async_wait([this](const asio::error_code& ec) {
    if (ec) return;
    reconcile();
    arm_periodic();
  });
}

HttpResponse Agent::serve_http(const std::string& path) {
  if (path == "/healthz") {
    // Not ready, with the reason: the data plane is kept as it is in every one of these cases.
    const auto store = store_->counters().reachability.view();
    if (!store.reachable) {
      const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - store.since);
      return {503, "text/plain",
              fmt::format("store unreachable for {} s ({}); the data plane is kept, writes are queued\n", seconds.count(),
                          store.why)};
    }
    if (lease_->lost()) return {503, "text/plain", "node lease lost\n"};
    if (!healthy_) return {503, "text/plain", "last reconcile had errors\n"};
    return {200, "text/plain", "ok\n"};
  }
  if (path == "/metrics") return {200, "text/plain; version=0.0.4", metrics_text()};
  return {404, "text/plain", "not found\n"};
}

std::string Agent::metrics_text() const {
  std::string out;
  auto metric = [&](const char* name, const char* type, const char* help, double value) {
    out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n" + name + " " +
           fmt::format("{}", value) + "\n";
  };
  metric("weft_reconciles_total", "counter", "Reconcile rounds run.", static_cast<double>(metrics_.reconciles));
  metric("weft_reconcile_errors_total", "counter", "Kernel operations that failed.", static_cast<double>(metrics_.reconcile_errors));
  metric("weft_kernel_changes_total", "counter", "Kernel objects added, replaced or deleted.", static_cast<double>(metrics_.kernel_changes));
  metric("weft_watch_batches_total", "counter", "Store watch batches received.", static_cast<double>(metrics_.watch_batches));
  metric("weft_watch_resyncs_total", "counter", "Store watch resyncs after compaction.", static_cast<double>(metrics_.watch_resyncs));
  metric("weft_block_claims_total", "counter", "Blocks claimed or found held.", static_cast<double>(metrics_.block_claims));
  metric("weft_lease_reacquired_total", "counter", "Times the node lease was lost and acquired again.", static_cast<double>(metrics_.lease_reacquired));
  metric("weft_route_deletions_seen_total", "counter", "Notifications that a weft route was removed (by weft or by hand).", static_cast<double>(metrics_.routes_removed_externally));
  metric("weft_routes", "gauge", "Routes weft wants in the kernel.", static_cast<double>(metrics_.routes));
  metric("weft_problems", "gauge", "Remote blocks weft cannot connect (see the node record).", static_cast<double>(metrics_.problems));
  metric("weft_store_skipped_keys", "gauge", "Store keys dropped from the model as unreadable.", static_cast<double>(metrics_.skipped_store_keys));
  metric("weft_bgp_sessions_established", "gauge", "BGP sessions in state Established.",
         static_cast<double>(bgp_ ? bgp_->sessions_established() : 0));
  metric("weft_bgp_routes_learned", "gauge", "Prefixes with a best route learned over BGP.",
         static_cast<double>(bgp_ ? bgp_->routes_learned() : 0));
  metric("weft_bgp_routes_kept", "gauge", "Routes kept from before a restart until the BGP peers resync.",
         static_cast<double>(bgp_ ? bgp_->routes_kept() : 0));
  metric("weft_store_reachable", "gauge", "1 while the store answers weftd's calls, 0 while it does not.",
         store_->counters().reachability.view().reachable ? 1.0 : 0.0);
  if (ipam_) {
    metric("weft_ipam_answered_offline_total", "counter", "CNI ADDs and DELs answered while the store was unreachable.",
           static_cast<double>(ipam_->counters().answered_offline.load()));
    metric("weft_ipam_owed_writes", "gauge", "IPAM store writes queued until the store answers again.",
           static_cast<double>(ipam_->counters().pending_writes.load()));
  }
  metric("weft_store_round_trips_total", "counter", "Requests sent to the store.", static_cast<double>(store_->counters().round_trips.load()));
  metric("weft_store_jobs_pending", "gauge", "Store calls queued or running off the event loop (growing: a slow store).",
         static_cast<double>(store_worker_->pending()));
  metric("weft_last_reconcile_seconds", "gauge", "Duration of the last reconcile round.", metrics_.last_reconcile_ms / 1000.0);
  metric("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.", static_cast<double>(resident_bytes()));
  return out;
}

}  // namespace weft::agent
