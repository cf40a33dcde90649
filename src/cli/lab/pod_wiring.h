// Wiring a pod into its host the way a CNI plugin's ADD does (Calico's layout). The weft-cni
// plugin will replace this: it is one entry point so that the swap touches one call site.
//
// Given an existing pod namespace (the runtime's job), wire_pod():
// - creates a veth pair inside the host namespace, its peer directly in the pod as `eth0`, both
//   with the pod MTU; the host side is `host_veth`, MAC ee:ee:ee:ee:ee:ee, proxy_arp=1 and
//   proxy_delay=0, up;
// - gives the pod its addresses (/32, and /128 with nodad), and the routes
//   `169.254.1.1 dev eth0 scope link`, `default via 169.254.1.1 dev eth0` and, with an IPv6
//   address, `default via fe80::ecee:eeff:feee:eeee dev eth0` (the host side's link-local);
// - adds the host routes `<pod ip>/32 dev <host_veth> proto 248` (and /128): 248 is weft's
//   workload-route protocol, which weftd's route driver leaves to the CNI plugin.
// Errors name the `ip` command that failed; nothing is undone (`weft lab down` removes it all).
#pragma once

#include <string>
#include <vector>

#include "base/ip.h"
#include "base/result.h"

namespace weft::cli::lab {

inline constexpr int kWorkloadRouteProtocol = 248;

struct PodWiring {
  std::string pod_netns;
  std::string host_netns;
  std::string host_veth;
  std::vector<IpAddress> addresses;  // at most one per family
  int mtu = 1500;
};

Result<void> wire_pod(const PodWiring& pod);

}  // namespace weft::cli::lab
