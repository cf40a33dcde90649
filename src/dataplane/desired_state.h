// The kernel state a node should have, as a pure function of the cluster model and the node's own
// facts (DESIGN.md "Inside weftd"). No kernel access and no libnl: unit-tested with tables.
//
// compute_desired() asks every data-plane backend (backend.h) for its part, once per round:
// - local blocks (here): a blackhole route per block this node holds, so traffic to a free
//   address of our block dies here instead of following a default route out;
// - direct (direct.h): flannel host-gw routes to nodes on this node's segment;
// - vxlan (vxlan.h): the weft.vxlan device, its routes, neighbour and FDB entries;
// - bgp routes (bgp_routes.h): the routes the BGP speaker learned for `routes: bgp` pools;
// - nat (nat.h): the nftables table masquerading natOutgoing pools.
// Which backend carries a remote block is decided once, by block_paths.h.
//
// Devices are referred to by name (DesiredRoute::device, and the VXLAN device's entries are on
// that device), so the state is complete before any device exists; the reconciler resolves names
// to indices when it applies it.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/ip.h"
#include "kernel/link.h"
#include "kernel/mac.h"
#include "kernel/neighbour.h"
#include "kernel/nft_table.h"
#include "kernel/route.h"
#include "model/cluster_model.h"

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
  std::string underlay_device;
  int underlay_ifindex = 0;          // the VXLAN device's underlay (VxlanSpec::underlay)
  uint32_t underlay_mtu = 1500;
  kernel::MacAddress vtep_mac;
  VxlanSettings vxlan;
};

// A route whose next hops all leave through `device` (empty for a blackhole); the nexthops'
// ifindex is 0 until the reconciler resolves the name.
struct DesiredRoute {
  kernel::Route route;
  std::string device;
  friend bool operator==(const DesiredRoute&, const DesiredRoute&) = default;
};

struct VxlanDevice {
  kernel::VxlanSpec spec;
  std::vector<Prefix> addresses;  // this node's VTEP addresses, as /32 and /128
};

struct DesiredState {
  std::optional<VxlanDevice> vxlan;           // wanted when any pool uses VXLAN
  std::vector<DesiredRoute> routes;           // block routes and blackholes, sorted by destination
  std::vector<kernel::Neighbour> neighbours;  // on the VXLAN device (ifindex 0 until resolved)
  std::vector<kernel::FdbEntry> fdb;          // on the VXLAN device (ifindex 0 until resolved)
  std::vector<Prefix> pools;                  // every pool's CIDR
  std::vector<Prefix> nat_outgoing;           // CIDRs of pools whose traffic leaving the pools is masqueraded
  std::optional<kernel::NftTable> nat;        // the NAT table; nullopt: no pool asks for NAT
  uint32_t workload_mtu = 1500;
  std::vector<std::string> problems;          // what could not be connected, and why
};

// Routes learned over BGP: prefix -> the next hops of its best paths.
using LearnedRoutes = std::map<Prefix, std::vector<IpAddress>>;

DesiredState compute_desired(const model::ClusterModel& model, const LocalFacts& self,
                             const LearnedRoutes& learned = {});

}  // namespace weft::dataplane
