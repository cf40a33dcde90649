#include "agent/ipam_service.h"

#include <filesystem>
#include <set>

#include "base/log.h"
#include "base/clock.h"

namespace weft::agent {

namespace proto = ipam::protocol;

namespace {

std::string describe(const std::vector<model::EndpointAddress>& addresses) {
  std::string out;
  for (const auto& a : addresses) out += (out.empty() ? "" : ", ") + a.address.to_string();
  return out;
}

}  // namespace

IpamService::IpamService(store::Store& store, kernel::KernelOps& kernel, Options options)
    : options_(std::move(options)),
      kernel_(kernel),
      store_(store),
      allocator_(store, options_.node),
      journal_(options_.journal_path),
      worker_([this] {
        if (auto r = journal_.load(); !r) {
          // Never dropped silently: the file is kept aside for an operator (weft ipam check finds
          // what it described).
          spdlog::error("ipam: the owed store writes cannot be read ({}); kept in {}.corrupt", r.error().describe(),
                        options_.journal_path);
          std::error_code ec;
          std::filesystem::rename(options_.journal_path, options_.journal_path + ".corrupt", ec);
        }
        counters_.pending_writes = journal_.size();
        // Read the node's blocks now, while the store answers: an ADD during a later outage is
        // served from them.
        if (auto r = allocator_.status(); !r) spdlog::warn("ipam: reading this node's blocks: {}", r.error().describe());
        if (!journal_.empty()) spdlog::warn("ipam: {} store write(s) owed from before the restart", journal_.size());
        run();
      }) {}

IpamService::~IpamService() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  worker_.join();
  for (auto& job : queue_) {
    if (job.done) job.done(proto::Response::failure(Error{Errc::unavailable, "weftd is stopping"}));
    if (job.sweep_done) job.sweep_done();
  }
}

void IpamService::set_node_facts(store::LeaseId lease, uint32_t mtu) {
  std::lock_guard lock(mutex_);
  lease_ = lease;
  mtu_ = mtu;
}

void IpamService::submit(proto::Request request, Done done) {
  {
    std::lock_guard lock(mutex_);
    if (!stopping_) {
      queue_.push_back(Job{std::move(request), std::move(done)});
      wake_.notify_one();
      return;
    }
  }
  done(proto::Response::failure(Error{Errc::unavailable, "weftd is stopping"}));
}

void IpamService::sweep_now(std::function<void()> done) {
  {
    std::lock_guard lock(mutex_);
    if (!stopping_ && options_.sweep_grace.count() > 0) {
      queue_.push_back(Job{{}, {}, std::move(done)});
      wake_.notify_one();
      return;
    }
  }
  done();  // no sweeper (grace 0), or stopping: nothing to sweep
}

