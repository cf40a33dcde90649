#include "kernel/route_convert.h"

#include <linux/rtnetlink.h>

#include "kernel/errors.h"
#include "kernel/nl_convert.h"

namespace weft::kernel {
namespace {

uint8_t rtn_type(RouteType type) {
  switch (type) {
    case RouteType::unicast: return RTN_UNICAST;
    case RouteType::blackhole: return RTN_BLACKHOLE;
    case RouteType::unreachable: return RTN_UNREACHABLE;
    case RouteType::prohibit: return RTN_PROHIBIT;
    case RouteType::local: return RTN_LOCAL;
    case RouteType::other: return RTN_UNSPEC;
  }
  return RTN_UNSPEC;
}

RouteType route_type(uint8_t type) {
  switch (type) {
    case RTN_UNICAST: return RouteType::unicast;
    case RTN_BLACKHOLE: return RouteType::blackhole;
    case RTN_UNREACHABLE: return RouteType::unreachable;
    case RTN_PROHIBIT: return RouteType::prohibit;
    case RTN_LOCAL: return RouteType::local;
    default: return RouteType::other;
  }
}

Result<void> validate(const Route& route) {
  switch (route.type) {
    case RouteType::unicast:
      if (route.nexthops.empty()) return fail(Errc::invalid_argument, "a unicast route needs a nexthop");
      break;
    case RouteType::blackhole:
    case RouteType::unreachable:
    case RouteType::prohibit:
      if (!route.nexthops.empty()) return fail(Errc::invalid_argument, "a ", to_string(route.type), " route has no nexthops");
      break;
    default:
      return fail(Errc::invalid_argument, "weft does not install ", to_string(route.type), " routes");
  }
  if (route.source && route.source->family() != route.destination.family()) {
    return fail(Errc::invalid_argument, "source ", route.source->to_string(), " is not of the destination's family");
  }
  for (const Nexthop& nh : route.nexthops) {
    if (nh.gateway && nh.gateway->family() != route.destination.family()) {
      return fail(Errc::invalid_argument, "gateway ", nh.gateway->to_string(), " is not of the destination's family");
    }
    if (!nh.gateway && nh.ifindex <= 0) return fail(Errc::invalid_argument, "a nexthop needs a gateway or a device");
    if (nh.ifindex < 0) return fail(Errc::invalid_argument, "negative device index");
    if (nh.weight < 1 || nh.weight > 256) return fail(Errc::invalid_argument, "nexthop weight out of range 1..256");
  }
  return {};
}

}  // namespace

Result<RtnlRoutePtr> route_to_nl(const Route& route) {
  if (auto ok = validate(route); !ok) return std::unexpected(ok.error());
  RtnlRoutePtr nl(rtnl_route_alloc());
  NlAddrPtr destination = to_nl_addr(route.destination);
  if (!nl || !destination) return fail(Errc::internal, "out of memory");
  rtnl_route_set_family(nl.get(), static_cast<uint8_t>(address_family(route.destination.family())));
  if (int err = rtnl_route_set_dst(nl.get(), destination.get()); err < 0) return std::unexpected(libnl_error(err));
  rtnl_route_set_table(nl.get(), route.table);
  rtnl_route_set_protocol(nl.get(), route.protocol);
  rtnl_route_set_priority(nl.get(), route.metric);
  rtnl_route_set_type(nl.get(), rtn_type(route.type));
  bool any_gateway = false;
  for (const Nexthop& nh : route.nexthops) any_gateway = any_gateway || nh.gateway.has_value();
  bool link_scope = route.type == RouteType::unicast && !any_gateway;
  rtnl_route_set_scope(nl.get(), link_scope ? RT_SCOPE_LINK : RT_SCOPE_UNIVERSE);
  if (route.source) {
    NlAddrPtr source = to_nl_addr(*route.source);
    if (!source) return fail(Errc::internal, "out of memory");
    if (int err = rtnl_route_set_pref_src(nl.get(), source.get()); err < 0) return std::unexpected(libnl_error(err));
  }
  for (const Nexthop& nh : route.nexthops) {
    RtnlNexthopPtr nl_nh(rtnl_route_nh_alloc());
    if (!nl_nh) return fail(Errc::internal, "out of memory");
    if (nh.ifindex != 0) rtnl_route_nh_set_ifindex(nl_nh.get(), nh.ifindex);
    if (nh.gateway) {
      NlAddrPtr gateway = to_nl_addr(*nh.gateway);
      if (!gateway) return fail(Errc::internal, "out of memory");
      rtnl_route_nh_set_gateway(nl_nh.get(), gateway.get());  // takes its own reference
    }
    if (nh.onlink) rtnl_route_nh_set_flags(nl_nh.get(), RTNH_F_ONLINK);
    // libnl puts its "weight" into rtnh_hops as is; the kernel's weight is rtnh_hops + 1.
    if (route.nexthops.size() > 1) rtnl_route_nh_set_weight(nl_nh.get(), static_cast<uint8_t>(nh.weight - 1));
    rtnl_route_add_nexthop(nl.get(), nl_nh.release());  // the route owns it now
  }
  return nl;
}

Route route_from_nl(rtnl_route* nl) {
  Route route;
  Family family = rtnl_route_get_family(nl) == AF_INET6 ? Family::v6 : Family::v4;
  nl_addr* destination = rtnl_route_get_dst(nl);
  // A default route comes without RTA_DST: its address is the family's zero.
  IpAddress address = family == Family::v4 ? IpAddress() : IpAddress::v6({});
  if (auto parsed = ip_from_nl(destination); parsed && parsed->family() == family) address = *parsed;
  int length = destination != nullptr ? static_cast<int>(nl_addr_get_prefixlen(destination)) : 0;
  route.destination = Prefix(address, std::min(length, address.bit_width()));
  route.type = route_type(rtnl_route_get_type(nl));
  route.table = rtnl_route_get_table(nl);
  route.protocol = rtnl_route_get_protocol(nl);
  route.metric = rtnl_route_get_priority(nl);
  route.source = ip_from_nl(rtnl_route_get_pref_src(nl));
  if (route.type != RouteType::unicast) return route;
  int count = rtnl_route_get_nnexthops(nl);
  for (int i = 0; i < count; ++i) {
    rtnl_nexthop* nh = rtnl_route_nexthop_n(nl, i);
    route.nexthops.push_back(Nexthop{
        .gateway = ip_from_nl(rtnl_route_nh_get_gateway(nh)),
        .ifindex = rtnl_route_nh_get_ifindex(nh),
        .onlink = (rtnl_route_nh_get_flags(nh) & RTNH_F_ONLINK) != 0,
        .weight = count > 1 ? rtnl_route_nh_get_weight(nh) + 1 : 1,
    });
  }
  return route;
}

}  // namespace weft::kernel
