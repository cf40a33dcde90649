// The libnl calls on network devices (KernelOps wraps them; see kernel_ops.h): veth pairs, bridges and VXLAN devices, and the attributes weft sets on them.
//
// Contract:
// - Every function acts in the namespace of the socket passed in (see netlink_socket.h).
// - create_* fail with already_exists if a device of that name exists (no silent reuse: the
//   caller decides whether an existing device is right) and return the new device as read back
//   from the kernel. A VXLAN device is created with learning off unless asked, the given VNI,
//   UDP port, local address and underlay device, and an explicit MAC when one is given (so the
//   VTEP MAC that other hosts learnt survives a re-creation).
// - get_link/find_link return not_found for an unknown index/name. set_* change one attribute.
//   delete_link removes a device (both ends, for a veth).
// - Errors name the operation and the device: "setting mtu 1450 on weft.1: Invalid argument
//   (errno 22)".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/ip.h"
#include "base/result.h"
#include "kernel/link.h"
#include "kernel/mac.h"
#include "kernel/netlink_socket.h"

namespace weft::kernel {

// The local end (`name`) as read back; the peer is in the namespace of spec.peer_netns_fd.
Result<LinkInfo> create_veth(NetlinkSocket& sock, const VethSpec& spec);
Result<LinkInfo> create_bridge(NetlinkSocket& sock, const BridgeSpec& spec);
Result<LinkInfo> create_vxlan(NetlinkSocket& sock, const VxlanSpec& spec);

Result<LinkInfo> get_link(NetlinkSocket& sock, int index);
Result<LinkInfo> find_link(NetlinkSocket& sock, std::string_view name);
Result<std::vector<LinkInfo>> list_links(NetlinkSocket& sock);

Result<void> set_link_up(NetlinkSocket& sock, int index, bool up);
Result<void> set_link_mtu(NetlinkSocket& sock, int index, uint32_t mtu);
Result<void> set_link_mac(NetlinkSocket& sock, int index, const MacAddress& mac);
// Enslaves the device to bridge `master`; master 0 releases it from its bridge.
Result<void> set_link_master(NetlinkSocket& sock, int index, int master);
// Moves the device to the namespace of `netns_fd` (a NetnsFd::get()); its index may change there.
Result<void> move_link_to_netns(NetlinkSocket& sock, int index, int netns_fd);
Result<void> delete_link(NetlinkSocket& sock, int index);

// "eth0" for the device's name, or "#7" when it cannot be read (only for messages).
std::string link_label(NetlinkSocket& sock, int index);

}  // namespace weft::kernel
