// Conversions between weft values (IpAddress, Prefix, MacAddress) and libnl's nl_addr
// (internal to src/kernel).
//
// Contract: the to_nl_* functions return an owned nl_addr, or nullptr only when libnl cannot
// allocate (callers report Errc::internal). The from_nl functions read an address by its length
// (4 → IPv4, 16 → IPv6, 6 → MAC) rather than by libnl's family tag, which is unreliable for
// AF_BRIDGE neighbour messages; they return nullopt for a null or odd-sized address.
#pragma once

#include <optional>

#include "base/ip.h"
#include "kernel/mac.h"
#include "kernel/nl_handles.h"

namespace weft::kernel {

// The address as a host prefix (/32 or /128) unless prefix_length >= 0 is given.
NlAddrPtr to_nl_addr(const IpAddress& address, int prefix_length = -1);
NlAddrPtr to_nl_addr(const Prefix& prefix);
NlAddrPtr to_nl_addr(const MacAddress& mac);

int address_family(Family family);  // AF_INET or AF_INET6
int address_family(const IpAddress& address);

std::optional<IpAddress> ip_from_nl(const nl_addr* address);
std::optional<MacAddress> mac_from_nl(const nl_addr* address);

}  // namespace weft::kernel
