// The kernel state a node should have, as a pure function of the cluster model and the node's own
// facts (DESIGN.md "Inside weftd"). No kernel access and no libnl: unit-tested with tables.
//
// compute_desired() asks every data-plane backend (backend.h) for its part, once per round:
// - local blocks (here): a blackhole route per block this node holds, so traffic to a free
//   address of our block dies here instead of following a default route out;
// - direct (direct.h): flannel host-gw routes to nodes on this node's segment;
// - vxlan (vxlan.h): the weft.vxlan device, its routes, neighbour and FDB entries;
// - ipip (ipip.h): routes through tunl0, or through the underlay with eBPF map entries;
// - bgp routes (bgp_routes.h): the routes the BGP speaker learned for `routes: bgp` pools;
// - nat (nat.h): the nftables table masquerading natOutgoing pools;
// - policy (policy.h): the nftables table enforcing network policy for this node's endpoints.
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
#include "kernel/bpf.h"
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

inline constexpr std::string_view kIpipKernelDevice = "tunl0";  // the ipip module's fallback device
inline constexpr uint32_t kIpipOverhead = 20;                    // the outer IPv4 header

// How IPIP is done on this node: the kernel's tunl0, or weft's tc programs (bpf/ipip.bpf.c).
enum class IpipDataplane { kernel, ebpf };
std::string_view to_string(IpipDataplane dataplane);

// How a BGP next hop off the underlay subnet is reached (next_hops.h).
struct ResolvedHop {
  IpAddress gateway;   // the next hop itself when on-link, else the kernel route's gateway
  std::string device;  // the link it leaves through
  friend bool operator==(const ResolvedHop&, const ResolvedHop&) = default;
};

struct LocalFacts {
  std::string node;
  model::InterfaceAddress underlay;  // the address other nodes reach this one at, with its prefix
  std::string underlay_device;
  int underlay_ifindex = 0;          // the VXLAN device's underlay (VxlanSpec::underlay)
  uint32_t underlay_mtu = 1500;
  kernel::MacAddress vtep_mac;
  VxlanSettings vxlan;
  IpipDataplane ipip = IpipDataplane::ebpf;
  std::string bpf_dir = "/sys/fs/bpf/weft";  // where weft's BPF maps and programs are pinned
  // The outer next hop toward a remote node's IPv4 underlay address when it is not on this
  // node's underlay subnet (the gateway of the kernel's route to it). eBPF IPIP routes blocks
  // there: the encapsulated packet leaves with that next hop's MAC.
  std::map<IpAddress, IpAddress> underlay_next_hops;
  // BGP next hops that are neither on the underlay subnet nor link-local (a router on its own
  // link, another segment's node, a multihop router), as the kernel reaches them (next_hops.h).
  std::map<IpAddress, ResolvedHop> bgp_next_hops;
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

// IPIP, when any pool uses it: the kernel's tunl0 (MTU, this node's tunnel address) or weft's
// eBPF programs on the underlay device with their map contents. `wanted` false: remove them.
struct IpipState {
  bool wanted = false;
  IpipDataplane dataplane = IpipDataplane::ebpf;
  std::string device;                   // tunl0, or the underlay device the programs sit on
  uint32_t mtu = 1480;                  // tunl0's MTU
  std::optional<Prefix> tunnel_address; // tunl0's address: /32 from this node's first ipip block
  std::string pin_dir;
  std::vector<kernel::BpfMapEntry> tunnels, pools, nodes;  // encoded (bpf/ipip_object.h), sorted
};

struct DesiredState {
  std::optional<VxlanDevice> vxlan;           // wanted when any pool uses VXLAN
  std::vector<DesiredRoute> routes;           // block routes and blackholes, sorted by destination
  std::vector<kernel::Neighbour> neighbours;  // on the VXLAN device (ifindex 0 until resolved)
  std::vector<kernel::FdbEntry> fdb;          // on the VXLAN device (ifindex 0 until resolved)
  std::vector<Prefix> pools;                  // every pool's CIDR
  std::vector<Prefix> nat_outgoing;           // CIDRs of pools whose traffic leaving the pools is masqueraded
  std::optional<kernel::NftTable> nat;        // the NAT table; nullopt: no pool asks for NAT
  std::optional<kernel::NftTable> policy;     // the policy table (policy.h); nullopt: no policy at all
  IpipState ipip;
  uint32_t workload_mtu = 1500;
  std::vector<std::string> problems;          // what could not be connected, and why
};

// Routes learned over BGP: prefix -> the next hops of its best paths.
using LearnedRoutes = std::map<Prefix, std::vector<IpAddress>>;

// `policy`: this node's policy table as the policy compiler rendered it (policy/model_view.h,
// host_policy()), nullopt when the cluster has no policy; the agent renders it and hands it over.
DesiredState compute_desired(const model::ClusterModel& model, const LocalFacts& self,
                             const LearnedRoutes& learned = {},
                             const std::optional<kernel::NftTable>& policy = std::nullopt);

}  // namespace weft::dataplane
