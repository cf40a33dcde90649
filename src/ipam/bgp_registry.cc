#include "ipam/bgp_registry.h"

#include "model/keys.h"
#include "model/node.h"

namespace weft::ipam {
Result<model::BgpGlobal> get_bgp_global(store::Store& store) {
  auto kv = store.get(model::keys::bgp_config());
  if (!kv) return wrap(kv.error(), "reading the BGP config");
  if (!*kv) return model::BgpGlobal{};
  return model::decode_bgp_global((*kv)->value);
}

Result<void> set_bgp_global(store::Store& store, const model::BgpGlobal& global) {
  if (auto r = model::validate_as_number(global.as_number); !r) return r;
  auto r = store.put(model::keys::bgp_config(), dump_json(encode(global)));
  if (!r) return wrap(r.error(), "writing the BGP config");
  return {};
}

Result<Listing<model::BgpNodeConfig>> list_bgp_node_configs(store::Store& store) {
  return list_decoded<model::BgpNodeConfig>(store, model::keys::bgp_nodes_prefix(), model::decode_bgp_node_config, "BGP node settings");
}

Result<void> set_bgp_node_as(store::Store& store, const std::string& node, uint32_t as_number) {
  if (!model::valid_node_name(node)) return fail(Errc::invalid_argument, "node name '", node, "' is not a host name");
  if (as_number == 0) {
    auto r = store.remove(model::keys::bgp_node(node));
    if (!r) return wrap(r.error(), "removing the AS number of " + node);
    return {};
  }
  if (auto r = model::validate_as_number(as_number); !r) return r;
  auto r = store.put(model::keys::bgp_node(node), dump_json(encode(model::BgpNodeConfig{node, as_number})));
  if (!r) return wrap(r.error(), "writing the AS number of " + node);
  return {};
}

Result<void> add_bgp_peer(store::Store& store, const model::BgpPeer& peer) {
  if (auto r = validate(peer); !r) return r;
  auto existing = list_bgp_peers(store);
  if (!existing) return std::unexpected(existing.error());
  for (const auto& other : existing->items) {
    if (other.name == peer.name) return fail(Errc::already_exists, "BGP peer ", peer.name, " already exists");
    if (other.address == peer.address && other.node == peer.node && other.node_selector == peer.node_selector) {
      return fail(Errc::invalid_argument, "BGP peer ", other.name, " already peers with ", peer.address.to_string(),
                  " for the same nodes");
    }
  }
  // Create-only: a peer added by someone else meanwhile under the same name is not overwritten.
  store::Txn txn;
  txn.compare.push_back(store::Compare{.key = model::keys::bgp_peer(peer.name), .target = store::Compare::Target::version});
  txn.success.push_back(store::TxnOp::put(model::keys::bgp_peer(peer.name), dump_json(encode(peer))));
  auto r = store.txn(txn);
  if (!r) return wrap(r.error(), "adding BGP peer " + peer.name);
  if (!r->succeeded) return fail(Errc::already_exists, "BGP peer ", peer.name, " already exists");
  return {};
}

Result<model::BgpPeer> update_bgp_peer(store::Store& store, const std::string& name,
                                       const std::function<Result<void>(model::BgpPeer&)>& change) {
  const std::string key = model::keys::bgp_peer(name);
  for (int attempt = 0; attempt < 5; ++attempt) {
    auto kv = store.get(key);
    if (!kv) return wrap(kv.error(), "reading BGP peer " + name);
    if (!*kv) return fail(Errc::not_found, "BGP peer ", name, " does not exist");
    auto peer = model::decode_bgp_peer((*kv)->value);
    if (!peer) return wrap(peer.error(), "BGP peer " + name);
    const model::BgpPeer before = *peer;
    if (auto r = change(*peer); !r) return std::unexpected(r.error());
    if (peer->name != before.name || peer->address != before.address) {
      return fail(Errc::invalid_argument, "a BGP peer's name and address cannot change (delete it and add it again)");
    }
    if (auto r = validate(*peer); !r) return std::unexpected(r.error());
    store::Txn txn;
    txn.compare.push_back(store::Compare{.key = key, .number = (*kv)->mod_revision});
    txn.success.push_back(store::TxnOp::put(key, dump_json(encode(*peer))));
    auto r = store.txn(txn);
    if (!r) return wrap(r.error(), "updating BGP peer " + name);
    if (r->succeeded) return *peer;
  }
  return fail(Errc::conflict, "BGP peer ", name, " kept changing while it was updated; try again");
}

Result<Listing<model::BgpPeer>> list_bgp_peers(store::Store& store) {
  return list_decoded<model::BgpPeer>(store, model::keys::bgp_peers_prefix(), model::decode_bgp_peer, "BGP peers");
}

Result<void> remove_bgp_peer(store::Store& store, const std::string& name) {
  auto kv = store.get(model::keys::bgp_peer(name));
  if (!kv) return wrap(kv.error(), "reading BGP peer " + name);
  if (!*kv) return fail(Errc::not_found, "BGP peer ", name, " does not exist");
  auto r = store.remove(model::keys::bgp_peer(name));
  if (!r) return wrap(r.error(), "deleting BGP peer " + name);
  return {};
}

Result<Listing<model::BgpNodeStatus>> list_bgp_status(store::Store& store) {
  return list_decoded<model::BgpNodeStatus>(store, model::keys::bgp_status_prefix(), model::decode_bgp_status, "BGP status");
}

}  // namespace weft::ipam
