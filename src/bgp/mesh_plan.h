// Which BGP sessions a node runs and what it announces, as a pure function of the cluster model
// (DESIGN.md "Inside weftd": model -> desired state, here the BGP part of it). weftd applies the
// difference to its Speaker; unit tests check the plan without sockets.
//
// - BGP is on when any pool has `routes: bgp`. The node announces its own blocks of those pools
//   and accepts prefixes inside them (plus an external peer's `accept` list).
// - Node-to-node sessions (unless the cluster's nodeMesh is off): with no node labelled as a
//   route reflector, every node peers with every other node (full mesh, kind "mesh"). With
//   reflectors, a reflector peers with every other node (non-reflectors are its route-reflector
//   clients, kind "rr-client"; other reflectors are plain iBGP peers, kind "reflector"), and the
//   other nodes peer with the reflectors only. Between two nodes the one with the lower address
//   connects and the other only accepts (no connection collisions).
// - External peers (kind "external") apply to the node they name, the nodes their selector
//   matches, or every node.
// - Sessions run between underlay IPv4 addresses (the router id is that address too); IPv6 pool
//   routes travel over them with the node's underlay link-local address as next hop.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "bgp/peer.h"
#include "model/cluster_model.h"

namespace weft::bgp {

struct PlannedPeer {
  std::string name;  // the node or external peer's name
  std::string kind;  // "mesh", "reflector", "rr-client", "external"
  PeerConfig config;
};

struct BgpPlan {
  bool enabled = false;
  uint32_t local_as = 0;
  uint32_t router_id = 0;
  bool route_reflector = false;
  std::vector<Prefix> allowed;       // the bgp pools' CIDRs
  std::vector<Prefix> announce;      // this node's blocks in bgp pools
  std::vector<PlannedPeer> peers;    // sorted by address
  std::vector<std::string> problems; // peers left out, and why
};

BgpPlan plan_bgp(const model::ClusterModel& model, const std::string& self);

// Whether two peer configurations open the same session (a change needs the session restarted);
// import_allow and export_allow are not part of it: they change on a running session
// (Speaker::set_import_allow, set_export_allow).
bool same_session(const PeerConfig& a, const PeerConfig& b);

}  // namespace weft::bgp
