#include "agent/ipam_service.h"

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
    : options_(std::move(options)), kernel_(kernel), allocator_(store, options_.node), worker_([this] { run(); }) {}

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
      wake_.wait_until(lock, next_sweep, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      if (queue_.empty()) {
        lock.unlock();
        if (options_.sweep_grace.count() > 0) sweep();
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
      auto released = allocator_.release(request.container_id, request.ifname);
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
  auto assigned = allocator_.assign(assign);
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
