// The lab's topology as pure values: which namespaces exist, which host sits on which segment,
// every underlay address, pod names and addresses, and which pod pairs a mode can connect.
// Nothing here touches the kernel or the store (DESIGN.md "The lab").
//
//   weft-lab-etcd  eth0 198.18.0.2/24 ── etcd  198.18.0.1/24 ┐
//                                                             weft-lab-router (ip_forward=1)
//   weft-lab-sS    br0 ── router ─────────── sS 198.18.S.1/24 ┘
//                     └── hN ── eth0 198.18.S.(10+N)/24  weft-lab-hN (hosts round-robin over segments)
//   weft-lab-hN-pK eth0 <block+10+K>/32 ── weft<hash> in weft-lab-hN
//
// The router knows the underlay only: it has no route to any pod address, unless it runs BGP
// (`--router bgp`, fabric_router.h): then BIRD in weft-lab-router reflects every host's pod
// blocks to the others and installs them into its kernel, so routed modes cross segments.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/ip.h"
#include "base/result.h"

namespace weft::cli::lab {

inline constexpr std::string_view kNetnsPrefix = "weft-lab-";
inline constexpr std::string_view kRouterNetns = "weft-lab-router";
inline constexpr std::string_view kEtcdNetns = "weft-lab-etcd";
inline constexpr std::string_view kEtcdAddress = "198.18.0.2";
inline constexpr std::string_view kEtcdGateway = "198.18.0.1";
inline constexpr std::string_view kStoreUrl = "etcd://198.18.0.2:2379";
inline constexpr std::string_view kDefaultStateDir = "/run/weft-lab";

inline constexpr std::string_view kPoolV4 = "lab";
inline constexpr std::string_view kPoolV4Cidr = "198.19.0.0/16";
inline constexpr int kPoolV4BlockLength = 24;
inline constexpr std::string_view kPoolV6 = "lab6";
inline constexpr std::string_view kPoolV6Cidr = "fd00:198:19::/48";
inline constexpr int kPoolV6BlockLength = 120;

inline constexpr int kUnderlayMtu = 1500;
inline constexpr int kVxlanOverhead = 50;
inline constexpr int kIpipOverhead = 20;
inline constexpr int kMaxHosts = 244;  // 198.18.S.(10+N) must stay below .255
inline constexpr int kMaxSegments = 254;
inline constexpr int kMaxPodsPerHost = 200;  // block first + 10 + K must stay inside a /24

// bgp: routes learned over BGP, full mesh; bgp_rr: h1 is the route reflector, the others peer
// with it only.
// ipip modes: the IPv4 pool uses IPIP (eBPF where the kernel has no ipip module); IPIP carries
// IPv4 only, so the IPv6 pool routes directly (same segment only). bgp-ipip-cross-subnet is
// Calico's recommended setup: BGP full mesh, IPIP only across segments. bgp-node-mesh-off: no
// node-to-node sessions at all, the fabric router (`--router bgp`) carries every route (Calico's
// large-cluster setup).
enum class Mode {
  direct,
  vxlan,
  vxlan_cross_subnet,
  bgp,
  bgp_rr,
  ipip,
  ipip_cross_subnet,
  bgp_ipip_cross_subnet,
  bgp_node_mesh_off,
};
std::string_view to_string(Mode mode);
Result<Mode> parse_mode(std::string_view text);
// The pool settings a mode stands for: "none"/"vxlan"/"ipip" and "always"/"cross-subnet".
std::string_view pool_encapsulation(Mode mode);
// The IPv6 pool's encapsulation: the mode's, except "none" where the mode's cannot carry IPv6.
std::string_view pool_encapsulation_v6(Mode mode);
std::string_view pool_encapsulate(Mode mode);
std::string_view pool_routes(Mode mode);  // "store" or "bgp"
bool node_mesh(Mode mode);                // false: bgp-node-mesh-off

// What the router between the segments is: a plain IP router, or a BGP speaker too.
enum class Router { plain, bgp };
std::string_view to_string(Router router);
Result<Router> parse_router(std::string_view text);
// invalid_argument when the mode needs another router (bgp-node-mesh-off needs --router bgp, a
// BGP router needs a mode whose pools are routed by BGP).
Result<void> validate_router(Mode mode, Router router);
// The weftd labels of a host in a mode (bgp-rr: the first host is the route reflector).
std::vector<std::string> host_labels(Mode mode, int host_index);
// The BGP sessions host `host_index` (1-based) of `hosts` runs in a mode (0 without BGP), the
// fabric router's included.
int bgp_sessions_of(Mode mode, Router router, int hosts, int host_index);
// The MTU a pod gets: the underlay's, less the VXLAN overhead where pods' packets may be tunnelled.
int pod_mtu(Mode mode);

struct TopologyOptions {
  int hosts = 4;
  int segments = 1;
  int pods_per_host = 2;
  Router router = Router::plain;
  int etcd_members = 1;  // 1, 3 or 5
};

// One etcd member. Member 1 is alone on its veth to the router (198.18.0.2); with more members
// they all sit on a bridge in weft-lab-etcd-lan behind the router's `etcd` leg, member N at
// 198.18.0.(N+1).
struct EtcdMember {
  int index = 0;        // 1..M
  std::string name;     // "weft-lab" for member 1 (as before), "weft-lab-N" for the others
  std::string netns;    // weft-lab-etcd, weft-lab-etcd2, ...
  std::string address;  // 198.18.0.(N+1)
};
inline constexpr std::string_view kEtcdLanNetns = "weft-lab-etcd-lan";

struct Segment {
  int index = 0;              // 1..S
  std::string netns;          // weft-lab-sS
  std::string router_port;    // the router's leg: "sS" in weft-lab-router, "router" in the switch
  std::string router_address; // "198.18.S.1/24"
  std::string gateway;        // "198.18.S.1"
};

struct Host {
  int index = 0;               // 1..N
  std::string name;            // hN
  std::string netns;           // weft-lab-hN
  int segment = 0;             // 1..S, round-robin
  std::string switch_port;     // the host's veth peer on the segment bridge: "hN"
  std::string underlay;        // "198.18.S.(10+N)/24"
  std::string gateway;         // "198.18.S.1"
};

struct PodSlot {
  std::string name;   // hN-pK
  std::string netns;  // weft-lab-hN-pK
  std::string host;   // hN
  int slot = 0;       // K, 1..pods_per_host
  std::string host_veth;
};

struct Topology {
  std::vector<EtcdMember> etcd;
  std::vector<Segment> segments;
  std::vector<Host> hosts;
  std::vector<PodSlot> pods;
  // Every namespace of the lab, in creation order (router and etcd first, pods last).
  std::vector<std::string> namespaces() const;
  // etcd://ADDR:2379[,ADDR:2379...]: every member, so clients fail over.
  std::string store_url() const;
};

// invalid_argument naming the option when a count is out of range.
Result<Topology> plan_topology(const TopologyOptions& options);

// "weft" + 8 hex digits of the FNV-1a hash of the pod name: at most 12 characters, stable across
// runs and builds, and unlikely to collide between the pods of one host.
std::string host_veth_name(std::string_view pod_name);

// The address pod slot K gets from a block: first address + 10 + K. invalid_argument if it falls
// outside the block.
Result<IpAddress> pod_address(const Prefix& block, int slot);

// The host side of every pod veth carries this MAC (as Calico does), so its IPv6 link-local
// address, the pods' IPv6 default gateway, is known in advance.
inline constexpr std::string_view kHostVethMac = "ee:ee:ee:ee:ee:ee";
inline constexpr std::string_view kHostVethLinkLocal = "fe80::ecee:eeff:feee:eeee";
// The pods' IPv4 default gateway, answered by proxy ARP on the host side of the veth.
inline constexpr std::string_view kPodGatewayV4 = "169.254.1.1";

// Whether the mode can carry traffic between pods on hosts `a` and `b`; when it cannot, `why`
// says so for the check's report. `agents` false (a lab without weftd) connects same-host pods only.
bool mode_connects(Mode mode, Router router, bool agents, const Host& a, const Host& b, std::string* why,
                   bool v6 = false);

// Where a lab host's weftd pins its BPF maps and programs (one bpffs directory per host).
inline constexpr std::string_view kBpfDir = "/sys/fs/bpf/weft-lab";

// "h3", "weft-lab-h3" and the like; returns the namespace name for a short or full name.
std::string netns_for(std::string_view name);

}  // namespace weft::cli::lab
