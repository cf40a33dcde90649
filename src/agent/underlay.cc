#include "agent/underlay.h"


namespace weft::agent {
namespace {

Result<Underlay> from_link(kernel::KernelOps& kernel, const kernel::LinkInfo& link,
                           const std::optional<IpAddress>& preferred) {
  auto addresses = kernel.list_addresses(link.index, Family::v4);
  if (!addresses) return std::unexpected(addresses.error());
  std::optional<IpAddress> link_local;
  static const Prefix fe80 = *Prefix::parse("fe80::/10");
  if (auto v6 = kernel.list_addresses(link.index, Family::v6)) {
    for (const auto& a : *v6) {
      if (fe80.contains(a.address)) link_local = a.address;
    }
  }
  for (const auto& a : *addresses) {
    if (preferred && a.address != *preferred) continue;
    return Underlay{link.name, link.index, link.mtu, model::InterfaceAddress{a.address, a.prefix_length}, link_local};
  }
  return fail(Errc::not_found, "underlay device ", link.name, " has no IPv4 address",
              preferred ? " " + preferred->to_string() : std::string());
}

}  // namespace

Result<Underlay> underlay_by_interface(kernel::KernelOps& kernel, const std::string& device) {
  auto link = kernel.find_link(device);
  if (!link) return wrap(link.error(), "underlay device " + device);
  return from_link(kernel, *link, std::nullopt);
}

Result<Underlay> underlay_by_route(kernel::KernelOps& kernel, const std::string& address) {
  auto target = IpAddress::parse(address);
  if (!target) return wrap(target.error(), "--can-reach");
  auto route = kernel.lookup_route(*target);
  if (!route) return wrap(route.error(), "no route to " + address);
  if (route->nexthops.empty() || route->nexthops.front().ifindex == 0) {
    return fail(Errc::not_found, "the route to ", address, " names no device");
  }
  auto link = kernel.get_link(route->nexthops.front().ifindex);
  if (!link) return std::unexpected(link.error());
  return from_link(kernel, *link, route->source);
}

}  // namespace weft::agent
