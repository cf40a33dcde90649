// EtcdStore's key-value calls: get, list, put, remove, txn and compact, each one etcd KV RPC.
// Watches are in etcd_watch.cc, leases in etcd_lease.cc, connections in etcd_client.cc.
#include "store/etcd_store.h"

#include <cstdlib>

#include "store/etcd_client.h"

namespace weft::store {

using etcd::Endpoint;
using etcd::Idempotent;
namespace pb = etcdserverpb;

namespace {

void fill_compare(const Compare& in, pb::Compare& out) {
  using Target = Compare::Target;
  using Op = Compare::Op;
  out.set_key(in.key);
  switch (in.op) {
    case Op::equal:
      out.set_result(pb::Compare::EQUAL);
      break;
    case Op::not_equal:
      out.set_result(pb::Compare::NOT_EQUAL);
      break;
    case Op::greater:
      out.set_result(pb::Compare::GREATER);
      break;
    case Op::less:
      out.set_result(pb::Compare::LESS);
      break;
  }
  // etcd reads the operand from the target_union member matching `target`.
  switch (in.target) {
    case Target::version:
      out.set_target(pb::Compare::VERSION);
      out.set_version(in.number);
      break;
    case Target::create_revision:
      out.set_target(pb::Compare::CREATE);
      out.set_create_revision(in.number);
      break;
    case Target::mod_revision:
      out.set_target(pb::Compare::MOD);
      out.set_mod_revision(in.number);
      break;
    case Target::value:
      out.set_target(pb::Compare::VALUE);
      out.set_value(in.value);
      break;
    case Target::lease:
      out.set_target(pb::Compare::LEASE);
      out.set_lease(in.number);
      break;
  }
}

void fill_op(const TxnOp& in, pb::RequestOp& out) {
  switch (in.kind) {
    case TxnOp::Kind::put: {
      auto& put = *out.mutable_request_put();
      put.set_key(in.key);
      put.set_value(in.value);
      put.set_lease(in.lease);
      break;
    }
    case TxnOp::Kind::remove:
      out.mutable_request_delete_range()->set_key(in.key);
      break;
    case TxnOp::Kind::get:
      out.mutable_request_range()->set_key(in.key);
      break;
    case TxnOp::Kind::get_prefix:
      etcd::set_prefix_range(*out.mutable_request_range(), in.key);
      break;
    case TxnOp::Kind::remove_prefix:
      etcd::set_prefix_range(*out.mutable_request_delete_range(), in.key);
      break;
  }
}

// A transaction that only reads can be sent again after a broken connection.
bool read_only(const Txn& txn) {
  auto reads = [](const std::vector<TxnOp>& ops) {
    return std::ranges::all_of(ops, [](const TxnOp& op) {
      return op.kind == TxnOp::Kind::get || op.kind == TxnOp::Kind::get_prefix;
    });
  };
  return reads(txn.success) && reads(txn.failure);
}

}  // namespace

EtcdStore::EtcdStore() = default;

EtcdStore::~EtcdStore() {
  // Watches and keep-alives share client_ and may still run: stop them counting into counters_.
  if (client_) client_->detach_counters();
}

Result<std::unique_ptr<Store>> EtcdStore::connect(const EtcdOptions& options) {
  // With gRPC 1.51's default epoll1 poller, a process holding a few dozen idle clients (the claim
  // race test, the claim benchmark) saw about one run in ten where a fresh client's unary call
  // never completed and ran into its deadline; with the "poll" poller none did in the same
  // runs. Read once when gRPC initializes, so it is set before the first channel; an operator's
  // own GRPC_POLL_STRATEGY wins.
  ::setenv("GRPC_POLL_STRATEGY", "poll", /*overwrite=*/0);
  std::unique_ptr<EtcdStore> store(new EtcdStore());
  auto client = etcd::Client::create(options, &store->counters_);
  if (!client) return std::unexpected(client.error());
  store->client_ = std::move(*client);
  return std::unique_ptr<Store>(std::move(store));
}

Result<std::optional<KeyValue>> EtcdStore::get(const std::string& key) {
  pb::RangeRequest request;
  request.set_key(key);
  auto response = client_->call<pb::RangeResponse>(
      "get " + key, Idempotent::yes,
      [&](Endpoint& e, grpc::ClientContext& c, auto& r) { return e.kv->Range(&c, request, &r); });
  if (!response) return std::unexpected(response.error());
  if (response->kvs_size() == 0) return std::optional<KeyValue>();
  return std::optional<KeyValue>(etcd::from_proto(response->kvs(0)));
}

Result<RangeResult> EtcdStore::list(const std::string& prefix) {
  pb::RangeRequest request;
  etcd::set_prefix_range(request, prefix);  // etcd returns keys in ascending byte order
  auto response = client_->call<pb::RangeResponse>(
      "list " + prefix, Idempotent::yes,
      [&](Endpoint& e, grpc::ClientContext& c, auto& r) { return e.kv->Range(&c, request, &r); });
  if (!response) return std::unexpected(response.error());
  RangeResult result;
  result.revision = response->header().revision();
  result.kvs.reserve(static_cast<size_t>(response->kvs_size()));
  for (const auto& kv : response->kvs()) result.kvs.push_back(etcd::from_proto(kv));
  return result;
}

Result<int64_t> EtcdStore::put(const std::string& key, const std::string& value, LeaseId lease) {
  pb::PutRequest request;
  request.set_key(key);
  request.set_value(value);
  request.set_lease(lease);
  auto response = client_->call<pb::PutResponse>(
      "put " + key, Idempotent::no,
      [&](Endpoint& e, grpc::ClientContext& c, auto& r) { return e.kv->Put(&c, request, &r); });
  if (!response) return std::unexpected(response.error());
  return response->header().revision();
}

Result<int64_t> EtcdStore::remove(const std::string& key) {
  pb::DeleteRangeRequest request;
  request.set_key(key);
  auto response = client_->call<pb::DeleteRangeResponse>(
      "remove " + key, Idempotent::no, [&](Endpoint& e, grpc::ClientContext& c, auto& r) {
        return e.kv->DeleteRange(&c, request, &r);
      });
  if (!response) return std::unexpected(response.error());
  return response->deleted();
}

Result<TxnResult> EtcdStore::txn(const Txn& txn) {
  pb::TxnRequest request;
  for (const auto& compare : txn.compare) fill_compare(compare, *request.add_compare());
  for (const auto& op : txn.success) fill_op(op, *request.add_success());
  for (const auto& op : txn.failure) fill_op(op, *request.add_failure());
  auto response = client_->call<pb::TxnResponse>(
      "transaction", read_only(txn) ? Idempotent::yes : Idempotent::no,
      [&](Endpoint& e, grpc::ClientContext& c, auto& r) { return e.kv->Txn(&c, request, &r); });
  if (!response) return std::unexpected(response.error());
  TxnResult result;
  result.succeeded = response->succeeded();
  result.revision = response->header().revision();
  for (const auto& op : response->responses()) {
    auto& reads = result.reads.emplace_back();
    if (op.has_response_range()) {
      for (const auto& kv : op.response_range().kvs()) reads.push_back(etcd::from_proto(kv));
    }
  }
  return result;
}

Result<void> EtcdStore::compact(int64_t revision) {
  pb::CompactionRequest request;
  request.set_revision(revision);
  // Not `physical`: watches and reads see the compaction at once; only the disk space is freed in
  // the background, which nobody waits for.
  auto response = client_->call<pb::CompactionResponse>(
      "compact to revision " + std::to_string(revision), Idempotent::no,
      [&](Endpoint& e, grpc::ClientContext& c, auto& r) { return e.kv->Compact(&c, request, &r); });
  if (!response) return std::unexpected(response.error());
  return {};
}

}  // namespace weft::store
