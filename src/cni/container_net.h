// The kernel side of weft-cni: wiring a workload into its host, routed and without a bridge
// (Calico's layout), and taking it apart again.
//
//   container netns                         host netns
//   eth0  198.19.1.5/32, fd00:..:5/128      weft<11 hex>  MAC ee:ee:ee:ee:ee:ee, fe80::1/64,
//         169.254.1.1 dev eth0 scope link                 proxy_arp=1, forwarding=1, up
//         default via 169.254.1.1 dev eth0              198.19.1.5/32 dev weft… proto 248
//         default via fe80::1 dev eth0                  fd00:..:5/128 dev weft… proto 248
//         neigh 169.254.1.1, fe80::1 lladdr ee:ee:ee:ee:ee:ee permanent
//
// Why each piece: the container's only next hop is a link-local gateway that does not exist as
// an address anywhere; the host side answers for it. Proxy ARP alone would do for IPv4, but the
// kernel only proxies for destinations it has a route to, which fails on a host without a default
// route, so a permanent neighbour entry pins the gateway to the host side's MAC (a fixed MAC, as
// Calico's, so the entry is right even if the device is re-created). For IPv6 the host side gets
// the fixed link-local fe80::1 (no dependence on addr_gen_mode) and the same permanent entry.
// Host routes use protocol 248 (kernel::kWeftWorkloadProtocol), which weftd's reconciler never
// prunes; they vanish with the veth.
//
// Kernel access goes through KernelOps (kernel_ops.h): `host` acts in the host namespace,
// `container` in the container's (open it with kernel::open_netlink_kernel(netns)), so the wiring
// is unit-tested against two FakeKernels.
//
// Contract: wire() either completes or removes what it created (the veth pair, and with it the
// routes and addresses) before returning the error. unwire() is idempotent: a missing device is
// success. check() returns the first difference from what wire() sets up, as invalid_argument
// naming it. `netns` is where the veth's container end is created.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/ip.h"
#include "base/result.h"
#include "kernel/kernel_ops.h"
#include "kernel/netns.h"

namespace weft::cni {

inline constexpr std::string_view kHostVethMac = "ee:ee:ee:ee:ee:ee";
inline constexpr std::string_view kGatewayV4 = "169.254.1.1";
inline constexpr std::string_view kGatewayV6 = "fe80::1";

struct Workload {
  std::string netns_path;  // CNI_NETNS
  std::string ifname;      // CNI_IFNAME
  std::string host_veth;   // ipam::protocol::host_veth_name()
  std::vector<IpAddress> addresses;
  uint32_t mtu = 1500;
};

struct WiredInterfaces {
  std::string host_mac;
  std::string container_mac;
};

// Opens CNI_NETNS and checks that it is a network namespace this process can enter.
// not_found for a missing path, invalid_argument for a file that is not a network namespace.
Result<kernel::NetnsFd> open_container_netns(const std::string& path);

Result<WiredInterfaces> wire(const Workload& workload, const kernel::NetnsFd& netns, kernel::KernelOps& host,
                             kernel::KernelOps& container);
// Removes the host side (the kernel removes its peer and the routes through it).
Result<void> unwire(kernel::KernelOps& host, const std::string& host_veth);
Result<void> check(const Workload& workload, kernel::KernelOps& host, kernel::KernelOps& container);

}  // namespace weft::cni
