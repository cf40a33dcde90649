#include "model/keys.h"

namespace weft::model::keys {

std::string pools_prefix() { return std::string(root) + "pools/"; }
std::string pool(std::string_view name) { return pools_prefix() + std::string(name); }
std::string pools_guard() { return std::string(root) + "meta/pools"; }
std::string blocks_prefix() { return std::string(root) + "blocks/"; }
std::string pool_blocks_prefix(std::string_view pool) {
  return blocks_prefix() + std::string(pool) + "/";
}
// A '/' inside a key element would add a level to the layout, so the prefix length is joined
// with '-'; IPv6 ':' is fine in etcd keys.
std::string block(std::string_view pool, const Prefix& block) {
  return pool_blocks_prefix(pool) + block.address().to_string() + "-" +
         std::to_string(block.length());
}
std::string nodes_prefix() { return std::string(root) + "nodes/"; }
std::string node(std::string_view name) { return nodes_prefix() + std::string(name); }
std::string liveness_prefix() { return std::string(root) + "liveness/"; }
std::string liveness(std::string_view node) { return liveness_prefix() + std::string(node); }
std::string bgp_config() { return std::string(root) + "bgp/config"; }
std::string bgp_nodes_prefix() { return std::string(root) + "bgp/nodes/"; }
std::string bgp_node(std::string_view node) { return bgp_nodes_prefix() + std::string(node); }
std::string bgp_peers_prefix() { return std::string(root) + "bgp/peers/"; }
std::string bgp_peer(std::string_view name) { return bgp_peers_prefix() + std::string(name); }
std::string bgp_status_prefix() { return std::string(root) + "bgp/status/"; }
std::string bgp_status(std::string_view node) { return bgp_status_prefix() + std::string(node); }

std::string network_policies_prefix() { return std::string(root) + "networkpolicies/"; }
std::string network_policy(std::string_view ns, std::string_view name) {
  return network_policies_prefix() + std::string(ns) + "/" + std::string(name);
}
std::string policies_prefix() { return std::string(root) + "policies/"; }
std::string policy(std::string_view ns, std::string_view name) { return policies_prefix() + std::string(ns) + "/" + std::string(name); }
std::string global_policies_prefix() { return std::string(root) + "globalpolicies/"; }
std::string global_policy(std::string_view name) { return global_policies_prefix() + std::string(name); }
std::string endpoints_prefix() { return std::string(root) + "endpoints/"; }
std::string node_endpoints_prefix(std::string_view node) { return endpoints_prefix() + std::string(node) + "/"; }
std::string endpoint(std::string_view node, std::string_view container_id, std::string_view ifname) {
  return node_endpoints_prefix(node) + std::string(container_id) + "-" + std::string(ifname);
}
std::string namespaces_prefix() { return std::string(root) + "namespaces/"; }
std::string namespace_key(std::string_view name) { return namespaces_prefix() + std::string(name); }
std::string allocations_prefix() { return std::string(root) + "allocations/"; }
std::string pool_allocations_prefix(std::string_view pool) { return allocations_prefix() + std::string(pool) + "/"; }
std::string allocation(std::string_view pool, const Prefix& block) {
  return pool_allocations_prefix(pool) + block.address().to_string() + "-" + std::to_string(block.length());
}

std::string_view last_segment(std::string_view key) {
  auto slash = key.rfind('/');
  return slash == std::string_view::npos ? key : key.substr(slash + 1);
}

Result<Prefix> block_from_key_segment(std::string_view segment) {
  auto dash = segment.rfind('-');
  if (dash == std::string_view::npos) {
    return fail(Errc::corrupt, "block key element '", segment, "' is not ADDRESS-LENGTH");
  }
  std::string text(segment);
  text[dash] = '/';
  return Prefix::parse(text);
}

}  // namespace weft::model::keys
