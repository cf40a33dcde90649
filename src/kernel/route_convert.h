// Conversion between Route and libnl's rtnl_route (internal to src/kernel; shared by routes.cc
// and route_watcher.cc).
#pragma once

#include "base/result.h"
#include "kernel/nl_handles.h"
#include "kernel/route.h"

namespace weft::kernel {

// invalid_argument for a route the kernel could not take (see routes.h); the scope is derived.
Result<RtnlRoutePtr> route_to_nl(const Route& route);
// Keeps only what Route models: for non-unicast types the nexthops are dropped (the kernel
// reports IPv6 blackholes "dev lo"); nexthop flags other than ONLINK are dropped.
Route route_from_nl(rtnl_route* route);

}  // namespace weft::kernel
