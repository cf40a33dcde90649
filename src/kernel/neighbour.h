// Neighbour (ARP/NDP) entries and VXLAN forwarding-database (FDB) entries as plain values; no
// libnl (the calls are in kernel_ops.h, and neighbours.h for the libnl layer).
#pragma once

#include <compare>
#include <optional>

#include "base/ip.h"
#include "kernel/mac.h"

namespace weft::kernel {

struct Neighbour {
  int ifindex = 0;
  IpAddress address{};
  std::optional<MacAddress> mac = std::nullopt;  // read back: none for an incomplete/failed entry
  bool permanent = true;                         // read back: NUD_PERMANENT
  friend auto operator<=>(const Neighbour&, const Neighbour&) = default;
  friend bool operator==(const Neighbour&, const Neighbour&) = default;
};

struct FdbEntry {
  int ifindex = 0;     // the VXLAN device
  MacAddress mac{};    // remote VTEP MAC
  IpAddress remote{};  // remote underlay address
  friend auto operator<=>(const FdbEntry&, const FdbEntry&) = default;
  friend bool operator==(const FdbEntry&, const FdbEntry&) = default;
};

}  // namespace weft::kernel
