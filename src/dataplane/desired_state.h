// The kernel state a node should have, as a pure function of the cluster model and the node's own
// facts (DESIGN.md "Inside weftd"). No kernel access: unit-tested with tables.
//
// Per remote block, by its pool's settings:
// - encapsulation none (flannel host-gw): `block via <node underlay>` when the node is on this
//   node's underlay prefix; otherwise no route, and a problem is reported.
// - vxlan always (flannel vxlan): `block via <node VTEP address> dev weft.vxlan onlink`, a
//   permanent neighbour entry VTEP address -> node VTEP MAC, and an FDB entry VTEP MAC -> node
//   underlay address (see reconciler.h for the order they are installed in).
// - vxlan cross-subnet: direct routes to nodes on this node's underlay prefix, VXLAN to others.
// - routes bgp: no route from the store; the routes the BGP speaker learned (`learned`: prefix ->
//   best next hops) become `prefix via <next hop> dev <underlay>`, ECMP when there are several.
//   Next hops must be on the underlay's subnet (IPv4) or link-local (IPv6); others are problems.
// Per local block: a blackhole route, so traffic to a free address of our block dies here instead
// of following a default route out.
//
// A node's VTEP address in a family is the first address of its first block (in key order) in a
// VXLAN pool of that family, as flannel does; the CNI plugin never hands that address out.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/ip.h"
#include "model/cluster_model.h"
#include "kernel/links.h"
#include "kernel/mac.h"
#include "kernel/neighbours.h"
#include "kernel/route.h"

namespace weft::dataplane {

inline constexpr std::string_view kVxlanDevice = "weft.vxlan";
inline constexpr uint32_t kVxlanOverhead = 50;  // outer IPv4 20 + UDP 8 + VXLAN 8 + inner Ethernet 14

struct VxlanSettings {
  uint32_t vni = 4096;
  uint16_t port = 4789;
};

struct LocalFacts {
  std::string node;
  model::InterfaceAddress underlay;  // the address other nodes reach this one at, with its prefix
  int underlay_ifindex = 0;
  uint32_t underlay_mtu = 1500;
  int vxlan_ifindex = 0;  // 0 while the device does not exist: VXLAN routes wait for it
  kernel::MacAddress vtep_mac;
  VxlanSettings vxlan;
};

struct VxlanDevice {
  kernel::VxlanSpec spec;
  std::vector<Prefix> addresses;  // this node's VTEP addresses, as /32 and /128
};

struct DesiredState {
  std::optional<VxlanDevice> vxlan;           // wanted when any pool uses VXLAN
  std::vector<kernel::Route> routes;          // block routes and blackholes, sorted by destination
  std::vector<kernel::Neighbour> neighbours;  // on the VXLAN device
  std::vector<kernel::FdbEntry> fdb;          // on the VXLAN device
  std::vector<Prefix> pools;                  // every pool's CIDR
  std::vector<Prefix> nat_outgoing;           // CIDRs of pools whose traffic leaving the pools is masqueraded
  uint32_t workload_mtu = 1500;
  std::vector<std::string> problems;          // what could not be connected, and why
};

// The VTEP address of `node` for `family`, or nullopt when it holds no block of a VXLAN pool of
// that family.
std::optional<IpAddress> vtep_address(const model::ClusterModel& model, const std::string& node, Family family);

// Routes learned over BGP: prefix -> the next hops of its best paths.
using LearnedRoutes = std::map<Prefix, std::vector<IpAddress>>;

DesiredState compute_desired(const model::ClusterModel& model, const LocalFacts& self,
                             const LearnedRoutes& learned = {});

}  // namespace weft::dataplane
