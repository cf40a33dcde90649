// optimistic_txn: the one read-decide-write loop behind every compare-and-swap weft makes (block
// claims, pool changes, address allocation and release).
//
//   1. read: the named reads, in one read-only transaction;
//   2. decide(snapshot): a pure decision from what was read. It returns
//      - a final Result (done: nothing to write, or an error such as exhausted), or
//      - More{reads}: read these as well and decide again (for reads that depend on earlier ones), or
//      - Write{compare, ops}: the transaction to try;
//   3. the transaction runs `ops` only if every `compare` holds. When one does not (another writer
//      got there first), its failure branch re-reads in the same round trip, and decide runs again
//      on that fresh snapshot: one round trip per lost race.
//
// Retries: a lost race is retried up to max_conflicts times, then Errc::conflict. A transient
// failure (Errc::unavailable, see retry.h) of any read or of the transaction pauses per the retry
// policy, then starts over from step 1 with fresh reads. That is also right for a transaction whose
// outcome is unknown (etcd may have applied it before the connection broke): decide sees the store
// as it is, including our own write, so nothing is applied twice. Errors of decide are final.
//
// decide may run any number of times and should have no effect other than on caches of its caller
// (it may call other store operations, e.g. a claim, whose effects must then be harmless to repeat).
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "base/result.h"
#include "store/retry.h"
#include "store/store.h"

namespace weft::store {

// A named read: one key, or every key under a prefix.
struct Read {
  std::string name{};
  std::string key{};  // the key, or the prefix
  bool prefix = false;

  static Read one(std::string name, std::string key) { return {std::move(name), std::move(key), false}; }
  static Read under(std::string name, std::string prefix) { return {std::move(name), std::move(prefix), true}; }
};

// What the reads returned, by name.
class Snapshot {
 public:
  // The keys read under `name`: none when absent or never read.
  const std::vector<KeyValue>& all(std::string_view name) const;
  // The key read under `name`, or nullptr when it is absent.
  const KeyValue* one(std::string_view name) const;
  bool has(std::string_view name) const { return reads_.find(name) != reads_.end(); }
  int64_t revision() const { return revision_; }
  // True when the previous transaction failed transiently: it may have been applied, and what
  // was read may include our own write (decide can then recognise it and report success).
  bool after_unknown_outcome() const { return after_unknown_outcome_; }

  // Used by optimistic_txn: records `reads` from `result.reads[first...]`.
  void add(const std::vector<Read>& reads, const TxnResult& result, size_t first = 0);
  void set_after_unknown_outcome(bool unknown) { after_unknown_outcome_ = unknown; }

 private:
  std::map<std::string, std::vector<KeyValue>, std::less<>> reads_;
  int64_t revision_ = 0;
  bool after_unknown_outcome_ = false;
};

template <class T>
struct Write {
  std::vector<Compare> compare{};  // all must hold...
  std::vector<TxnOp> ops{};        // ...for these to run, in one transaction
  // What to read instead when a compare fails (empty: everything read so far).
  std::vector<Read> reread{};
  // The answer once `ops` ran; may be left empty when T is void.
  std::function<Result<T>(const TxnResult&)> done{};
};

struct More {
  std::vector<Read> reads{};
};

template <class T>
using Decision = std::variant<Result<T>, Write<T>, More>;

template <class T>
struct OptimisticTxn {
  std::string what{};        // context for errors: "claiming a block of pool lab"
  std::vector<Read> reads{};  // before the first decide, and again after a transient failure
  std::function<Decision<T>(const Snapshot&)> decide{};
  int max_conflicts = 16;
  RetryPolicy retry{};
};

namespace detail {
std::vector<TxnOp> read_ops(const std::vector<Read>& reads);
// Reads `reads` in one read-only transaction into `snapshot`.
Result<void> read_into(Store& store, const std::vector<Read>& reads, Snapshot& snapshot);
// Whether More asks for nothing new (decide would loop forever).
bool nothing_new(const More& more, const Snapshot& snapshot);
}  // namespace detail

template <class T>
Result<T> optimistic_txn(Store& store, const OptimisticTxn<T>& spec) {
  Backoff backoff(spec.retry);
  int conflicts = 0;
  std::vector<Read> reads;  // what `snapshot` holds
  Snapshot snapshot;
  bool fresh = false;
  bool unknown_outcome = false;  // the last transaction failed transiently
  for (;;) {
    if (!fresh) {
      reads = spec.reads;
      snapshot = Snapshot{};
      snapshot.set_after_unknown_outcome(unknown_outcome);
      if (auto r = detail::read_into(store, reads, snapshot); !r) {
        if (transient(r.error()) && backoff.next(r.error())) continue;
        return wrap(r.error(), spec.what);
      }
      fresh = true;
    }
    Decision<T> decision = spec.decide(snapshot);
    if (auto* done = std::get_if<Result<T>>(&decision)) return std::move(*done);
    if (auto* more = std::get_if<More>(&decision)) {
      if (detail::nothing_new(*more, snapshot)) {
        return fail(Errc::internal, spec.what, ": asked again for reads it already has");
      }
      if (auto r = detail::read_into(store, more->reads, snapshot); !r) {
        if (transient(r.error()) && backoff.next(r.error())) {
          fresh = false;
          continue;
        }
        return wrap(r.error(), spec.what);
      }
      reads.insert(reads.end(), more->reads.begin(), more->reads.end());
      continue;
    }
    auto& write = std::get<Write<T>>(decision);
    std::vector<Read> reread = write.reread.empty() ? reads : write.reread;
    auto r = store.txn(Txn{std::move(write.compare), std::move(write.ops), detail::read_ops(reread)});
    if (!r) {
      if (transient(r.error()) && backoff.next(r.error())) {
        fresh = false;
        unknown_outcome = true;
        continue;
      }
      return wrap(r.error(), spec.what);
    }
    unknown_outcome = false;
    if (r->succeeded) {
      if (write.done) return write.done(*r);
      if constexpr (std::is_void_v<T>) {
        return {};
      } else {
        return fail(Errc::internal, spec.what, ": a write without an answer");
      }
    }
    if (++conflicts >= spec.max_conflicts) {
      return fail(Errc::conflict, spec.what, ": lost ", std::to_string(conflicts),
                  " races with other writers; retry");
    }
    reads = std::move(reread);
    snapshot = Snapshot{};
    snapshot.add(reads, *r);
  }
}

}  // namespace weft::store
