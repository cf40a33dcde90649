#include "store/memory_core.h"

#include <algorithm>
#include <atomic>
#include <thread>

#include "base/log.h"
#include "store/memory_file.h"

namespace weft::store::memory {
namespace {

Error lease_not_found(LeaseId id) {
  return Error{Errc::not_found, "lease " + std::to_string(id) + " not found"};
}

// Renews a lease every ttl/3 on its own thread, as etcd's clients do, until destroyed.
class MemoryKeepAlive final : public KeepAlive {
 public:
  MemoryKeepAlive(std::weak_ptr<MemoryCore> core, LeaseId id, int64_t ttl)
      : core_(std::move(core)),
        id_(id),
        ttl_(ttl),
        thread_([this](std::stop_token stop) { run(stop); }) {}

  bool alive() const override { return alive_.load(); }

 private:
  void run(std::stop_token stop) {
    std::unique_lock lock(mu_);
    while (true) {
      wake_.wait_for(lock, stop, std::chrono::milliseconds(ttl_ * 1000 / 3), [] { return false; });
      if (stop.stop_requested()) return;
      auto core = core_.lock();
      if (!core) {  // the store is gone, and its leases with it
        alive_ = false;
        return;
      }
      auto ttl = core->renew_lease(id_);
      if (ttl) {
        ttl_ = *ttl;
      } else if (ttl.error().code == Errc::not_found) {
        alive_ = false;
        return;
      } else {
        // The lease still exists (a failed save, say): try again at the next tick.
        spdlog::warn("memory store: renewing lease {}: {}", id_, ttl.error().describe());
      }
    }
  }

