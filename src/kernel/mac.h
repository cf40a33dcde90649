// MacAddress: a 48-bit Ethernet address as a plain value (VTEP MACs, neighbour and FDB entries).
//
// Contract: parse() accepts exactly six colon-separated two-digit hex groups (either case) and
// returns Errc::invalid_argument with the offending text otherwise; to_string() is lower-case
// "aa:bb:cc:dd:ee:ff", so parse(to_string(m)) == m. Values are ordered and comparable.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"

namespace weft::kernel {

class MacAddress {
 public:
  MacAddress() = default;  // 00:00:00:00:00:00
  explicit MacAddress(const std::array<uint8_t, 6>& bytes) : bytes_(bytes) {}
  static Result<MacAddress> parse(std::string_view text);

  const std::array<uint8_t, 6>& bytes() const { return bytes_; }
  std::string to_string() const;
  bool is_zero() const { return bytes_ == std::array<uint8_t, 6>{}; }

  friend auto operator<=>(const MacAddress&, const MacAddress&) = default;
  friend bool operator==(const MacAddress&, const MacAddress&) = default;

 private:
  std::array<uint8_t, 6> bytes_{};
};

}  // namespace weft::kernel
