#include "model/cluster_model.h"

#include "model/keys.h"

namespace weft::model {
namespace {

bool is_policy_key(std::string_view key) {
  return key.starts_with(keys::network_policies_prefix()) || key.starts_with(keys::policies_prefix()) ||
         key.starts_with(keys::global_policies_prefix());
}

}  // namespace

void ClusterModel::reset(const std::vector<store::KeyValue>& kvs, int64_t at_revision) {
  const BgpGlobal last_good_bgp = bgp;
  pools.clear();
  nodes.clear();
  blocks.clear();
  bgp = BgpGlobal{};
  bgp_nodes.clear();
  bgp_peers.clear();
  endpoints.clear();
  namespaces.clear();
  policy_records.clear();
  ++policy_generation;
  skipped.clear();
  for (const auto& kv : kvs) put(kv);
  if (skipped.contains(keys::bgp_config())) bgp = last_good_bgp;  // a resync keeps them too
  revision = at_revision;
}

bool ClusterModel::apply(const store::WatchBatch& batch) {
  if (batch.resync) {
    std::vector<store::KeyValue> kvs;
    for (const auto& e : batch.events) kvs.push_back(e.kv);
    reset(kvs, batch.revision);
    return true;
  }
  bool changed = false;
  for (const auto& e : batch.events) {
    changed |= e.type == store::WatchEvent::Type::put ? put(e.kv) : remove(e.kv.key);
  }
  revision = batch.revision;
  return changed;
}

bool ClusterModel::put(const store::KeyValue& kv) {
  const std::string_view key = kv.key;
  auto drop = [&](const Error& e) {
    remove(kv.key);
    skipped[kv.key] = e.message;
    return true;
  };
  if (key.starts_with(keys::pools_prefix())) {
    auto pool = decode_pool(kv.value);
    if (!pool) return drop(pool.error());
    skipped.erase(kv.key);
    pools[pool->name] = *pool;
    return true;
  }
  if (key.starts_with(keys::nodes_prefix())) {
    auto node = decode_node(kv.value);
    if (!node) return drop(node.error());
    skipped.erase(kv.key);
    const std::string name(keys::last_segment(key));
    nodes[name] = *node;
    return true;
  }
  if (key.starts_with(keys::blocks_prefix())) {
    auto block = decode_affinity(key, kv.value);
    if (!block) return drop(block.error());
    skipped.erase(kv.key);
    blocks[kv.key] = *block;
    return true;
  }
  if (key == keys::bgp_config()) {
    auto global = decode_bgp_global(kv.value);
    if (!global) {
      // Not dropped to the defaults: a typo must not move every node to another AS or turn the
      // mesh back on. The last good settings stay (the defaults if none was read yet).
      skipped[kv.key] = global.error().message;
      return true;
    }
    skipped.erase(kv.key);
    bgp = *global;
    return true;
  }
  if (key.starts_with(keys::bgp_nodes_prefix())) {
    auto config = decode_bgp_node_config(kv.value);
    if (!config) return drop(config.error());
    skipped.erase(kv.key);
    bgp_nodes[std::string(keys::last_segment(key))] = *config;
    return true;
  }
  if (key.starts_with(keys::bgp_peers_prefix())) {
    auto peer = decode_bgp_peer(kv.value);
    if (!peer) return drop(peer.error());
    skipped.erase(kv.key);
    bgp_peers[std::string(keys::last_segment(key))] = *peer;
    return true;
  }
  if (key.starts_with(keys::endpoints_prefix())) {
    ++policy_generation;
    auto endpoint = decode_endpoint(key, kv.value);
    if (!endpoint) {
      endpoints.erase(kv.key);
      skipped[kv.key] = endpoint.error().message;
      return false;
    }
    skipped.erase(kv.key);
    endpoints[kv.key] = std::move(*endpoint);
    return false;
  }
  if (key.starts_with(keys::namespaces_prefix())) {
    ++policy_generation;
    auto ns = decode_namespace(kv.value);
    if (ns && ns->name != keys::last_segment(key)) ns = fail(Errc::corrupt, "namespace '", ns->name, "' stored under another name");
    if (!ns) {
      namespaces.erase(std::string(keys::last_segment(key)));
      skipped[kv.key] = ns.error().message;
      return false;
    }
    skipped.erase(kv.key);
    namespaces[std::string(keys::last_segment(key))] = std::move(*ns);
    return false;
  }
  if (is_policy_key(key)) {
    ++policy_generation;
    policy_records[kv.key] = kv.value;  // decoded (and refused when bad) by the policy driver
    return false;
  }
  return false;  // liveness, meta and BGP status keys do not shape the data plane
}

bool ClusterModel::remove(const std::string& key) {
  skipped.erase(key);
  const std::string_view k = key;
  if (k.starts_with(keys::pools_prefix())) {
    return std::erase_if(pools, [&](const auto& p) { return keys::pool(p.first) == key; }) > 0;
  }
  if (k.starts_with(keys::nodes_prefix())) return nodes.erase(std::string(keys::last_segment(k))) > 0;
  if (k.starts_with(keys::blocks_prefix())) return blocks.erase(key) > 0;
  if (k == keys::bgp_config()) {
    bgp = BgpGlobal{};
    return true;
  }
  if (k.starts_with(keys::bgp_nodes_prefix())) return bgp_nodes.erase(std::string(keys::last_segment(k))) > 0;
  if (k.starts_with(keys::bgp_peers_prefix())) return bgp_peers.erase(std::string(keys::last_segment(k))) > 0;
  if (k.starts_with(keys::endpoints_prefix())) {
    if (endpoints.erase(key) > 0) ++policy_generation;
    return false;
  }
  if (k.starts_with(keys::namespaces_prefix())) {
    if (namespaces.erase(std::string(keys::last_segment(k))) > 0) ++policy_generation;
    return false;
  }
  if (is_policy_key(k)) {
    if (policy_records.erase(key) > 0) ++policy_generation;
    return false;
  }
  return false;
}

std::vector<BlockAffinity> ClusterModel::blocks_of(const std::string& node) const {
  std::vector<BlockAffinity> out;
  for (const auto& [key, b] : blocks) {
    if (b.node == node) out.push_back(b);
  }
  return out;
}

const Pool* ClusterModel::pool_of(const BlockAffinity& block) const {
  auto it = pools.find(block.pool);
  return it == pools.end() ? nullptr : &it->second;
}

std::vector<const Endpoint*> ClusterModel::endpoints_of(const std::string& node) const {
  std::vector<const Endpoint*> out;
  for (const auto& [key, e] : endpoints) {
    if (e.node == node) out.push_back(&e);
  }
  return out;
}

Labels ClusterModel::labels_of_namespace(const std::string& name) const {
  auto it = namespaces.find(name);
  return it != namespaces.end() ? it->second.labels : namespace_labels(name);
}

uint32_t ClusterModel::as_number_of(const std::string& node) const {
  auto it = bgp_nodes.find(node);
  return it != bgp_nodes.end() && it->second.as_number != 0 ? it->second.as_number : bgp.as_number;
}

}  // namespace weft::model