void IpamService::run() {
  // The worker's own wake-ups are real time; the grace it measures is the injected clock's.
  auto next_sweep = std::chrono::steady_clock::now() + options_.sweep_interval;
  for (;;) {
    Job job;
    {
      std::unique_lock lock(mutex_);
      const auto now = std::chrono::steady_clock::now();
      const auto wake_at = journal_.empty() ? next_sweep : std::min(next_sweep, now + options_.replay_interval);
      wake_.wait_until(lock, wake_at, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      if (queue_.empty()) {
        lock.unlock();
        if (!journal_.empty() && store_reachable()) replay();
        if (std::chrono::steady_clock::now() < next_sweep) continue;
        if (options_.sweep_grace.count() > 0 && journal_.empty()) sweep();  // the store's word first
        next_sweep = std::chrono::steady_clock::now() + options_.sweep_interval;
        continue;
      }
      job = std::move(queue_.front());
      queue_.pop_front();
    }
    if (job.sweep_done) {
      sweep();
      job.sweep_done();
      continue;
    }
    ++counters_.requests;
    auto response = handle(job.request);
    if (!response.ok()) ++counters_.errors;
    job.done(std::move(response));
  }
}

proto::Response IpamService::handle(const proto::Request& request) {
  // What is owed goes first: a new allocation must see the addresses handed out offline.
  if (!journal_.empty() && store_reachable()) replay();
  const auto start = std::chrono::steady_clock::now();
  const std::string who = request.container_id + "/" + request.ifname;
  auto ms = [&] { return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count(); };
  switch (request.op) {
    case proto::Op::add: {
      auto r = add(request);
      if (r.ok()) spdlog::info("ipam: add {} -> {} ({:.1f} ms)", who, r.detail, ms());
      else spdlog::warn("ipam: add {}: {}", who, r.error->describe());
      r.detail.clear();
      return r;
    }
    case proto::Op::del: {
      if (journal_.pending_add(request.container_id, request.ifname)) {
        return del_offline(request, Error{Errc::unavailable, "its ADD is not written yet"});
      }
      if (auto store = store_.counters().reachability.view(); !store.reachable) {
        return del_offline(request, Error{Errc::unavailable, store.why});
      }
      auto released = allocator_.release(request.container_id, request.ifname);
      if (!released && released.error().code == Errc::unavailable) return del_offline(request, released.error());
      if (!released) {
        spdlog::warn("ipam: del {}: {}", who, released.error().describe());
        return proto::Response::failure(released.error());
      }
      if (*released) {
        ++counters_.released;
        spdlog::info("ipam: del {} released {} ({:.1f} ms)", who, describe((*released)->addresses), ms());
      }
      return proto::Response{.node = options_.node};
    }
    case proto::Op::check: {
      if (const PendingWrite* owed = journal_.pending_add(request.container_id, request.ifname)) {
        proto::Response r{.node = options_.node};
        for (const auto& a : owed->endpoint.addresses) r.addresses.push_back({a.address, a.pool, a.block});
        std::lock_guard lock(mutex_);
        r.mtu = mtu_;
        return r;
      }
      auto found = allocator_.find(request.container_id, request.ifname);
      if (!found) return proto::Response::failure(found.error());
      if (!*found) return proto::Response::failure(Error{Errc::not_found, "no allocation for " + who});
      proto::Response r{.node = options_.node};
      for (const auto& a : (*found)->addresses) r.addresses.push_back({a.address, a.pool, a.block});
      std::lock_guard lock(mutex_);
      r.mtu = mtu_;
      return r;
    }
    case proto::Op::gc: return gc(request);
    case proto::Op::status: return status();
  }
  return proto::Response::failure(Error{Errc::invalid_argument, "unknown op"});
}

proto::Response IpamService::add(const proto::Request& request) {
  ipam::AssignRequest assign;
  assign.endpoint.container_id = request.container_id;
  assign.endpoint.ifname = request.ifname;
  assign.endpoint.netns = request.netns;
  assign.endpoint.network = request.network;
  assign.endpoint.pod_namespace = request.pod_namespace;
  assign.endpoint.pod_name = request.pod_name;
  assign.endpoint.labels = request.labels;
  assign.endpoint.ports = request.ports;
  assign.endpoint.host_veth = proto::host_veth_name(request.container_id, request.ifname);
  assign.pools = request.pools;
  uint32_t mtu = 0;
  {
    std::lock_guard lock(mutex_);
    assign.lease = lease_;
    mtu = mtu_;
  }
  // Known unreachable: answer at once instead of after the store's timeout (the replay loop and
  // the agent's watch find out when it is back).
  if (auto store = store_.counters().reachability.view(); !store.reachable) {
    return add_offline(assign, Error{Errc::unavailable, store.why}, mtu);
  }
  auto assigned = allocator_.assign(assign);
  if (!assigned && assigned.error().code == Errc::unavailable) return add_offline(assign, assigned.error(), mtu);
  if (!assigned) return proto::Response::failure(assigned.error());
  ++counters_.assigned;
  proto::Response r{.node = options_.node, .mtu = mtu};
  for (const auto& a : assigned->endpoint.addresses) r.addresses.push_back({a.address, a.pool, a.block});
  // For the log line only (handle() clears it).
  r.detail = describe(assigned->endpoint.addresses) + (assigned->existing ? " (existing)" : "") +
             (assigned->block_claims > 0 ? ", claimed " + std::to_string(assigned->block_claims) + " block(s)" : "");
  return r;
}

proto::Response IpamService::gc(const proto::Request& request) {
  const std::set<proto::Attachment> valid(request.valid_attachments.begin(), request.valid_attachments.end());
  const int64_t grace = request.grace_seconds >= 0 ? request.grace_seconds : options_.gc_grace_seconds;
  auto result = allocator_.collect_garbage(valid, grace, unix_now());
  if (!result) return proto::Response::failure(result.error());
  counters_.released += result->released.size();
  for (const auto& e : result->errors) spdlog::warn("ipam: gc: {}", e);
  spdlog::info("ipam: gc: {} valid attachment(s), released {}, spared {} younger than {} s", valid.size(),
               result->released.size(), result->spared, grace);
  proto::Response r{.node = options_.node};
  r.released = std::move(result->released);
  if (!result->errors.empty()) r.detail = std::to_string(result->errors.size()) + " attachment(s) could not be released";
  return r;
}

proto::Response IpamService::status() {
  auto s = allocator_.status();
  if (!s) return proto::Response::failure(s.error());
  store::LeaseId lease = 0;
  {
    std::lock_guard lock(mutex_);
    lease = lease_;
  }
  proto::Response r{.node = options_.node};
  r.ready = s->pools > 0 && lease != 0;
  r.detail = s->pools == 0 ? "no pool to allocate from"
             : lease == 0  ? "no node lease"
                           : std::to_string(s->pools) + " pool(s), " + std::to_string(s->blocks) + " block(s), " +
                                 std::to_string(s->used) + " address(es) in use";
  return r;
}

proto::Response IpamService::add_offline(const ipam::AssignRequest& assign, const Error& why, uint32_t mtu) {
  auto cached = allocator_.assign_cached(assign);
  if (!cached) return proto::Response::failure(wrap(cached.error(), why.message).error());
  if (!cached->existing) {
    PendingWrite owed{.kind = PendingWrite::Kind::add, .endpoint = cached->endpoint, .pools = assign.pools};
    if (auto r = journal_.push(std::move(owed)); !r) {
      allocator_.forget_cached(assign.endpoint.container_id, assign.endpoint.ifname);
      return proto::Response::failure(r.error());
    }
  }
  ++counters_.answered_offline;
  counters_.pending_writes = journal_.size();
  proto::Response r{.node = options_.node, .mtu = mtu};
  for (const auto& a : cached->endpoint.addresses) r.addresses.push_back({a.address, a.pool, a.block});
  r.detail = describe(cached->endpoint.addresses) + " from the held blocks, store unreachable (" + why.message + "); " +
             std::to_string(journal_.size()) + " write(s) owed";
  return r;
}

proto::Response IpamService::del_offline(const proto::Request& request, const Error& why) {
  Result<void> queued;
  if (journal_.pending_add(request.container_id, request.ifname)) {
    // Never written: the store need not hear of it. Its addresses are free again at once.
    queued = journal_.cancel_add(request.container_id, request.ifname);
    allocator_.forget_cached(request.container_id, request.ifname);
  } else {
    model::Endpoint gone{.node = options_.node, .container_id = request.container_id, .ifname = request.ifname};
    queued = journal_.push(PendingWrite{.kind = PendingWrite::Kind::del, .endpoint = std::move(gone)});
  }
  if (!queued) return proto::Response::failure(queued.error());
  ++counters_.answered_offline;
  counters_.pending_writes = journal_.size();
  spdlog::info("ipam: del {}/{} answered locally ({}); {} write(s) owed", request.container_id, request.ifname,
               why.message, journal_.size());
  return proto::Response{.node = options_.node};
}

bool IpamService::store_reachable() const { return store_.counters().reachability.view().reachable; }

bool IpamService::replay() {
  while (!journal_.empty()) {
    const PendingWrite owed = journal_.front();
    const std::string who = owed.endpoint.container_id + "/" + owed.endpoint.ifname;
    Result<void> done;
    if (owed.kind == PendingWrite::Kind::add) {
      ipam::AssignRequest assign{.endpoint = owed.endpoint, .pools = owed.pools};
      for (const auto& a : owed.endpoint.addresses) assign.fixed.push_back(a.address);
      {
        std::lock_guard lock(mutex_);
        assign.lease = lease_;
      }
      auto written = allocator_.assign(assign);
      if (!written && written.error().code == Errc::unavailable) return false;
      if (written) {
        spdlog::info("ipam: wrote the offline add of {} ({})", who, describe(owed.endpoint.addresses));
      } else {
        note_problem("workload " + who + " got " + describe(owed.endpoint.addresses) +
                     " while the store was unreachable, and the store refused it (" + written.error().message +
                     "): re-create the workload");
      }
    } else {
      auto released = allocator_.release(owed.endpoint.container_id, owed.endpoint.ifname);
      if (!released && released.error().code == Errc::unavailable) return false;
      if (released) spdlog::info("ipam: wrote the offline del of {}", who);
      else spdlog::warn("ipam: the offline del of {} could not be written: {}", who, released.error().describe());
    }
    if (auto r = journal_.pop(); !r) spdlog::warn("ipam: {}", r.error().describe());
    counters_.pending_writes = journal_.size();
  }
  return true;
}

void IpamService::note_problem(std::string problem) {
  spdlog::error("ipam: {}", problem);
  std::lock_guard lock(mutex_);
  problems_.push_back(std::move(problem));
}

std::vector<std::string> IpamService::problems() const {
  std::lock_guard lock(mutex_);
  return problems_;
}

void IpamService::sweep() {
  auto endpoints = allocator_.endpoints();
  if (!endpoints) {
    spdlog::warn("ipam: sweeper: {}", endpoints.error().describe());
    return;
  }
  const auto now = options_.clock->now();
  std::map<proto::Attachment, Clock::TimePoint> missing;
  for (const auto& ep : *endpoints) {
    const proto::Attachment a{ep.container_id, ep.ifname};
    const std::string veth = ep.host_veth.empty() ? proto::host_veth_name(ep.container_id, ep.ifname) : ep.host_veth;
    auto link = kernel_.find_link(veth);
    if (link) continue;
    if (link.error().code != Errc::not_found) {
      // Cannot tell: never release on a failed probe.
      spdlog::warn("ipam: sweeper: looking for {}: {}", veth, link.error().describe());
      // "Can't tell" does not start the grace either: only a seen absence does.
      if (auto it = missing_since_.find(a); it != missing_since_.end()) missing[a] = it->second;
      continue;
    }
    auto it = missing_since_.find(a);
    const auto since = it == missing_since_.end() ? now : it->second;
    if (now - since < options_.sweep_grace) {
      missing[a] = since;
      continue;
    }
    auto released = allocator_.release(ep.container_id, ep.ifname);
    if (!released) {
      missing[a] = since;
      spdlog::warn("ipam: sweeper: releasing {}/{}: {}", ep.container_id, ep.ifname, released.error().describe());
      continue;
    }
    ++counters_.swept;
    spdlog::info("ipam: sweeper: released {}/{} ({}): its veth {} is gone", ep.container_id, ep.ifname,
                 describe(ep.addresses), veth);
  }
  missing_since_ = std::move(missing);
}

}  // namespace weft::agent
