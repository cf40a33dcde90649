#include "cni/container_net.h"

#include <sys/stat.h>

#include <algorithm>

#include "kernel/addresses.h"
#include "kernel/links.h"
#include "kernel/neighbours.h"
#include "kernel/netlink_socket.h"
#include "kernel/route.h"
#include "kernel/routes.h"
#include "kernel/sysctl.h"

namespace weft::cni {
namespace {

using kernel::NetlinkSocket;

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

Result<void> sysctl(const std::string& key, std::string_view value, bool optional = false) {
  auto r = kernel::write_sysctl(key, value);
  if (!r && optional && r.error().code == Errc::not_found) return {};
  return r;
}

Result<void> configure_host_side(NetlinkSocket& host, const Workload& w, int index) {
  const std::string& h = w.host_veth;
  for (auto [key, value] : {std::pair{"net/ipv4/conf/" + h + "/proxy_arp", "1"},
                            std::pair{"net/ipv4/neigh/" + h + "/proxy_delay", "0"},
                            std::pair{"net/ipv4/conf/" + h + "/forwarding", "1"}}) {
    if (auto r = sysctl(key, value); !r) return r;
  }
  if (has_family(w, Family::v6)) {
    for (auto [key, value] : {std::pair{"net/ipv6/conf/" + h + "/disable_ipv6", "0"},
                              std::pair{"net/ipv6/conf/" + h + "/accept_ra", "0"},
                              std::pair{"net/ipv6/conf/" + h + "/forwarding", "1"}}) {
      if (auto r = sysctl(key, value); !r) return r;
    }
    if (auto r = kernel::add_address(host, {index, gateway(Family::v6), 64}); !r) return r;
  }
  return kernel::set_link_up(host, index, true);
}

Result<std::string> configure_container_side(const Workload& w, const kernel::NetnsFd& netns,
                                             const kernel::MacAddress& host_mac) {
  auto guard = kernel::NetnsGuard::enter(netns);
  if (!guard) return std::unexpected(guard.error());
  auto sock = NetlinkSocket::open();
  if (!sock) return std::unexpected(sock.error());
  auto link = kernel::find_link(*sock, w.ifname);
  if (!link) return std::unexpected(link.error());
  if (has_family(w, Family::v6)) {
    // Runtimes may create the namespace with IPv6 off; the workload asked for an IPv6 address.
    if (auto r = sysctl("net/ipv6/conf/" + w.ifname + "/disable_ipv6", "0", true); !r) return std::unexpected(r.error());
    if (auto r = sysctl("net/ipv6/conf/" + w.ifname + "/accept_ra", "0", true); !r) return std::unexpected(r.error());
  }
  for (const auto& a : w.addresses) {
    if (auto r = kernel::add_address(*sock, {link->index, a, a.bit_width()}); !r) return std::unexpected(r.error());
  }
  if (auto r = kernel::set_link_up(*sock, link->index, true); !r) return std::unexpected(r.error());
  for (Family family : {Family::v4, Family::v6}) {
    if (!has_family(w, family)) continue;
    const IpAddress gw = gateway(family);
    if (family == Family::v4) {
      auto on_link = workload_route(kernel::Route::via_device(Prefix(gw, 32), link->index));
      if (auto r = kernel::replace_route(*sock, on_link); !r) return std::unexpected(r.error());
    }
    if (auto r = kernel::replace_neighbour(*sock, {link->index, gw, host_mac, true}); !r) return std::unexpected(r.error());
    auto def = workload_route(kernel::Route::via_gateway(Prefix(gw, 0), gw, link->index));
    if (auto r = kernel::replace_route(*sock, def); !r) return std::unexpected(r.error());
  }
  return link->mac ? link->mac->to_string() : std::string();
}

Result<WiredInterfaces> configure(NetlinkSocket& host, const Workload& w, const kernel::NetnsFd& netns,
                                  const kernel::LinkInfo& host_link, const kernel::MacAddress& host_mac) {
  if (auto r = configure_host_side(host, w, host_link.index); !r) return wrap(r.error(), "host side " + w.host_veth);
  auto container_mac = configure_container_side(w, netns, host_mac);
  if (!container_mac) return wrap(container_mac.error(), "container side " + w.ifname);
  for (const auto& a : w.addresses) {
    auto route = workload_route(kernel::Route::via_device(Prefix(a, a.bit_width()), host_link.index));
    if (auto r = kernel::replace_route(host, route); !r) return wrap(r.error(), "host route to " + a.to_string());
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

Result<WiredInterfaces> wire(const Workload& w, const kernel::NetnsFd& netns) {
  auto host = NetlinkSocket::open();
  if (!host) return std::unexpected(host.error());
  // A device of this name is a previous ADD's for the same attachment (the name is a hash of
  // it): a repeated ADD re-creates it from scratch.
  if (auto existing = kernel::find_link(*host, w.host_veth); existing) {
    if (auto r = kernel::delete_link(*host, existing->index); !r) return wrap(r.error(), "removing the old " + w.host_veth);
  } else if (existing.error().code != Errc::not_found) {
    return std::unexpected(existing.error());
  }
  auto host_mac = kernel::MacAddress::parse(kHostVethMac);
  auto created = kernel::create_veth(*host, {.name = w.host_veth, .peer_name = w.ifname, .peer_netns_fd = netns.get(),
                                             .mtu = w.mtu, .mac = *host_mac});
  if (!created) return wrap(created.error(), "creating veth " + w.host_veth + " / " + w.ifname);
  auto wired = configure(*host, w, netns, *created, *host_mac);
  if (!wired) {
    (void)kernel::delete_link(*host, created->index);  // takes the peer, addresses and routes along
    return std::unexpected(wired.error());
  }
  return wired;
}

Result<void> unwire(const std::string& host_veth) {
  auto host = NetlinkSocket::open();
  if (!host) return std::unexpected(host.error());
  auto link = kernel::find_link(*host, host_veth);
  if (!link) return link.error().code == Errc::not_found ? Result<void>{} : std::unexpected(link.error());
  auto r = kernel::delete_link(*host, link->index);
  if (!r && r.error().code == Errc::not_found) return {};  // gone meanwhile (its netns died)
  return r;
}

Result<void> check(const Workload& w, const kernel::NetnsFd& netns) {
  auto host = NetlinkSocket::open();
  if (!host) return std::unexpected(host.error());
  auto host_link = kernel::find_link(*host, w.host_veth);
  if (!host_link) return wrap(host_link.error(), "host side " + w.host_veth);
  if (!host_link->up) return fail(Errc::invalid_argument, "host side ", w.host_veth, " is down");
  auto routes = kernel::list_routes(*host, {.protocol = kernel::kWeftWorkloadProtocol});
  if (!routes) return std::unexpected(routes.error());
  for (const auto& a : w.addresses) {
    auto want = workload_route(kernel::Route::via_device(Prefix(a, a.bit_width()), host_link->index));
    if (std::find(routes->begin(), routes->end(), want) == routes->end()) {
      return fail(Errc::invalid_argument, "host route ", want.destination.to_string(), " dev ", w.host_veth, " is missing");
    }
  }
  auto guard = kernel::NetnsGuard::enter(netns);
  if (!guard) return std::unexpected(guard.error());
  auto sock = NetlinkSocket::open();
  if (!sock) return std::unexpected(sock.error());
  auto link = kernel::find_link(*sock, w.ifname);
  if (!link) return wrap(link.error(), "container interface " + w.ifname);
  if (!link->up) return fail(Errc::invalid_argument, "container interface ", w.ifname, " is down");
  auto addresses = kernel::list_addresses(*sock, link->index);
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
