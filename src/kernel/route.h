// Route: a kernel route as a plain value, for computing desired routes and diffing them with the
// routes read back from the kernel.
//
// weft marks every route it installs with its own rtnetlink protocol number, kWeftRouteProtocol
// (0xF7 = 247: not in iproute2's /etc/iproute2/rt_protos nor in the kernel's RTPROT_* list, which
// end at 192 = eigrp), so that the dataplane lists and reconciles only its own routes and never
// touches routes of the kernel, DHCP, BIRD (12), Zebra/FRR (11, 186-192) or an administrator (4).
// `ip route` shows it as "proto 247" (add "247 weft" to /etc/iproute2/rt_protos.d/weft.conf to
// see a name).
//
// Contract of operator==: two routes are equal when the kernel would treat them as the same route
// with the same forwarding: same destination, table, protocol, type, preferred source, metric —
// where metric 0 on IPv6 equals 1024, the kernel's default it reports back — and the same set of
// nexthops in any order (ECMP nexthops are a set; the kernel may reorder them). Nexthop weight is
// only compared for multipath routes, and only the RTNH_F_ONLINK flag is kept (not the
// kernel-set LINKDOWN/DEAD state flags).
#pragma once

#include <compare>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/ip.h"

namespace weft::kernel {

inline constexpr uint8_t kWeftRouteProtocol = 0xF7;
// Workload routes (`<pod ip>/32 dev <host veth>`) are installed by weft-cni with their own
// protocol, 248, so that the dataplane reconciler, which lists and prunes only protocol 247, never
// deletes them; they go away with the workload's veth.
inline constexpr uint8_t kWeftWorkloadProtocol = 0xF8;
inline constexpr uint32_t kMainTable = 254;  // RT_TABLE_MAIN

enum class RouteType : uint8_t {
  unicast,      // forwarded through its nexthops
  blackhole,    // silently dropped (no nexthops)
  unreachable,  // dropped with ICMP unreachable (read back only; weft does not install these)
  prohibit,     // dropped with ICMP prohibited (read back only)
  local,        // delivered locally (read back only: the kernel's local table)
  other,        // anything else the kernel reports (broadcast, multicast, ...)
};

struct Nexthop {
  std::optional<IpAddress> gateway = std::nullopt;  // none: a device route (destination on-link)
  int ifindex = 0;                                  // 0: the kernel picks the device from the gateway
  bool onlink = false;                              // RTNH_F_ONLINK: trust the gateway is on-link
  int weight = 1;                                   // 1..256, meaningful for multipath routes only
  friend auto operator<=>(const Nexthop&, const Nexthop&) = default;
  friend bool operator==(const Nexthop&, const Nexthop&) = default;
};

struct Route {
  Prefix destination{};
  RouteType type = RouteType::unicast;
  uint32_t table = kMainTable;
  uint8_t protocol = kWeftRouteProtocol;
  uint32_t metric = 0;                             // RTA_PRIORITY; IPv6 0 means the kernel default 1024
  std::optional<IpAddress> source = std::nullopt;  // RTA_PREFSRC
  std::vector<Nexthop> nexthops{};                 // one, several (ECMP), or none (blackhole)

  // Device route via `ifindex` (scope link).
  static Route via_device(const Prefix& destination, int ifindex);
  // Route via a gateway, optionally pinned to a device and marked onlink (VXLAN/IPIP style).
  static Route via_gateway(const Prefix& destination, const IpAddress& gateway, int ifindex = 0,
                           bool onlink = false);
  static Route blackhole(const Prefix& destination);
  static Route multipath(const Prefix& destination, std::vector<Nexthop> nexthops);

  // The metric the kernel stores (1024 for an IPv6 route given 0).
  uint32_t effective_metric() const;

  friend bool operator==(const Route& a, const Route& b);
};

// Which routes a listing returns; by default weft's own (kWeftRouteProtocol) in the main table.
struct RouteFilter {
  std::optional<Family> family = std::nullopt;           // nullopt: both
  std::optional<uint32_t> table = kMainTable;            // nullopt: every table
  std::optional<uint8_t> protocol = kWeftRouteProtocol;  // nullopt: every protocol
};

// For messages: "198.19.1.0/24 via 198.18.0.2 dev eth0 onlink", "blackhole 198.19.1.0/24",
// "198.19.1.0/24 nexthop via A dev X weight 1 nexthop via B dev Y weight 2", with " table N",
// " metric N", " src A" and " proto N" appended when not the defaults (main table, metric 0,
// weft's protocol). `device_name(ifindex)` names devices; without it they print as "#N".
std::string to_string(const Route& route, const std::function<std::string(int)>& device_name = {});
std::string_view to_string(RouteType type);

}  // namespace weft::kernel
