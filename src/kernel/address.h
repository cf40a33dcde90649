// An address on a device as a plain value; no libnl (the calls are in kernel_ops.h, and
// addresses.h for the libnl layer).
#pragma once

#include <compare>
#include <string>

#include "base/ip.h"

namespace weft::kernel {

struct LinkAddress {
  int ifindex = 0;
  IpAddress address{};
  int prefix_length = 0;          // 0..32 or 0..128; host bits of `address` are kept (198.18.0.1/24)
  friend auto operator<=>(const LinkAddress&, const LinkAddress&) = default;
  friend bool operator==(const LinkAddress&, const LinkAddress&) = default;
  std::string to_string() const;  // "198.18.0.1/24"
};

}  // namespace weft::kernel
