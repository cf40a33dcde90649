#include "dataplane/bgp_routes.h"

#include <algorithm>
#include <set>

#include "dataplane/ipip.h"

namespace weft::dataplane {
namespace {

bool link_local_v6(const IpAddress& a) { return !a.is_v4() && a.bytes()[0] == 0xfe && (a.bytes()[1] & 0xc0) == 0x80; }

// The route for a learned prefix, or nullopt (with problems) when no next hop is usable.
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
    nexthops.push_back(kernel::Nexthop{.gateway = hop});
  }
  if (nexthops.empty()) return std::nullopt;
  if (nexthops.size() == 1) return kernel::Route::via_gateway(prefix, *nexthops[0].gateway);
  return kernel::Route::multipath(prefix, std::move(nexthops));
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
    if (auto route = learned_route(prefix, hops, in.self, out.problems)) {
      out.routes.push_back({std::move(*route), in.self.underlay_device});
    }
  }
}

}  // namespace weft::dataplane
