#include "dataplane/next_hops.h"

#include <algorithm>

namespace weft::dataplane {

bool link_local_v6(const IpAddress& a) { return !a.is_v4() && a.bytes()[0] == 0xfe && (a.bytes()[1] & 0xc0) == 0x80; }

std::optional<ResolvedHop> resolve_next_hop(const IpAddress& hop, kernel::KernelOps& kernel) {
  auto route = kernel.lookup_route(hop);
  if (!route || route->type != kernel::RouteType::unicast || route->nexthops.empty()) return std::nullopt;
  const kernel::Nexthop& first = route->nexthops.front();
  auto link = kernel.get_link(first.ifindex);
  if (!link || link->name.empty() || link->name.starts_with("weft") || link->name == kIpipKernelDevice) {
    return std::nullopt;
  }
  return ResolvedHop{first.gateway.value_or(hop), link->name};
}

std::optional<IpAddress> link_local_of(const IpAddress& local, kernel::KernelOps& kernel) {
  auto links = kernel.list_links();
  if (!links) return std::nullopt;
  for (const auto& link : *links) {
    auto addresses = kernel.list_addresses(link.index);
    if (!addresses) continue;
    const bool holds = std::any_of(addresses->begin(), addresses->end(),
                                   [&](const kernel::LinkAddress& a) { return a.address == local; });
    if (!holds) continue;
    for (const auto& a : *addresses) {
      if (link_local_v6(a.address)) return a.address;
    }
    return std::nullopt;
  }
  return std::nullopt;
}

}  // namespace weft::dataplane
