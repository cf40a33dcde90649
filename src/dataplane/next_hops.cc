#include "dataplane/next_hops.h"

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

}  // namespace weft::dataplane
