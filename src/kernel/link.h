// Network devices as plain values: what a device is (LinkInfo, read back) and what to create
// (VethSpec, BridgeSpec, VxlanSpec). No libnl here: the desired-state code and the recording fake
// use these; the calls that act on devices are in kernel_ops.h (and links.h for the libnl layer).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "base/ip.h"
#include "kernel/mac.h"

namespace weft::kernel {

// Every member has an explicit initializer so that callers can use designated initializers with
// only the fields they care about (GCC 12 warns about the others otherwise).
struct VxlanInfo {
  uint32_t vni = 0;
  uint16_t port = 0;                              // UDP destination port
  std::optional<IpAddress> local = std::nullopt;  // source address of the tunnel
  int underlay = 0;                               // ifindex of the underlay device (0: none)
  bool learning = false;
  friend bool operator==(const VxlanInfo&, const VxlanInfo&) = default;
};

struct LinkInfo {
  int index = 0;
  std::string name{};
  std::string kind{};                             // "veth", "bridge", "vxlan", ...; "" when none (lo)
  uint32_t mtu = 0;
  std::optional<MacAddress> mac = std::nullopt;
  bool up = false;                                // administratively up (IFF_UP)
  bool lower_up = false;                          // carrier (IFF_LOWER_UP)
  int master = 0;                                 // ifindex of the bridge it is enslaved to; 0 when none
  int link = 0;                                   // IFLA_LINK: a veth's peer index (in the peer's namespace)
  std::optional<VxlanInfo> vxlan = std::nullopt;  // set for kind "vxlan"
};

struct VethSpec {
  std::string name{};
  std::string peer_name{};
  int peer_netns_fd = -1;  // a NetnsFd::get(); -1 keeps the peer in this namespace
  uint32_t mtu = 0;        // 0: kernel default; applies to both ends
  std::optional<MacAddress> mac = std::nullopt;
  std::optional<MacAddress> peer_mac = std::nullopt;
};

struct BridgeSpec {
  std::string name{};
  uint32_t mtu = 0;
  std::optional<MacAddress> mac = std::nullopt;
};

struct VxlanSpec {
  std::string name{};
  uint32_t vni = 1;       // 0 .. 2^24-1
  uint16_t port = 4789;   // IANA VXLAN port; flannel uses 8472 (the Linux default)
  std::optional<IpAddress> local = std::nullopt;
  int underlay = 0;       // ifindex of the underlay device; 0: none
  bool learning = false;  // weft programs FDB entries itself
  uint32_t mtu = 0;       // 0: kernel default (underlay MTU - 50)
  std::optional<MacAddress> mac = std::nullopt;
};

}  // namespace weft::kernel
