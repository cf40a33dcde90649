#include "store/memory_state.h"

#include <string>

namespace weft::store::memory {
namespace {

bool has_prefix(std::string_view key, std::string_view prefix) { return key.starts_with(prefix); }

// Three-way comparison as etcd does it: numbers by value, values bytewise (std::string compares
// chars as unsigned, like Go's bytes.Compare).
int three_way(int64_t a, int64_t b) { return a < b ? -1 : (a > b ? 1 : 0); }

bool holds(Compare::Op op, int order) {
  switch (op) {
    case Compare::Op::equal: return order == 0;
    case Compare::Op::not_equal: return order != 0;
    case Compare::Op::greater: return order > 0;
    case Compare::Op::less: return order < 0;
  }
  return false;
}

bool writes(const TxnOp& op) {
  return op.kind == TxnOp::Kind::put || op.kind == TxnOp::Kind::remove ||
         op.kind == TxnOp::Kind::remove_prefix;
}

// etcd rejects a branch that puts a key twice or puts a key the same branch deletes
// ("duplicate key given in txn request"): the outcome would depend on the order of the ops.
Result<void> check_branch(const std::vector<TxnOp>& ops) {
  std::set<std::string_view> puts;
  for (const auto& op : ops) {
    bool prefix_op = op.kind == TxnOp::Kind::get_prefix || op.kind == TxnOp::Kind::remove_prefix;
    if (!prefix_op) {
      if (auto ok = check_key(op.key); !ok) return ok;
    }
    if (op.kind != TxnOp::Kind::put) continue;
    if (!puts.insert(op.key).second) {
      return fail(Errc::invalid_argument, "transaction puts key '", op.key, "' twice");
    }
    for (const auto& other : ops) {
      bool deletes = (other.kind == TxnOp::Kind::remove && other.key == op.key) ||
                     (other.kind == TxnOp::Kind::remove_prefix && has_prefix(op.key, other.key));
      if (deletes) {
        return fail(Errc::invalid_argument, "transaction both puts and deletes key '", op.key, "'");
      }
    }
  }
  return {};
}

}  // namespace

Result<void> check_key(std::string_view key) {
  if (key.empty()) return fail(Errc::invalid_argument, "empty key");
  return {};
}

bool lease_alive(const State& state, LeaseId id, Clock::time_point now) {
  auto it = state.leases.find(id);
  return it != state.leases.end() && it->second.expiry > now;
}

std::optional<KeyValue> find_key(const State& state, std::string_view key) {
  auto it = state.keys.find(key);
  if (it == state.keys.end()) return std::nullopt;
  return it->second;
}

std::vector<KeyValue> range(const State& state, std::string_view prefix) {
  std::vector<KeyValue> out;
  for (auto it = state.keys.lower_bound(prefix);
       it != state.keys.end() && has_prefix(it->first, prefix); ++it) {
    out.push_back(it->second);
  }
  return out;
}

void Writer::put(const std::string& key, const std::string& value, LeaseId lease) {
  auto [it, created] = state_.keys.try_emplace(key);
  KeyValue& kv = it->second;
  if (created) {
    kv.key = key;
    kv.create_revision = revision_;
    kv.version = 0;
  } else if (kv.lease != 0 && kv.lease != lease) {
    auto old = state_.leases.find(kv.lease);
    if (old != state_.leases.end()) old->second.keys.erase(key);
  }
  kv.value = value;
  kv.mod_revision = revision_;
  kv.version += 1;
  kv.lease = lease;
  if (lease != 0) state_.leases.at(lease).keys.insert(key);
  events_.push_back(WatchEvent{WatchEvent::Type::put, kv});
}

void Writer::erase(std::map<std::string, KeyValue, std::less<>>::iterator it) {
  const KeyValue& kv = it->second;
  if (kv.lease != 0) {
    if (auto lease = state_.leases.find(kv.lease); lease != state_.leases.end()) {
      lease->second.keys.erase(kv.key);
    }
  }
  WatchEvent event{WatchEvent::Type::remove, {}};
  event.kv.key = kv.key;
  event.kv.mod_revision = revision_;
  events_.push_back(std::move(event));
  state_.keys.erase(it);
}

int64_t Writer::remove(std::string_view key) {
  auto it = state_.keys.find(key);
  if (it == state_.keys.end()) return 0;
  erase(it);
  return 1;
}

int64_t Writer::remove_prefix(std::string_view prefix) {
  int64_t removed = 0;
  auto it = state_.keys.lower_bound(prefix);
  while (it != state_.keys.end() && has_prefix(it->first, prefix)) {
    erase(it++);
    ++removed;
  }
  return removed;
}

std::vector<WatchEvent> Writer::finish() {
  if (!events_.empty()) state_.revision = revision_;
  return std::move(events_);
}

std::vector<WatchEvent> revoke(State& state, LeaseId id) {
  auto it = state.leases.find(id);
  if (it == state.leases.end()) return {};
  // Copy: erasing a key also erases it from the lease's set.
  std::set<std::string, std::less<>> keys = it->second.keys;
  Writer writer(state);
  for (const auto& key : keys) writer.remove(key);
  state.leases.erase(id);
  return writer.finish();
}

bool compare_holds(const State& state, const Compare& compare) {
  auto found = find_key(state, compare.key);
  if (!found) {
    // etcd: a value compare on an absent key fails whatever the operator (an absent value is not
    // the empty string); the numeric targets compare as 0.
    if (compare.target == Compare::Target::value) return false;
    found = KeyValue{};
  }
  const KeyValue& kv = *found;
  int order = 0;
  switch (compare.target) {
    case Compare::Target::version: order = three_way(kv.version, compare.number); break;
    case Compare::Target::create_revision:
      order = three_way(kv.create_revision, compare.number);
      break;
    case Compare::Target::mod_revision: order = three_way(kv.mod_revision, compare.number); break;
    case Compare::Target::lease: order = three_way(kv.lease, compare.number); break;
    case Compare::Target::value: {
      int c = kv.value.compare(compare.value);
      order = c < 0 ? -1 : (c > 0 ? 1 : 0);
      break;
    }
  }
  return holds(compare.op, order);
}

Result<TxnResult> run_txn(State& state, const Txn& txn, Clock::time_point now,
                          std::vector<WatchEvent>& events) {
  if (auto ok = check_branch(txn.success); !ok) return std::unexpected(ok.error());
  if (auto ok = check_branch(txn.failure); !ok) return std::unexpected(ok.error());

  TxnResult result;
  result.succeeded = true;
  for (const auto& compare : txn.compare) {
    if (!compare_holds(state, compare)) {
      result.succeeded = false;
      break;
    }
  }
  const auto& ops = result.succeeded ? txn.success : txn.failure;
  for (const auto& op : ops) {
    if (op.kind == TxnOp::Kind::put && op.lease != 0 && !lease_alive(state, op.lease, now)) {
      return fail(Errc::not_found, "lease ", std::to_string(op.lease), " not found");
    }
  }

  Writer writer(state);
  for (const auto& op : ops) {
    std::vector<KeyValue> read;
    switch (op.kind) {
      case TxnOp::Kind::put: writer.put(op.key, op.value, op.lease); break;
      case TxnOp::Kind::remove: writer.remove(op.key); break;
      case TxnOp::Kind::remove_prefix: writer.remove_prefix(op.key); break;
      case TxnOp::Kind::get:
        if (auto kv = find_key(state, op.key)) read.push_back(std::move(*kv));
        break;
      case TxnOp::Kind::get_prefix: read = range(state, op.key); break;
    }
    result.reads.push_back(writes(op) ? std::vector<KeyValue>{} : std::move(read));
  }
  events = writer.finish();
  result.revision = state.revision;
  return result;
}

}  // namespace weft::store::memory
