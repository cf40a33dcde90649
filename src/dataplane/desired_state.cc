#include "dataplane/desired_state.h"

#include <algorithm>
#include <set>

namespace weft::dataplane {
namespace {

bool uses_vxlan(const model::Pool& pool) { return pool.encapsulation == model::Encapsulation::vxlan; }

std::optional<IpAddress> first_v4(const model::Node& node) {
  for (const auto& a : node.addresses) {
    if (a.address.is_v4()) return a.address;
  }
  return std::nullopt;
}

template <class T>
void sort_unique(std::vector<T>& v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
}

}  // namespace

std::optional<IpAddress> vtep_address(const model::ClusterModel& model, const std::string& node, Family family) {
  for (const auto& [key, block] : model.blocks) {  // key order: stable on every node
    if (block.node != node || block.block.family() != family) continue;
    const auto* pool = model.pool_of(block);
    if (pool != nullptr && uses_vxlan(*pool)) return block.block.first();
  }
  return std::nullopt;
}

namespace {

bool link_local_v6(const IpAddress& a) { return !a.is_v4() && a.bytes()[0] == 0xfe && (a.bytes()[1] & 0xc0) == 0x80; }

// The kernel route for a prefix learned over BGP, or a problem when a next hop is not on-link.
std::optional<kernel::Route> learned_route(const Prefix& prefix, const std::vector<IpAddress>& hops,
                                           const LocalFacts& self, std::vector<std::string>& problems) {
  std::vector<kernel::Nexthop> nexthops;
  for (const auto& hop : hops) {
    const bool on_link = hop.is_v4() ? self.underlay.subnet().contains(hop) : link_local_v6(hop);
    if (hop.is_v4() != prefix.address().is_v4()) {
      problems.push_back("bgp: " + prefix.to_string() + " has next hop " + hop.to_string() + " of the other family");
      continue;
    }
    if (!on_link) {
      problems.push_back("bgp: next hop " + hop.to_string() + " of " + prefix.to_string() + " is not on-link from " +
                         self.underlay.subnet().to_string());
      continue;
    }
    nexthops.push_back(kernel::Nexthop{.gateway = hop, .ifindex = self.underlay_ifindex});
  }
  if (nexthops.empty()) return std::nullopt;
  if (nexthops.size() == 1) return kernel::Route::via_gateway(prefix, *nexthops[0].gateway, self.underlay_ifindex);
  return kernel::Route::multipath(prefix, std::move(nexthops));
}

}  // namespace

DesiredState compute_desired(const model::ClusterModel& model, const LocalFacts& self, const LearnedRoutes& learned) {
  DesiredState out;
  bool any_vxlan = false;
  for (const auto& [name, pool] : model.pools) {
    out.pools.push_back(pool.cidr);
    if (pool.nat_outgoing) out.nat_outgoing.push_back(pool.cidr);
    any_vxlan |= uses_vxlan(pool);
  }
  out.workload_mtu = any_vxlan ? self.underlay_mtu - kVxlanOverhead : self.underlay_mtu;

  if (any_vxlan) {
    VxlanDevice device;
    device.spec.name = std::string(kVxlanDevice);
    device.spec.vni = self.vxlan.vni;
    device.spec.port = self.vxlan.port;
    device.spec.local = self.underlay.address;
    device.spec.underlay = self.underlay_ifindex;
    device.spec.learning = false;
    device.spec.mtu = self.underlay_mtu - kVxlanOverhead;
    device.spec.mac = self.vtep_mac;
    for (Family f : {Family::v4, Family::v6}) {
      if (auto a = vtep_address(model, self.node, f)) device.addresses.push_back(Prefix(*a, a->bit_width()));
    }
    out.vxlan = device;
  }

  const Prefix self_subnet = self.underlay.subnet();
  std::set<Prefix> own_blocks;
  for (const auto& [key, block] : model.blocks) {
    const auto* pool = model.pool_of(block);
    if (pool == nullptr) continue;  // a block of a deleted pool: nothing to route
    if (block.node == self.node) {
      out.routes.push_back(kernel::Route::blackhole(block.block));
      own_blocks.insert(block.block);
      continue;
    }
    if (model::routed_by_bgp(*pool)) continue;  // BGP brings these (below)
    auto node_it = model.nodes.find(block.node);
    if (node_it == model.nodes.end()) {
      out.problems.push_back("block " + block.block.to_string() + " is held by " + block.node +
                             ", which has no node record: no route");
      continue;
    }
    const model::Node& node = node_it->second;
    const auto underlay = first_v4(node);
    if (!underlay) {
      out.problems.push_back(node.name + " has no IPv4 underlay address: no route to " + block.block.to_string());
      continue;
    }
    const bool on_link = self_subnet.contains(*underlay);
    const bool direct = pool->encapsulation == model::Encapsulation::none ||
                        (pool->encapsulate == model::Encapsulate::cross_subnet && on_link);
    if (direct) {
      if (!on_link) {
        out.problems.push_back(node.name + " (" + underlay->to_string() + ") is not on-link from " +
                               self_subnet.to_string() + ": pool " + pool->name +
                               " routes directly, so " + block.block.to_string() + " is unreachable");
        continue;
      }
      if (!block.block.address().is_v4()) {
        // An IPv6 route cannot take an IPv4 next hop; on a shared segment the node's IPv6
        // link-local address on that segment is the next hop.
        if (!node.underlay_link_local) {
          out.problems.push_back(node.name + " has no IPv6 link-local underlay address: no direct route to " +
                                 block.block.to_string());
          continue;
        }
        out.routes.push_back(kernel::Route::via_gateway(block.block, *node.underlay_link_local, self.underlay_ifindex));
        continue;
      }
      out.routes.push_back(kernel::Route::via_gateway(block.block, *underlay, self.underlay_ifindex));
      continue;
    }
    if (pool->encapsulation != model::Encapsulation::vxlan) {
      out.problems.push_back("pool " + pool->name + ": encapsulation " +
                             std::string(model::to_string(pool->encapsulation)) + " is not supported yet");
      continue;
    }
    auto mac = kernel::MacAddress::parse(node.vtep_mac);
    if (!mac || mac->is_zero()) {
      out.problems.push_back(node.name + " has no VTEP MAC yet: no VXLAN route to " + block.block.to_string());
      continue;
    }
    auto vtep = vtep_address(model, node.name, block.block.family());
    if (!vtep) continue;  // cannot happen: this very block makes one
    if (self.vxlan_ifindex == 0) continue;  // the device is being created; next round
    out.routes.push_back(kernel::Route::via_gateway(block.block, *vtep, self.vxlan_ifindex, /*onlink=*/true));
    out.neighbours.push_back(kernel::Neighbour{self.vxlan_ifindex, *vtep, *mac, true});
    out.fdb.push_back(kernel::FdbEntry{self.vxlan_ifindex, *mac, *underlay});
  }
  for (const auto& [prefix, hops] : learned) {
    if (own_blocks.contains(prefix)) continue;  // e.g. our own block reflected back, or kept from before
    const auto pool = std::find_if(model.pools.begin(), model.pools.end(),
                                   [&](const auto& p) { return p.second.cidr.contains(prefix); });
    if (pool != model.pools.end() && pool->second.encapsulation == model::Encapsulation::ipip &&
        pool->second.encapsulate == model::Encapsulate::always) {
      // Routing it unencapsulated would not be what the pool asks for (cross-subnet: on-link next
      // hops are routed directly, which learned_route does; the others it reports).
      out.problems.push_back("pool " + pool->first + ": encapsulation ipip is not supported yet: no route to " +
                             prefix.to_string());
      continue;
    }
    if (auto route = learned_route(prefix, hops, self, out.problems)) out.routes.push_back(std::move(*route));
  }
  std::sort(out.routes.begin(), out.routes.end(),
            [](const kernel::Route& a, const kernel::Route& b) { return a.destination < b.destination; });
  sort_unique(out.neighbours);
  sort_unique(out.fdb);
  sort_unique(out.pools);
  sort_unique(out.nat_outgoing);
  return out;
}

}  // namespace weft::dataplane
