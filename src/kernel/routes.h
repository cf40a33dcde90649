// Installing, replacing, deleting and listing routes.
//
// Contract:
// - add_route creates a route and fails with already_exists if one with the same destination,
//   table, metric (and TOS) exists. replace_route creates or atomically replaces it in one
//   RTM_NEWROUTE (NLM_F_REPLACE): the route never disappears in between, and replacing a route
//   with an identical one is a no-op in the kernel — not even a notification is sent (checked by
//   the integration test with a RouteWatcher) — so a reconciler may replace freely.
// - delete_route removes the route matching destination, table, metric, protocol and nexthops;
//   not_found (ESRCH) if there is none. Because the protocol is part of the match, it cannot
//   delete another owner's route with the same destination.
// - list_routes returns the routes matching the filter; by default only weft's own routes
//   (kWeftRouteProtocol) in the main table, both families. Cached/cloned entries are never listed.
// - lookup_route asks the kernel which route it would use for a destination (`ip route get`);
//   not_found when the destination is unreachable.
// - Scope is derived, not configured: link for a route whose nexthops have no gateway, universe
//   otherwise.
// - Errors: "adding route 198.19.1.0/24 via 198.18.0.2 dev eth0: Network is unreachable (errno
//   101; kernel: Nexthop has invalid gateway)"; invalid_argument for a route that cannot be
//   expressed (unicast without nexthops, mixed address families, weight out of range).
#pragma once

#include <optional>
#include <vector>

#include "base/ip.h"
#include "base/result.h"
#include "kernel/netlink_socket.h"
#include "kernel/route.h"

namespace weft::kernel {

Result<void> add_route(NetlinkSocket& sock, const Route& route);
Result<void> replace_route(NetlinkSocket& sock, const Route& route);
Result<void> delete_route(NetlinkSocket& sock, const Route& route);

Result<std::vector<Route>> list_routes(NetlinkSocket& sock, const RouteFilter& filter = {});

Result<Route> lookup_route(NetlinkSocket& sock, const IpAddress& destination);

}  // namespace weft::kernel
