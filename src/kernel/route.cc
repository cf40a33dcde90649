#include "kernel/route.h"

#include <algorithm>

namespace weft::kernel {
namespace {

std::vector<Nexthop> canonical_nexthops(const Route& route) {
  std::vector<Nexthop> nexthops = route.nexthops;
  // A single nexthop carries no weight in the kernel (RTA_GATEWAY/RTA_OIF have none).
  if (nexthops.size() == 1) nexthops.front().weight = 1;
  std::sort(nexthops.begin(), nexthops.end());
  return nexthops;
}

}  // namespace

Route Route::via_device(const Prefix& destination, int ifindex) {
  Route route;
  route.destination = destination;
  route.nexthops.push_back(Nexthop{.gateway = std::nullopt, .ifindex = ifindex});
  return route;
}

Route Route::via_gateway(const Prefix& destination, const IpAddress& gateway, int ifindex, bool onlink) {
  Route route;
  route.destination = destination;
  route.nexthops.push_back(Nexthop{.gateway = gateway, .ifindex = ifindex, .onlink = onlink});
  return route;
}

Route Route::blackhole(const Prefix& destination) {
  Route route;
  route.destination = destination;
  route.type = RouteType::blackhole;
  return route;
}

Route Route::multipath(const Prefix& destination, std::vector<Nexthop> nexthops) {
  Route route;
  route.destination = destination;
  route.nexthops = std::move(nexthops);
  return route;
}

uint32_t Route::effective_metric() const {
  return metric == 0 && destination.family() == Family::v6 ? 1024 : metric;
}

bool operator==(const Route& a, const Route& b) {
  return a.destination == b.destination && a.type == b.type && a.table == b.table &&
         a.protocol == b.protocol && a.effective_metric() == b.effective_metric() && a.source == b.source &&
         canonical_nexthops(a) == canonical_nexthops(b);
}

std::string_view to_string(RouteType type) {
  switch (type) {
    case RouteType::unicast: return "unicast";
    case RouteType::blackhole: return "blackhole";
    case RouteType::unreachable: return "unreachable";
    case RouteType::prohibit: return "prohibit";
    case RouteType::local: return "local";
    case RouteType::other: return "other";
  }
  return "other";
}

std::string to_string(const Route& route, const std::function<std::string(int)>& device_name) {
  auto device = [&](int ifindex) { return device_name ? device_name(ifindex) : "#" + std::to_string(ifindex); };
  auto nexthop = [&](const Nexthop& nh) {
    std::string text;
    if (nh.gateway) text += " via " + nh.gateway->to_string();
    if (nh.ifindex != 0) text += " dev " + device(nh.ifindex);
    if (nh.onlink) text += " onlink";
    return text;
  };

  std::string text;
  if (route.type != RouteType::unicast) text += std::string(to_string(route.type)) + " ";
  text += route.destination.to_string();
  if (route.nexthops.size() == 1) {
    text += nexthop(route.nexthops.front());
  } else {
    for (const Nexthop& nh : route.nexthops) text += " nexthop" + nexthop(nh) + " weight " + std::to_string(nh.weight);
  }
  if (route.source) text += " src " + route.source->to_string();
  if (route.table != kMainTable) text += " table " + std::to_string(route.table);
  if (route.metric != 0) text += " metric " + std::to_string(route.metric);
  if (route.protocol != kWeftRouteProtocol) text += " proto " + std::to_string(route.protocol);
  return text;
}

}  // namespace weft::kernel
