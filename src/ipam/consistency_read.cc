#include "ipam/consistency_read.h"

#include "model/keys.h"
#include "store/retry.h"

namespace weft::ipam::consistency {
namespace {

using store::TxnOp;

// Codecs that are given the key name it in their errors; the pool codec is not.
void refuse(StoreState& out, const store::KeyValue& kv, const Error& e) {
  out.unreadable[kv.key] = e.message.find(kv.key) != std::string::npos ? e.message : kv.key + ": " + e.message;
}

}  // namespace

Result<StoreState> read_store_state(store::Store& store) {
  namespace keys = model::keys;
  const store::Txn txn{{},
                       {TxnOp::get_prefix(keys::pools_prefix()), TxnOp::get_prefix(keys::blocks_prefix()),
                        TxnOp::get_prefix(keys::allocations_prefix()), TxnOp::get_prefix(keys::endpoints_prefix()),
                        TxnOp::get_prefix(keys::nodes_prefix()), TxnOp::get_prefix(keys::liveness_prefix())},
                       {}};
  auto r = store::with_retry([&] { return store.txn(txn); });
  if (!r) return wrap(r.error(), "reading the IPAM records");
  StoreState out;
  out.revision = r->revision;
  for (const auto& kv : r->reads.at(0)) {
    auto pool = model::decode_pool(kv.value);
    if (pool) out.pools.push_back(std::move(*pool));
    else refuse(out, kv, pool.error());
  }
  for (const auto& kv : r->reads.at(1)) {
    auto affinity = model::decode_affinity(kv.key, kv.value);
    if (affinity) out.blocks.push_back(std::move(*affinity));
    else refuse(out, kv, affinity.error());
  }
  for (const auto& kv : r->reads.at(2)) {
    auto allocations = decode_allocations(kv.key, kv.value);
    if (allocations) out.allocations.push_back(std::move(*allocations));
    else refuse(out, kv, allocations.error());
  }
  for (const auto& kv : r->reads.at(3)) {
    auto ep = model::decode_endpoint(kv.key, kv.value);
    if (ep) out.endpoints.push_back(std::move(*ep));
    else refuse(out, kv, ep.error());
  }
  // Node records and liveness keys count by their presence: what a liveness value says (its
  // renewal time) is the node's clock, and the key itself vanishes with the lease.
  for (const auto& kv : r->reads.at(4)) out.nodes.insert(std::string(keys::last_segment(kv.key)));
  for (const auto& kv : r->reads.at(5)) out.live_nodes.insert(std::string(keys::last_segment(kv.key)));
  return out;
}

Result<KernelState> read_kernel_state(kernel::KernelOps& kernel, const std::string& node) {
  KernelState out{.node = node};
  auto links = kernel.list_links();
  if (!links) return wrap(links.error(), node + ": listing devices");
  for (const auto& l : *links) out.links[l.index] = l.name;
  auto routes = kernel.list_routes(kernel::RouteFilter{.family = std::nullopt, .table = kernel::kMainTable,
                                                       .protocol = kernel::kWeftRouteProtocol});
  if (!routes) return wrap(routes.error(), node + ": listing weft's routes");
  out.routes = std::move(*routes);
  return out;
}

}  // namespace weft::ipam::consistency
