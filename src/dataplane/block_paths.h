// Which path a remote block takes: decided once per round for every backend, from the block's
// pool settings and where its node is (DESIGN.md "The model in one page").
//   local   — this node holds it (a blackhole route)
//   bgp     — `routes: bgp` pool: the BGP speaker brings its route
//   direct  — encapsulation none, or cross-subnet to a node on this node's segment
//   vxlan   — VXLAN always, or cross-subnet to a node off this segment
//   ipip    — IPIP (IPv4 only) always, or cross-subnet to a node off this segment
//   unsupported — an IPIP pool of IPv6 addresses (refused when created; a problem if stored)
// Blocks of deleted pools are skipped; blocks whose node record or IPv4 underlay is missing are
// problems, not paths.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/ip.h"
#include "model/cluster_model.h"

namespace weft::dataplane {

struct LocalFacts;

enum class Path { local, bgp, direct, vxlan, ipip, unsupported };

struct BlockPath {
  const model::BlockAffinity* block = nullptr;
  const model::Pool* pool = nullptr;
  const model::Node* node = nullptr;        // null for local and bgp blocks
  std::optional<IpAddress> underlay;        // the node's first IPv4 underlay address
  bool on_link = false;                     // underlay on this node's underlay subnet
  Path path = Path::local;
};

// The first address of the first block (in key order, the same on every node) that `node` holds
// in a pool of `encapsulation` and `family`: its VXLAN VTEP address or its tunl0 address. The
// CNI plugin never hands that address out.
std::optional<IpAddress> tunnel_address(const model::ClusterModel& model, const std::string& node, Family family,
                                        model::Encapsulation encapsulation);

std::vector<BlockPath> classify_blocks(const model::ClusterModel& model, const LocalFacts& self,
                                         std::vector<std::string>& problems);

}  // namespace weft::dataplane
