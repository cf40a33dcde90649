#include "store/optimistic_txn.h"

namespace weft::store {

const std::vector<KeyValue>& Snapshot::all(std::string_view name) const {
  static const std::vector<KeyValue> kNone;
  auto it = reads_.find(name);
  return it == reads_.end() ? kNone : it->second;
}

const KeyValue* Snapshot::one(std::string_view name) const {
  const auto& kvs = all(name);
  return kvs.empty() ? nullptr : &kvs.front();
}

void Snapshot::add(const std::vector<Read>& reads, const TxnResult& result, size_t first) {
  for (size_t i = 0; i < reads.size() && first + i < result.reads.size(); ++i) {
    reads_[reads[i].name] = result.reads[first + i];
  }
  revision_ = result.revision;
}

namespace detail {

std::vector<TxnOp> read_ops(const std::vector<Read>& reads) {
  std::vector<TxnOp> ops;
  ops.reserve(reads.size());
  for (const auto& read : reads) ops.push_back(read.prefix ? TxnOp::get_prefix(read.key) : TxnOp::get(read.key));
  return ops;
}

Result<void> read_into(Store& store, const std::vector<Read>& reads, Snapshot& snapshot) {
  if (reads.empty()) return {};
  auto r = store.txn(Txn{{}, read_ops(reads), {}});
  if (!r) return std::unexpected(r.error());
  snapshot.add(reads, *r);
  return {};
}

bool nothing_new(const More& more, const Snapshot& snapshot) {
  for (const auto& read : more.reads) {
    if (!snapshot.has(read.name)) return false;
  }
  return true;
}

}  // namespace detail
}  // namespace weft::store