  std::weak_ptr<MemoryCore> core_;
  const LeaseId id_;
  int64_t ttl_;
  std::atomic<bool> alive_{true};
  std::mutex mu_;                     // only for wake_, which sleeps until the next renewal
  std::condition_variable_any wake_;  // or until the handle's destruction requests a stop
  std::jthread thread_;  // last: stopped and joined before the members it uses are destroyed
};

}  // namespace

// ---- History ----

void History::append(int64_t revision, std::vector<WatchEvent> events) {
  events_ += events.size();
  entries_.push_back(Entry{revision, std::move(events)});
  while (events_ > kMaxEvents && entries_.size() > 1) {
    events_ -= entries_.front().events.size();
    start_ = entries_.front().revision + 1;
    entries_.pop_front();
  }
}

void History::compact(int64_t revision) {
  while (!entries_.empty() && entries_.front().revision < revision) {
    events_ -= entries_.front().events.size();
    entries_.pop_front();
  }
  start_ = std::max(start_, revision);
}

void History::replay(int64_t from, WatchFeed& feed) const {
  auto it = std::lower_bound(entries_.begin(), entries_.end(), from,
                             [](const Entry& e, int64_t rev) { return e.revision < rev; });
  for (; it != entries_.end(); ++it) feed.offer(it->revision, it->events);
}

// ---- MemoryCore ----

Result<std::shared_ptr<MemoryCore>> MemoryCore::open(std::string path, weft::Clock& clock) {
  if (path.empty()) return std::make_shared<MemoryCore>(std::string(), State{}, 1, clock);
  auto loaded = load_state(path, clock);
  if (!loaded) return std::unexpected(loaded.error());
  if (!*loaded) {
    // Create the file now so an unusable path is reported by open, not by the first write.
    State fresh;
    if (auto saved = save_state(path, fresh, clock); !saved) return std::unexpected(saved.error());
    return std::make_shared<MemoryCore>(std::move(path), std::move(fresh), 1, clock);
  }
  // The history is not saved: only changes after the loaded revision can be replayed.
  int64_t history_start = (*loaded)->revision + 1;
  return std::make_shared<MemoryCore>(std::move(path), std::move(**loaded), history_start, clock);
}

MemoryCore::MemoryCore(std::string path, State state, int64_t history_start, weft::Clock& clock)
    : path_(std::move(path)), clock_(clock), state_(std::move(state)), history_(history_start) {}

std::optional<State> MemoryCore::backup() const {
  if (path_.empty()) return std::nullopt;
  return state_;
}

Result<void> MemoryCore::save(std::optional<State>& before) {
  if (path_.empty()) return {};
  auto saved = save_state(path_, state_, clock_);
  if (!saved && before) state_ = std::move(*before);
  return saved;
}

void MemoryCore::publish(std::vector<WatchEvent> events) {
  if (events.empty()) return;
  std::erase_if(feeds_, [](const auto& feed) { return feed->closed(); });
  for (const auto& feed : feeds_) feed->offer(state_.revision, events);
  history_.append(state_.revision, std::move(events));
}

Result<std::optional<KeyValue>> MemoryCore::get(const std::string& key) {
  if (auto ok = check_key(key); !ok) return std::unexpected(ok.error());
  std::lock_guard lock(mu_);
  return find_key(state_, key);
}

Result<RangeResult> MemoryCore::list(const std::string& prefix) {
  std::lock_guard lock(mu_);
  return RangeResult{range(state_, prefix), state_.revision};
}

Result<int64_t> MemoryCore::put(const std::string& key, const std::string& value, LeaseId lease) {
  if (auto ok = check_key(key); !ok) return std::unexpected(ok.error());
  std::lock_guard lock(mu_);
  if (lease != 0 && !lease_alive(state_, lease, clock_.now())) {
    return std::unexpected(lease_not_found(lease));
  }
  auto before = backup();
  Writer writer(state_);
  writer.put(key, value, lease);
  auto events = writer.finish();
  if (auto saved = save(before); !saved) return std::unexpected(saved.error());
  publish(std::move(events));
  return state_.revision;
}

Result<int64_t> MemoryCore::remove(const std::string& key) {
  if (auto ok = check_key(key); !ok) return std::unexpected(ok.error());
  std::lock_guard lock(mu_);
  if (!state_.keys.contains(key)) return 0;
  auto before = backup();
  Writer writer(state_);
  int64_t removed = writer.remove(key);
  auto events = writer.finish();
  if (auto saved = save(before); !saved) return std::unexpected(saved.error());
  publish(std::move(events));
  return removed;
}

Result<TxnResult> MemoryCore::txn(const Txn& txn) {
  auto writes = [](const std::vector<TxnOp>& ops) {
    return std::any_of(ops.begin(), ops.end(), [](const TxnOp& op) {
      return op.kind != TxnOp::Kind::get && op.kind != TxnOp::Kind::get_prefix;
    });
  };
  std::lock_guard lock(mu_);
  // A read-only transaction needs no copy to restore.
  std::optional<State> before;
  if (writes(txn.success) || writes(txn.failure)) before = backup();
  std::vector<WatchEvent> events;
  auto result = run_txn(state_, txn, clock_.now(), events);
  if (!result) return result;  // run_txn applies nothing when it fails
  if (!events.empty()) {
    if (auto saved = save(before); !saved) return std::unexpected(saved.error());
  }
  publish(std::move(events));
  return result;
}

Result<std::unique_ptr<Watch>> MemoryCore::watch(const std::string& prefix, int64_t from_revision,
                                                 WatchCallback callback) {
  if (from_revision < 0) {
    return fail(Errc::invalid_argument, "watch from negative revision ",
                std::to_string(from_revision));
  }
  if (!callback) return fail(Errc::invalid_argument, "watch without a callback");
  std::shared_ptr<WatchFeed> feed;
  {
    std::lock_guard lock(mu_);
    const int64_t current = state_.revision;
    if (from_revision == 0 || from_revision > current) {
      // 0 is "from now", as in etcd; a future revision waits for that revision.
      int64_t first = from_revision == 0 ? current + 1 : from_revision;
      feed = std::make_shared<WatchFeed>(prefix, first, std::move(callback));
    } else if (from_revision < history_.start()) {
      // Compacted away: report the gap as the prefix's contents now, then go on live.
      feed = std::make_shared<WatchFeed>(prefix, current + 1, std::move(callback));
      WatchBatch resync{.resync = true, .events = {}, .revision = current};
      for (auto& kv : range(state_, prefix)) {
        resync.events.push_back(WatchEvent{WatchEvent::Type::put, std::move(kv)});
      }
      feed->offer_resync(std::move(resync));
    } else {
      feed = std::make_shared<WatchFeed>(prefix, from_revision, std::move(callback));
      history_.replay(from_revision, *feed);
    }
    feeds_.push_back(feed);
  }
  return std::make_unique<MemoryWatch>(std::move(feed));
}

Result<Lease> MemoryCore::grant_lease(int64_t ttl_seconds) {
  if (ttl_seconds < kMinLeaseTtl || ttl_seconds > kMaxLeaseTtl) {
    return fail(Errc::invalid_argument, "lease TTL ", std::to_string(ttl_seconds),
                "s is out of range [", std::to_string(kMinLeaseTtl), ", ",
                std::to_string(kMaxLeaseTtl), "]");
  }
  std::lock_guard lock(mu_);
  auto before = backup();
  LeaseId id = state_.next_lease_id++;
  state_.leases[id] =
      LeaseRecord{ttl_seconds, clock_.now() + std::chrono::seconds(ttl_seconds), {}};
  if (auto saved = save(before); !saved) return std::unexpected(saved.error());
  new_lease_ = true;
  expiry_changed_.notify_all();
  return Lease{id, ttl_seconds};
}

Result<int64_t> MemoryCore::renew_lease(LeaseId id) {
  std::lock_guard lock(mu_);
  const auto now = clock_.now();
  if (!lease_alive(state_, id, now)) return std::unexpected(lease_not_found(id));
  auto before = backup();
  auto& lease = state_.leases.at(id);
  lease.expiry = now + std::chrono::seconds(lease.ttl_seconds);
  const int64_t ttl = lease.ttl_seconds;
  if (auto saved = save(before); !saved) return std::unexpected(saved.error());
  return ttl;
}

Result<std::unique_ptr<KeepAlive>> MemoryCore::keep_alive(LeaseId id) {
  // The first renewal happens now, so an unknown lease is reported to the caller.
  auto ttl = renew_lease(id);
  if (!ttl) return std::unexpected(ttl.error());
  return std::make_unique<MemoryKeepAlive>(weak_from_this(), id, *ttl);
}

Result<void> MemoryCore::revoke_lease(LeaseId id) {
  std::lock_guard lock(mu_);
  if (!state_.leases.contains(id)) return std::unexpected(lease_not_found(id));
  auto before = backup();
  auto events = revoke(state_, id);
  if (auto saved = save(before); !saved) return std::unexpected(saved.error());
  publish(std::move(events));
  return {};
}

Result<int64_t> MemoryCore::lease_ttl(LeaseId id) {
  std::lock_guard lock(mu_);
  const auto now = clock_.now();
  if (!lease_alive(state_, id, now)) return std::unexpected(lease_not_found(id));
  // Whole seconds left, rounded down as etcd's LeaseTimeToLive does.
  return std::chrono::duration_cast<std::chrono::seconds>(state_.leases.at(id).expiry - now)
      .count();
}

Result<void> MemoryCore::compact(int64_t revision) {
  std::lock_guard lock(mu_);
  if (revision <= state_.compact_revision) {
    return fail(Errc::compacted, "revision ", std::to_string(revision),
                " is already compacted (compacted at ", std::to_string(state_.compact_revision),
                ")");
  }
  if (revision > state_.revision) {
    return fail(Errc::invalid_argument, "cannot compact to future revision ",
                std::to_string(revision), " (current ", std::to_string(state_.revision), ")");
  }
  auto before = backup();
  state_.compact_revision = revision;
  if (auto saved = save(before); !saved) return saved;
  history_.compact(revision);
  return {};
}

size_t MemoryCore::expire_now() {
  std::lock_guard lock(mu_);
  return expire_due(clock_.now());
}

size_t MemoryCore::expire_due(Clock::time_point now) {
  std::vector<LeaseId> due;
  for (const auto& [id, lease] : state_.leases) {
    if (lease.expiry <= now) due.push_back(id);
  }
  for (LeaseId id : due) {
    // Each lease's keys go in one revision of their own, as etcd revokes each lease in its own
    // transaction. Nothing to restore if saving fails: the file keeps the lease with its past
    // expiry, so loading it revokes the lease again.
    auto events = revoke(state_, id);
    if (!path_.empty()) {
      if (auto saved = save_state(path_, state_, clock_); !saved) {
        spdlog::warn("memory store: saving the expiry of lease {}: {}", id,
                     saved.error().describe());
      }
    }
    publish(std::move(events));
  }
  return due.size();
}

void MemoryCore::run_expiry(std::stop_token stop) {
  // Never sleep longer than this: a bounded wait keeps the arithmetic far from time_point::max.
  constexpr auto kMaxSleep = std::chrono::minutes(1);
  std::unique_lock lock(mu_);
  while (!stop.stop_requested()) {
    const auto now = clock_.now();
    expire_due(now);
    auto next = now + kMaxSleep;
    for (const auto& [id, lease] : state_.leases) next = std::min(next, lease.expiry);
    new_lease_ = false;
    expiry_changed_.wait_until(lock, stop, next, [&] { return new_lease_; });
  }
}

}  // namespace weft::store::memory
