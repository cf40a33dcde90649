#include "agent/next_hop_resolver.h"

#include <algorithm>

#include "dataplane/next_hops.h"

namespace weft::agent {

void NextHopResolver::new_round(const model::InterfaceAddress& underlay, const model::ClusterModel& model) {
  underlay_ = underlay;
  pools_.clear();
  for (const auto& [name, pool] : model.pools) pools_.push_back(pool.cidr);
  cache_.clear();
}

const std::optional<dataplane::ResolvedHop>& NextHopResolver::lookup(const IpAddress& hop) {
  auto it = cache_.find(hop);
  if (it == cache_.end()) it = cache_.emplace(hop, dataplane::resolve_next_hop(hop, kernel_)).first;
  return it->second;
}

bool NextHopResolver::usable(const IpAddress& hop, const IpAddress& from) {
  if (std::any_of(pools_.begin(), pools_.end(), [&](const Prefix& p) { return p.contains(hop); })) return false;
  if (dataplane::link_local_v6(hop)) {
    return from.is_v4() ? underlay_.subnet().contains(from) : dataplane::link_local_v6(from);
  }
  if (hop.is_v4() && underlay_.subnet().contains(hop)) return true;
  return lookup(hop).has_value();
}

std::map<IpAddress, dataplane::ResolvedHop> NextHopResolver::resolve(const dataplane::LearnedRoutes& learned) {
  std::map<IpAddress, dataplane::ResolvedHop> out;
  for (const auto& [prefix, hops] : learned) {
    for (const auto& hop : hops) {
      if (dataplane::link_local_v6(hop) || (hop.is_v4() && underlay_.subnet().contains(hop)) || out.contains(hop)) {
        continue;
      }
      if (const auto& via = lookup(hop)) out.emplace(hop, *via);
    }
  }
  return out;
}

}  // namespace weft::agent
