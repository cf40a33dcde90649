#include "cli/lab/topology.h"

#include <cstdio>

namespace weft::cli::lab {

std::string_view to_string(Mode mode) {
  switch (mode) {
    case Mode::direct: return "direct";
    case Mode::vxlan: return "vxlan";
    case Mode::vxlan_cross_subnet: return "vxlan-cross-subnet";
    case Mode::bgp: return "bgp";
    case Mode::bgp_rr: return "bgp-rr";
    case Mode::ipip: return "ipip";
    case Mode::ipip_cross_subnet: return "ipip-cross-subnet";
    case Mode::bgp_ipip_cross_subnet: return "bgp-ipip-cross-subnet";
    case Mode::bgp_node_mesh_off: return "bgp-node-mesh-off";
  }
  return "?";
}

Result<Mode> parse_mode(std::string_view text) {
  if (text == "direct") return Mode::direct;
  if (text == "vxlan") return Mode::vxlan;
  if (text == "vxlan-cross-subnet") return Mode::vxlan_cross_subnet;
  if (text == "bgp") return Mode::bgp;
  if (text == "bgp-rr") return Mode::bgp_rr;
  if (text == "ipip") return Mode::ipip;
  if (text == "ipip-cross-subnet") return Mode::ipip_cross_subnet;
  if (text == "bgp-ipip-cross-subnet") return Mode::bgp_ipip_cross_subnet;
  if (text == "bgp-node-mesh-off") return Mode::bgp_node_mesh_off;
  return fail(Errc::invalid_argument, "unknown lab mode '", text,
              "' (expected direct, vxlan, vxlan-cross-subnet, bgp, bgp-rr, ipip, ipip-cross-subnet, "
              "bgp-ipip-cross-subnet or bgp-node-mesh-off)");
}

std::string_view to_string(Router router) { return router == Router::bgp ? "bgp" : "plain"; }

Result<Router> parse_router(std::string_view text) {
  if (text == "plain") return Router::plain;
  if (text == "bgp") return Router::bgp;
  return fail(Errc::invalid_argument, "unknown router '", text, "' (expected plain or bgp)");
}

namespace {
bool routed(Mode mode) {
  return mode == Mode::direct || mode == Mode::bgp || mode == Mode::bgp_rr || mode == Mode::bgp_node_mesh_off;
}
bool ipip(Mode mode) {
  return mode == Mode::ipip || mode == Mode::ipip_cross_subnet || mode == Mode::bgp_ipip_cross_subnet;
}
}  // namespace

std::string_view pool_encapsulation(Mode mode) { return routed(mode) ? "none" : ipip(mode) ? "ipip" : "vxlan"; }

std::string_view pool_encapsulation_v6(Mode mode) { return ipip(mode) ? "none" : pool_encapsulation(mode); }

std::string_view pool_routes(Mode mode) {
  return mode == Mode::bgp || mode == Mode::bgp_rr || mode == Mode::bgp_ipip_cross_subnet ||
                 mode == Mode::bgp_node_mesh_off
             ? "bgp"
             : "store";
}

bool node_mesh(Mode mode) { return mode != Mode::bgp_node_mesh_off; }

Result<void> validate_router(Mode mode, Router router) {
  if (mode == Mode::bgp_node_mesh_off && router != Router::bgp) {
    return fail(Errc::invalid_argument,
                "--mode bgp-node-mesh-off needs --router bgp: without the node mesh only the fabric router carries routes");
  }
  if (router == Router::bgp && pool_routes(mode) != "bgp") {
    return fail(Errc::invalid_argument, "--router bgp needs a mode whose pools are routed by BGP (bgp, bgp-rr, "
                                        "bgp-ipip-cross-subnet or bgp-node-mesh-off), not ", to_string(mode));
  }
  return {};
}

std::vector<std::string> host_labels(Mode mode, int host_index) {
  if (mode == Mode::bgp_rr && host_index == 1) return {"weft.io/route-reflector=true"};
  return {};
}

std::string_view pool_encapsulate(Mode mode) {
  return mode == Mode::vxlan_cross_subnet || mode == Mode::ipip_cross_subnet || mode == Mode::bgp_ipip_cross_subnet
             ? "cross-subnet"
             : "always";
}

int bgp_sessions_of(Mode mode, Router router, int hosts, int host_index) {
  const int fabric = router == Router::bgp ? 1 : 0;
  if (mode == Mode::bgp || mode == Mode::bgp_ipip_cross_subnet) return hosts - 1 + fabric;
  if (mode == Mode::bgp_rr) return (host_index == 1 ? hosts - 1 : (hosts > 1 ? 1 : 0)) + fabric;
  if (mode == Mode::bgp_node_mesh_off) return fabric;
  return 0;
}

int pod_mtu(Mode mode) {
  return routed(mode) ? kUnderlayMtu : ipip(mode) ? kUnderlayMtu - kIpipOverhead : kUnderlayMtu - kVxlanOverhead;
}

std::vector<std::string> Topology::namespaces() const {
  std::vector<std::string> out{std::string(kRouterNetns)};
  if (etcd.size() > 1) out.push_back(std::string(kEtcdLanNetns));
  for (const auto& m : etcd) out.push_back(m.netns);
  for (const auto& s : segments) out.push_back(s.netns);
  for (const auto& h : hosts) out.push_back(h.netns);
  for (const auto& p : pods) out.push_back(p.netns);
  return out;
}

std::string Topology::store_url() const {
  std::string url = "etcd://";
  for (const auto& m : etcd) url += (m.index == 1 ? "" : ",") + m.address + ":2379";
  return url;
}

Result<Topology> plan_topology(const TopologyOptions& options) {
  if (options.hosts < 1 || options.hosts > kMaxHosts) {
    return fail(Errc::invalid_argument, "--hosts must be between 1 and ", std::to_string(kMaxHosts));
  }
  if (options.segments < 1 || options.segments > kMaxSegments) {
    return fail(Errc::invalid_argument, "--segments must be between 1 and ", std::to_string(kMaxSegments));
  }
  if (options.segments > options.hosts) {
    return fail(Errc::invalid_argument, "--segments (", std::to_string(options.segments),
                ") must not exceed --hosts (", std::to_string(options.hosts), ")");
  }
  if (options.pods_per_host < 0 || options.pods_per_host > kMaxPodsPerHost) {
    return fail(Errc::invalid_argument, "--pods-per-host must be between 0 and ",
                std::to_string(kMaxPodsPerHost));
  }
  if (options.etcd_members != 1 && options.etcd_members != 3 && options.etcd_members != 5) {
    return fail(Errc::invalid_argument, "--etcd-members must be 1, 3 or 5");
  }
  Topology t;
  for (int m = 1; m <= options.etcd_members; ++m) {
    t.etcd.push_back(EtcdMember{
        .index = m,
        .name = m == 1 ? "weft-lab" : "weft-lab-" + std::to_string(m),
        .netns = m == 1 ? std::string(kEtcdNetns) : std::string(kEtcdNetns) + std::to_string(m),
        .address = "198.18.0." + std::to_string(m + 1),
    });
  }
  for (int s = 1; s <= options.segments; ++s) {
    const std::string net = "198.18." + std::to_string(s) + ".";
    t.segments.push_back(Segment{
        .index = s,
        .netns = std::string(kNetnsPrefix) + "s" + std::to_string(s),
        .router_port = "s" + std::to_string(s),
        .router_address = net + "1/24",
        .gateway = net + "1",
    });
  }
  for (int i = 1; i <= options.hosts; ++i) {
    const int s = (i - 1) % options.segments + 1;
    const std::string name = "h" + std::to_string(i);
    t.hosts.push_back(Host{
        .index = i,
        .name = name,
        .netns = std::string(kNetnsPrefix) + name,
        .segment = s,
        .switch_port = name,
        .underlay = "198.18." + std::to_string(s) + "." + std::to_string(10 + i) + "/24",
        .gateway = "198.18." + std::to_string(s) + ".1",
    });
  }
  for (const auto& h : t.hosts) {
    for (int k = 1; k <= options.pods_per_host; ++k) {
      const std::string name = h.name + "-p" + std::to_string(k);
      t.pods.push_back(PodSlot{
          .name = name,
          .netns = std::string(kNetnsPrefix) + name,
          .host = h.name,
          .slot = k,
          .host_veth = host_veth_name(name),
      });
    }
  }
  return t;
}

std::string host_veth_name(std::string_view pod_name) {
  uint32_t hash = 2166136261u;
  for (unsigned char c : pod_name) {
    hash ^= c;
    hash *= 16777619u;
  }
  char buf[16];
  std::snprintf(buf, sizeof buf, "weft%08x", hash);
  return buf;
}

Result<IpAddress> pod_address(const Prefix& block, int slot) {
  const IpAddress a = block.first().plus(static_cast<uint64_t>(10 + slot));
  if (slot < 1 || !block.contains(a) || a == block.last()) {
    return fail(Errc::invalid_argument, "pod slot ", std::to_string(slot), " does not fit in block ",
                block.to_string());
  }
  return a;
}

bool mode_connects(Mode mode, Router router, bool agents, const Host& a, const Host& b, std::string* why,
                   bool v6) {
  if (a.name == b.name) return true;
  if (!agents) {
    if (why) *why = "no agents: only pods on the same host";
    return false;
  }
  const bool fabric = pool_routes(mode) == "bgp" && router == Router::bgp;  // the router learns every block
  if (v6 && ipip(mode) && a.segment != b.segment && !fabric) {
    if (why) *why = "IPIP carries IPv4 only: the IPv6 pool routes directly, within a segment";
    return false;
  }
  if (routed(mode) && a.segment != b.segment && !fabric) {
    if (why) *why = mode == Mode::direct ? "direct routes do not cross segments"
                                         : "the router between the segments does not speak BGP (--router bgp)";
    return false;
  }
  return true;
}

std::string netns_for(std::string_view name) {
  if (name.starts_with(kNetnsPrefix)) return std::string(name);
  return std::string(kNetnsPrefix) + std::string(name);
}

}  // namespace weft::cli::lab
