#include "cli/lab/underlay.h"

#include "cli/lab/processes.h"
#include "kernel/netns.h"

namespace weft::cli::lab {
namespace {

bool is_lab_name(const std::string& name) {
  return name.size() > kNetnsPrefix.size() && name.starts_with(kNetnsPrefix) &&
         name.find('/') == std::string::npos;
}

Result<void> ip(const std::string& netns, std::vector<std::string> args) { return lab_ip(netns, std::move(args)); }

#define LAB_TRY_VOID(expr)                         \
  do {                                             \
    if (auto r_ = (expr); !r_) return r_;          \
  } while (0)

// A veth pair from `a` (named a_name) to `b` (named b_name), created inside `a` with its peer
// directly in `b`.
Result<void> add_veth(const std::string& a, const std::string& a_name, const std::string& b,
                      const std::string& b_name, int mtu) {
  return ip(a, {"link", "add", a_name, "mtu", std::to_string(mtu), "type", "veth", "peer", "name", b_name,
                "mtu", std::to_string(mtu), "netns", b});
}

Result<void> up(const std::string& netns, const std::string& dev) { return ip(netns, {"link", "set", dev, "up"}); }

}  // namespace

Result<void> lab_ip(const std::string& netns, std::vector<std::string> args) {
  if (!is_lab_name(netns)) return fail(Errc::invalid_argument, "refusing to configure namespace '", netns, "'");
  args.insert(args.begin(), {"ip", "-n", netns});
  auto r = run_checked(Command{.argv = std::move(args)});
  if (!r) return std::unexpected(r.error());
  return {};
}

Result<void> create_netns(const std::string& name) {
  if (!is_lab_name(name)) return fail(Errc::invalid_argument, "refusing to create namespace '", name, "'");
  if (auto r = kernel::create_netns(name); !r) return std::unexpected(r.error());
  return up(name, "lo");
}

Result<void> configure_router_netns() {
  // IPv6 forwarding for a BGP router (--router bgp); no DAD, so that a port's link-local address,
  // the hosts' IPv6 next hop, is usable as soon as the port is up (as on the hosts).
  return write_sysctls(std::string(kRouterNetns), {{"net.ipv4.ip_forward", "1"},
                                                   {"net.ipv6.conf.all.forwarding", "1"},
                                                   {"net.ipv6.conf.all.accept_dad", "0"},
                                                   {"net.ipv6.conf.default.accept_dad", "0"}});
}


Result<void> configure_host_netns(const Host& host) {
  // accept_dad=0 on `default` before any pod veth exists: the host side of a pod's veth must hold
  // its link-local address (the pods' IPv6 gateway) at once, not after a second of DAD.
  return write_sysctls(host.netns, {{"net.ipv4.ip_forward", "1"},
                                    {"net.ipv6.conf.all.forwarding", "1"},
                                    {"net.ipv6.conf.default.forwarding", "1"},
                                    {"net.ipv6.conf.all.accept_dad", "0"},
                                    {"net.ipv6.conf.default.accept_dad", "0"}});
}

Result<void> configure_pod_netns(const std::string& netns) {
  return write_sysctls(netns, {{"net.ipv6.conf.all.accept_dad", "0"},
                               {"net.ipv6.conf.default.accept_dad", "0"}});
}

Result<void> build_underlay(const Topology& t) {
  const std::string router(kRouterNetns);
  const std::string etcd(kEtcdNetns);  // member 1
  const std::string mtu = std::to_string(kUnderlayMtu);
  for (const auto& s : t.segments) {
    LAB_TRY_VOID(ip(s.netns, {"link", "add", "br0", "mtu", mtu, "type", "bridge", "stp_state", "0"}));
    LAB_TRY_VOID(up(s.netns, "br0"));
    LAB_TRY_VOID(add_veth(router, s.router_port, s.netns, "router", kUnderlayMtu));
    LAB_TRY_VOID(ip(router, {"addr", "add", s.router_address, "dev", s.router_port}));
    LAB_TRY_VOID(up(router, s.router_port));
    LAB_TRY_VOID(ip(s.netns, {"link", "set", "router", "master", "br0"}));
    LAB_TRY_VOID(up(s.netns, "router"));
  }
  if (t.etcd.size() <= 1) {
    LAB_TRY_VOID(add_veth(router, "etcd", etcd, "eth0", kUnderlayMtu));
  } else {
    // Several members: a bridge of their own behind the router's `etcd` leg.
    const std::string lan(kEtcdLanNetns);
    LAB_TRY_VOID(ip(lan, {"link", "add", "br0", "mtu", mtu, "type", "bridge", "stp_state", "0"}));
    LAB_TRY_VOID(up(lan, "br0"));
    LAB_TRY_VOID(add_veth(router, "etcd", lan, "router", kUnderlayMtu));
    LAB_TRY_VOID(ip(lan, {"link", "set", "router", "master", "br0"}));
    LAB_TRY_VOID(up(lan, "router"));
    for (const auto& m : t.etcd) {
      const std::string port = "etcd" + std::to_string(m.index);
      LAB_TRY_VOID(add_veth(m.netns, "eth0", lan, port, kUnderlayMtu));
      LAB_TRY_VOID(ip(lan, {"link", "set", port, "master", "br0"}));
      LAB_TRY_VOID(up(lan, port));
    }
  }
  LAB_TRY_VOID(ip(router, {"addr", "add", std::string(kEtcdGateway) + "/24", "dev", "etcd"}));
  LAB_TRY_VOID(up(router, "etcd"));
  for (const auto& m : t.etcd) {
    LAB_TRY_VOID(ip(m.netns, {"addr", "add", m.address + "/24", "dev", "eth0"}));
    LAB_TRY_VOID(up(m.netns, "eth0"));
    LAB_TRY_VOID(ip(m.netns, {"route", "add", "default", "via", std::string(kEtcdGateway)}));
  }
  for (const auto& h : t.hosts) {
    const auto& seg = t.segments.at(static_cast<size_t>(h.segment - 1));
    LAB_TRY_VOID(add_veth(h.netns, "eth0", seg.netns, h.switch_port, kUnderlayMtu));
    LAB_TRY_VOID(ip(seg.netns, {"link", "set", h.switch_port, "master", "br0"}));
    LAB_TRY_VOID(up(seg.netns, h.switch_port));
    LAB_TRY_VOID(ip(h.netns, {"addr", "add", h.underlay, "dev", "eth0"}));
    LAB_TRY_VOID(up(h.netns, "eth0"));
    LAB_TRY_VOID(ip(h.netns, {"route", "add", "default", "via", h.gateway, "dev", "eth0"}));
  }
  return {};
}

std::vector<std::string> lab_namespaces() {
  std::vector<std::string> out;
  auto all = kernel::list_netns();  // sorted
  if (!all) return out;
  for (auto& name : *all) {
    if (is_lab_name(name)) out.push_back(std::move(name));
  }
  return out;
}

Result<void> delete_netns(const std::string& name) {
  if (!is_lab_name(name)) return fail(Errc::invalid_argument, "refusing to delete namespace '", name, "'");
  return kernel::delete_netns(name);
}

}  // namespace weft::cli::lab
