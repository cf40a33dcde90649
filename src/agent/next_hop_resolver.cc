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
    if (!from.is_v4()) return dataplane::link_local_v6(from);
    if (underlay_.subnet().contains(from)) return true;
    // A peer directly connected on another link: the address is on that link.
    const auto& via = lookup(from);
    if (!via || via->gateway != from) return false;
    link_local_devices_[hop] = via->device;
    return true;
  }
  if (hop.is_v4() && underlay_.subnet().contains(hop)) return true;
  return lookup(hop).has_value();
}

std::map<IpAddress, dataplane::ResolvedHop> NextHopResolver::resolve(const dataplane::LearnedRoutes& learned) {
  std::map<IpAddress, dataplane::ResolvedHop> out;
  for (const auto& [prefix, hops] : learned) {
    for (const auto& hop : hops) {
      if ((hop.is_v4() && underlay_.subnet().contains(hop)) || out.contains(hop)) continue;
      if (dataplane::link_local_v6(hop)) {
        auto device = link_local_devices_.find(hop);
        if (device != link_local_devices_.end()) out.emplace(hop, dataplane::ResolvedHop{hop, device->second});
        continue;
      }
      if (const auto& via = lookup(hop)) out.emplace(hop, *via);
    }
  }
  return out;
}

}  // namespace weft::agent
