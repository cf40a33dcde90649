// IPv4 and IPv6 addresses on devices.
//
// Contract:
// - add_address is idempotent: adding an address that is already on the device with the same
//   prefix length succeeds. The same address with another prefix length is already_exists.
//   IPv6 addresses are added with IFA_F_NODAD: weft's IPAM guarantees uniqueness, and a tentative
//   address (during duplicate address detection) cannot be used as a source for ~1 s.
// - delete_address returns not_found if the address is not on the device.
// - list_addresses returns the device's addresses (both families unless one is given) with
//   kernel-made ones (IPv6 link-local) included.
// - Errors: "adding address 198.18.0.1/24 to eth0: ... (errno N)".
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/ip.h"
#include "base/result.h"
#include "kernel/address.h"
#include "kernel/netlink_socket.h"

namespace weft::kernel {

Result<void> add_address(NetlinkSocket& sock, const LinkAddress& address);
Result<void> delete_address(NetlinkSocket& sock, const LinkAddress& address);
// ifindex 0: every device.
Result<std::vector<LinkAddress>> list_addresses(NetlinkSocket& sock, int ifindex,
                                                std::optional<Family> family = std::nullopt);

}  // namespace weft::kernel
