// The datastore layout: every weft key lives under /weft/v1/, one key per object, JSON values.
//
//   /weft/v1/pools/<pool>                    Pool (no lease)
//   /weft/v1/blocks/<pool>/<addr>-<len>      BlockAffinity: which node holds a block; attached to
//                                            the node's lease unless it is a reservation
//   /weft/v1/nodes/<node>                    Node record (no lease: survives its agent)
//   /weft/v1/liveness/<node>                 NodeLiveness: the node's lease and last renewal;
//                                            attached to that lease, so it vanishes with it
//   /weft/v1/meta/pools                      bumped by every pool change, so that adding or
//                                            deleting a pool is one compare-and-swap against
//                                            the whole pool set (no overlapping pools by race)
//   /weft/v1/bgp/config, /weft/v1/bgp/nodes/<node>, /weft/v1/bgp/peers/<name>,
//   /weft/v1/bgp/status/<node>               BGP settings and session status (bgp_config.h)
//   /weft/v1/endpoints/<node>/<cid>-<ifname> Endpoint: a workload interface (endpoint.h); no lease
//   /weft/v1/namespaces/<name>               Namespace: labels policies select namespaces by
//                                            (namespace.h); no lease
//   /weft/v1/allocations/<pool>/<addr>-<len> BlockAllocations: the addresses handed out from a
//                                            block (ipam/address_block.h); no lease
//   /weft/v1/networkpolicies/<ns>/<name>     a Kubernetes NetworkPolicy, /weft/v1/policies/<ns>/<name>
//   /weft/v1/globalpolicies/<name>           a weft Policy, a GlobalPolicy: the policy model's JSON
//                                            (policy/policy_codec.h); one key space per kind, as in
//                                            Kubernetes, so a NetworkPolicy and a Policy may share a name
#pragma once

#include <string>
#include <string_view>

#include "base/ip.h"

namespace weft::model::keys {

inline constexpr std::string_view root = "/weft/v1/";

std::string pools_prefix();
std::string pool(std::string_view name);
std::string pools_guard();
std::string blocks_prefix();                     // all pools
std::string pool_blocks_prefix(std::string_view pool);
std::string block(std::string_view pool, const Prefix& block);
std::string nodes_prefix();
std::string node(std::string_view name);
std::string liveness_prefix();
std::string liveness(std::string_view node);
std::string bgp_config();
std::string bgp_nodes_prefix();
std::string bgp_node(std::string_view node);
std::string bgp_peers_prefix();
std::string bgp_peer(std::string_view name);
std::string bgp_status_prefix();
std::string bgp_status(std::string_view node);
std::string endpoints_prefix();
std::string node_endpoints_prefix(std::string_view node);
std::string endpoint(std::string_view node, std::string_view container_id, std::string_view ifname);
std::string namespaces_prefix();
std::string namespace_key(std::string_view name);  // `namespace` is a keyword
std::string allocations_prefix();
std::string pool_allocations_prefix(std::string_view pool);
std::string allocation(std::string_view pool, const Prefix& block);
std::string network_policies_prefix();
std::string network_policy(std::string_view ns, std::string_view name);
std::string policies_prefix();
std::string policy(std::string_view ns, std::string_view name);
std::string global_policies_prefix();
std::string global_policy(std::string_view name);

// The last path element of a key ("/weft/v1/nodes/h1" -> "h1").
std::string_view last_segment(std::string_view key);
// "198.19.1.0-24" -> 198.19.1.0/24 (the block key's last element).
Result<Prefix> block_from_key_segment(std::string_view segment);

}  // namespace weft::model::keys
