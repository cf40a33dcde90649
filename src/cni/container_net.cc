#include "cni/container_net.h"

#include <sys/stat.h>

#include <algorithm>

#include "kernel/route.h"

namespace weft::cni {
namespace {

using kernel::KernelOps;

IpAddress gateway(Family family) {
  return *IpAddress::parse(family == Family::v4 ? kGatewayV4 : kGatewayV6);
}

bool has_family(const Workload& w, Family family) {
  return std::any_of(w.addresses.begin(), w.addresses.end(), [&](const IpAddress& a) { return a.family() == family; });
}

kernel::Route workload_route(const kernel::Route& base) {
  kernel::Route r = base;
  r.protocol = kernel::kWeftWorkloadProtocol;
  return r;
}

Result<void> sysctl(KernelOps& kernel, const std::string& key, std::string_view value, bool optional = false) {
  auto r = kernel.write_sysctl(key, value);
  if (!r && optional && r.error().code == Errc::not_found) return {};
  return r;
}

Result<void> configure_host_side(KernelOps& host, const Workload& w, int index) {
  const std::string& h = w.host_veth;
  for (auto [key, value] : {std::pair{"net/ipv4/conf/" + h + "/proxy_arp", "1"},
                            std::pair{"net/ipv4/neigh/" + h + "/proxy_delay", "0"},
                            std::pair{"net/ipv4/conf/" + h + "/forwarding", "1"}}) {
    if (auto r = sysctl(host, key, value); !r) return r;
  }
  if (has_family(w, Family::v6)) {
    for (auto [key, value] : {std::pair{"net/ipv6/conf/" + h + "/disable_ipv6", "0"},
                              std::pair{"net/ipv6/conf/" + h + "/accept_ra", "0"},
                              std::pair{"net/ipv6/conf/" + h + "/forwarding", "1"}}) {
      if (auto r = sysctl(host, key, value); !r) return r;
    }
    if (auto r = host.add_address({index, gateway(Family::v6), 64}); !r) return r;
  }
  return host.set_link_up(index, true);
}

Result<std::string> configure_container_side(const Workload& w, KernelOps& container, const kernel::MacAddress& host_mac) {
  auto link = container.find_link(w.ifname);
  if (!link) return std::unexpected(link.error());
  if (has_family(w, Family::v6)) {
    // Runtimes may create the namespace with IPv6 off; the workload asked for an IPv6 address.
    if (auto r = sysctl(container, "net/ipv6/conf/" + w.ifname + "/disable_ipv6", "0", true); !r) return std::unexpected(r.error());
    if (auto r = sysctl(container, "net/ipv6/conf/" + w.ifname + "/accept_ra", "0", true); !r) return std::unexpected(r.error());
  }
  for (const auto& a : w.addresses) {
    if (auto r = container.add_address({link->index, a, a.bit_width()}); !r) return std::unexpected(r.error());
  }
  if (auto r = container.set_link_up(link->index, true); !r) return std::unexpected(r.error());
  for (Family family : {Family::v4, Family::v6}) {
    if (!has_family(w, family)) continue;
    const IpAddress gw = gateway(family);
    if (family == Family::v4) {
      auto on_link = workload_route(kernel::Route::via_device(Prefix(gw, 32), link->index));
      if (auto r = container.replace_route(on_link); !r) return std::unexpected(r.error());
    }
    if (auto r = container.replace_neighbour({link->index, gw, host_mac, true}); !r) return std::unexpected(r.error());
    auto def = workload_route(kernel::Route::via_gateway(Prefix(gw, 0), gw, link->index));
    if (auto r = container.replace_route(def); !r) return std::unexpected(r.error());
  }
  return link->mac ? link->mac->to_string() : std::string();
}

Result<WiredInterfaces> configure(KernelOps& host, KernelOps& container, const Workload& w,
                                  const kernel::LinkInfo& host_link, const kernel::MacAddress& host_mac) {
  if (auto r = configure_host_side(host, w, host_link.index); !r) return wrap(r.error(), "host side " + w.host_veth);
  auto container_mac = configure_container_side(w, container, host_mac);
  if (!container_mac) return wrap(container_mac.error(), "container side " + w.ifname);
  for (const auto& a : w.addresses) {
    auto route = workload_route(kernel::Route::via_device(Prefix(a, a.bit_width()), host_link.index));
    if (auto r = host.replace_route(route); !r) return wrap(r.error(), "host route to " + a.to_string());
  }
  return WiredInterfaces{host_mac.to_string(), *container_mac};
}

}  // namespace

Result<kernel::NetnsFd> open_container_netns(const std::string& path) {
  auto fd = kernel::NetnsFd::open_path(path);
  if (!fd) return wrap(fd.error(), "opening CNI_NETNS " + path);
  // Entering it once proves it is a network namespace (setns refuses anything else).
  auto guard = kernel::NetnsGuard::enter(*fd);
  if (!guard) return fail(Errc::invalid_argument, "CNI_NETNS ", path, " is not a network namespace: ", guard.error().message);
  return fd;
}

Result<WiredInterfaces> wire(const Workload& w, const kernel::NetnsFd& netns, KernelOps& host, KernelOps& container) {
  // A device of this name is a previous ADD's for the same attachment (the name is a hash of
  // it): a repeated ADD re-creates it from scratch.
  if (auto existing = host.find_link(w.host_veth); existing) {
    if (auto r = host.delete_link(existing->index); !r) return wrap(r.error(), "removing the old " + w.host_veth);
  } else if (existing.error().code != Errc::not_found) {
    return std::unexpected(existing.error());
  }
  auto host_mac = kernel::MacAddress::parse(kHostVethMac);
  auto created = host.create_veth({.name = w.host_veth, .peer_name = w.ifname, .peer_netns_fd = netns.get(),
                                             .mtu = w.mtu, .mac = *host_mac});
  if (!created) return wrap(created.error(), "creating veth " + w.host_veth + " / " + w.ifname);
  auto wired = configure(host, container, w, *created, *host_mac);
  if (!wired) {
    (void)host.delete_link(created->index);  // takes the peer, addresses and routes along
    return std::unexpected(wired.error());
  }
  return wired;
}

Result<void> unwire(KernelOps& host, const std::string& host_veth) {
  auto link = host.find_link(host_veth);
  if (!link) return link.error().code == Errc::not_found ? Result<void>{} : std::unexpected(link.error());
  auto r = host.delete_link(link->index);
  if (!r && r.error().code == Errc::not_found) return {};  // gone meanwhile (its netns died)
  return r;
}

Result<void> check(const Workload& w, KernelOps& host, KernelOps& container) {
  auto host_link = host.find_link(w.host_veth);
  if (!host_link) return wrap(host_link.error(), "host side " + w.host_veth);
  if (!host_link->up) return fail(Errc::invalid_argument, "host side ", w.host_veth, " is down");
  auto routes = host.list_routes({.protocol = kernel::kWeftWorkloadProtocol});
  if (!routes) return std::unexpected(routes.error());
  for (const auto& a : w.addresses) {
    auto want = workload_route(kernel::Route::via_device(Prefix(a, a.bit_width()), host_link->index));
    if (std::find(routes->begin(), routes->end(), want) == routes->end()) {
      return fail(Errc::invalid_argument, "host route ", want.destination.to_string(), " dev ", w.host_veth, " is missing");
    }
  }
  auto link = container.find_link(w.ifname);
  if (!link) return wrap(link.error(), "container interface " + w.ifname);
  if (!link->up) return fail(Errc::invalid_argument, "container interface ", w.ifname, " is down");
  auto addresses = container.list_addresses(link->index);
  if (!addresses) return std::unexpected(addresses.error());
  for (const auto& a : w.addresses) {
    const kernel::LinkAddress want{link->index, a, a.bit_width()};
    if (std::find(addresses->begin(), addresses->end(), want) == addresses->end()) {
      return fail(Errc::invalid_argument, "address ", want.to_string(), " is missing on ", w.ifname);
    }
  }
  return {};
}

}  // namespace weft::cni
