#include "ipam/node_lease.h"

#include <algorithm>
#include <chrono>

#include "base/log.h"
#include "base/clock.h"
#include "model/keys.h"
#include "model/node.h"
#include "store/retry.h"

namespace weft::ipam {

NodeLease::NodeLease(store::Store& store, Options options, store::LeaseId id, bool reused)
    : store_(store), options_(std::move(options)), id_(id), reused_(reused) {
  if (options_.renew_in_background) renewer_ = std::thread([this] { renew_loop(); });
}

NodeLease::~NodeLease() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (renewer_.joinable()) renewer_.join();
}

Result<std::unique_ptr<NodeLease>> NodeLease::acquire(store::Store& store, Options options) {
  if (!model::valid_node_name(options.node)) {
    return fail(Errc::invalid_argument, "node name '", options.node, "' is not a host name");
  }
  if (options.ttl_seconds < 1) return fail(Errc::invalid_argument, "lease TTL must be at least 1 s");

  auto existing = store::with_retry([&] { return store.get(model::keys::liveness(options.node)); });
  if (!existing) return wrap(existing.error(), "reading liveness of " + options.node);
  if (*existing) {
    // The liveness key is attached to the lease, so its presence means the lease was alive a
    // moment ago; renewing confirms it and restarts its TTL.
    auto renewed = store::with_retry([&] { return store.renew_lease((*existing)->lease); });
    if (renewed) {
      std::unique_ptr<NodeLease> lease(new NodeLease(store, options, (*existing)->lease, true));
      if (auto w = lease->write_liveness(store::RetryPolicy{}); !w) return std::unexpected(w.error());
      return lease;
    }
    if (renewed.error().code != Errc::not_found) return wrap(renewed.error(), "renewing lease");
  }
  // A grant repeated after a lost answer leaves an unused lease behind; it expires on its own.
  auto granted = store::with_retry([&] { return store.grant_lease(options.ttl_seconds); });
  if (!granted) return wrap(granted.error(), "granting lease for " + options.node);
  std::unique_ptr<NodeLease> lease(new NodeLease(store, options, granted->id, false));
  if (auto w = lease->write_liveness(store::RetryPolicy{}); !w) return std::unexpected(w.error());
  return lease;
}

Result<void> NodeLease::write_liveness(const store::RetryPolicy& retry) {
  model::NodeLiveness liveness{options_.node, id_, options_.ttl_seconds, unix_now()};
  const std::string value = dump_json(encode(liveness));
  auto r = store::with_retry([&] { return store_.put(model::keys::liveness(options_.node), value, id_); }, retry);
  if (!r) {
    if (r.error().code == Errc::not_found) lost_ = true;
    return wrap(r.error(), "writing liveness of " + options_.node);
  }
  return {};
}

Result<void> NodeLease::renew() { return renew(store::RetryPolicy{}); }

Result<void> NodeLease::renew(const store::RetryPolicy& retry) {
  auto r = store::with_retry([&] { return store_.renew_lease(id_); }, retry);
  if (!r) {
    if (r.error().code == Errc::not_found) lost_ = true;
    return wrap(r.error(), "renewing the lease of " + options_.node);
  }
  return write_liveness(retry);
}

Result<void> NodeLease::release() {
  // Repeated after a lost answer, a revocation that was applied reports not_found: that is done.
  auto r = store::with_retry([&] { return store_.revoke_lease(id_); });
  lost_ = true;
  if (!r && r.error().code != Errc::not_found) return wrap(r.error(), "revoking lease");
  return {};
}

void NodeLease::renew_loop() {
  // ttl/3 leaves two more chances before expiry if a renewal fails; retries come sooner.
  const auto period = std::chrono::milliseconds(std::max<int64_t>(options_.ttl_seconds * 1000 / 3, 200));
  auto wait = period;
  std::unique_lock lock(mutex_);
  while (!wake_.wait_for(lock, wait, [this] { return stopping_; })) {
    lock.unlock();
    // One try per round: the loop is its own retry policy (again within a second), and a
    // stopping agent is not held up by pauses.
    auto r = renew(store::RetryPolicy{.budget = std::chrono::milliseconds(0), .min_attempts = 1});
    lock.lock();
    if (!r) {
      spdlog::warn("{}", r.error().describe());
      if (lost_) return;  // the owner sees lost() and re-acquires
      wait = std::min(period, std::chrono::milliseconds(1000));
    } else {
      wait = period;
    }
  }
}

}  // namespace weft::ipam
