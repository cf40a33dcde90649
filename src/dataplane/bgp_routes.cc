#include "dataplane/bgp_routes.h"

#include <algorithm>
#include <set>

#include "dataplane/ipip.h"
#include "dataplane/next_hops.h"

namespace weft::dataplane {
namespace {

// The route for a learned prefix, or nullopt (with problems) when no next hop is usable. Next hops
// on the underlay's subnet (IPv4) or link-local (IPv6) leave through the underlay device; others
// as the kernel reaches them (LocalFacts::bgp_next_hops). One route has one device: next hops
// through another device than the first usable one are left out.
std::optional<DesiredRoute> learned_route(const Prefix& prefix, const std::vector<IpAddress>& hops,
                                          const LocalFacts& self, std::vector<std::string>& problems) {
  std::vector<kernel::Nexthop> nexthops;
  std::string device;
  for (const auto& hop : hops) {
    if (hop.is_v4() != prefix.address().is_v4()) {
      problems.push_back("bgp: " + prefix.to_string() + " has next hop " + hop.to_string() + " of the other family");
      continue;
    }
    const bool on_link = hop.is_v4() ? self.underlay.subnet().contains(hop) : link_local_v6(hop);
    ResolvedHop via{hop, self.underlay_device};
    if (auto it = self.bgp_next_hops.find(hop); it != self.bgp_next_hops.end()) {
      via = it->second;  // includes a link-local address of a router's own link
    } else if (!on_link) {
      problems.push_back("bgp: next hop " + hop.to_string() + " of " + prefix.to_string() + " is not reachable from here");
      continue;
    }
    if (device.empty()) device = via.device;
    if (via.device != device) continue;  // another link: ECMP within one device only
    kernel::Nexthop nh{.gateway = via.gateway};
    if (std::find(nexthops.begin(), nexthops.end(), nh) == nexthops.end()) nexthops.push_back(nh);
  }
  if (nexthops.empty()) return std::nullopt;
  if (nexthops.size() == 1) return DesiredRoute{kernel::Route::via_gateway(prefix, *nexthops[0].gateway), device};
  return DesiredRoute{kernel::Route::multipath(prefix, std::move(nexthops)), device};
}

}  // namespace

void BgpRoutesBackend::contribute(const BackendInput& in, DesiredState& out) const {
  std::set<Prefix> own;
  for (const auto& b : in.blocks) {
    if (b.path == Path::local) own.insert(b.block->block);
  }
  for (const auto& [prefix, hops] : in.learned) {
    if (own.contains(prefix)) continue;
    const auto pool = std::find_if(in.model.pools.begin(), in.model.pools.end(),
                                   [&](const auto& p) { return p.second.cidr.contains(prefix); });
    if (pool != in.model.pools.end() && pool->second.encapsulation == model::Encapsulation::ipip &&
        prefix.family() == Family::v4 && !hops.empty()) {
      // IPIP pools: cross-subnet routes next hops on this segment directly (learned_route);
      // everything else goes through the tunnel, to the first next hop (the tunnel map has one
      // remote per block, so no ECMP over IPIP).
      const bool direct = pool->second.encapsulate == model::Encapsulate::cross_subnet &&
                          std::all_of(hops.begin(), hops.end(), [&](const IpAddress& h) { return in.self.underlay.subnet().contains(h); });
      if (!direct) {
        add_ipip_path(prefix, *std::min_element(hops.begin(), hops.end()), in, out);
        continue;
      }
    }
    if (auto route = learned_route(prefix, hops, in.self, out.problems)) out.routes.push_back(std::move(*route));
  }
}

}  // namespace weft::dataplane
