#include "cli/lab/pod_wiring.h"

#include "cli/lab/processes.h"
#include "cli/lab/topology.h"
#include "cli/lab/underlay.h"

namespace weft::cli::lab {
namespace {

Result<void> ip(const std::string& netns, std::vector<std::string> args) { return lab_ip(netns, std::move(args)); }

}  // namespace

#define LAB_TRY_VOID(expr)                \
  do {                                    \
    if (auto r_ = (expr); !r_) return r_; \
  } while (0)

Result<void> wire_pod(const PodWiring& pod) {
  const std::string mtu = std::to_string(pod.mtu);
  const std::string& host = pod.host_netns;
  const std::string& veth = pod.host_veth;
  LAB_TRY_VOID(ip(host, {"link", "add", veth, "mtu", mtu, "address", std::string(kHostVethMac), "type", "veth",
                         "peer", "name", "eth0", "mtu", mtu, "netns", pod.pod_netns}));
  LAB_TRY_VOID(write_sysctls(host, {{"net.ipv4.conf." + veth + ".proxy_arp", "1"},
                                    {"net.ipv4.neigh." + veth + ".proxy_delay", "0"},
                                    {"net.ipv6.conf." + veth + ".accept_dad", "0"}}));
  LAB_TRY_VOID(ip(host, {"link", "set", veth, "up"}));

  bool v6 = false;
  for (const auto& a : pod.addresses) {
    if (a.is_v4()) {
      LAB_TRY_VOID(ip(pod.pod_netns, {"addr", "add", a.to_string() + "/32", "dev", "eth0"}));
    } else {
      v6 = true;
      LAB_TRY_VOID(ip(pod.pod_netns, {"-6", "addr", "add", a.to_string() + "/128", "dev", "eth0", "nodad"}));
    }
  }
  LAB_TRY_VOID(ip(pod.pod_netns, {"link", "set", "eth0", "up"}));
  const std::string gw4(kPodGatewayV4);
  LAB_TRY_VOID(ip(pod.pod_netns, {"route", "add", gw4, "dev", "eth0", "scope", "link"}));
  LAB_TRY_VOID(ip(pod.pod_netns, {"route", "add", "default", "via", gw4, "dev", "eth0"}));
  if (v6) {
    LAB_TRY_VOID(ip(pod.pod_netns,
                    {"-6", "route", "add", "default", "via", std::string(kHostVethLinkLocal), "dev", "eth0"}));
  }

  const std::string proto = std::to_string(kWorkloadRouteProtocol);
  for (const auto& a : pod.addresses) {
    const std::string dst = a.to_string() + (a.is_v4() ? "/32" : "/128");
    LAB_TRY_VOID(ip(host, {a.is_v4() ? "-4" : "-6", "route", "add", dst, "dev", veth, "proto", proto}));
  }
  return {};
}

#undef LAB_TRY_VOID

}  // namespace weft::cli::lab
