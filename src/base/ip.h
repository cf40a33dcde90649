// IPv4 and IPv6 addresses and prefixes as plain values.
//
// Contract: parse() accepts only canonical textual forms (dotted quad without leading zeros for
// IPv4, RFC 4291 forms for IPv6, "ADDR/LEN" for prefixes) and returns Errc::invalid_argument with
// the offending text on anything else; it never throws. A Prefix is always normalized: host bits
// are zero (parse() rejects "10.0.0.1/8" unless parse_lenient is used). Values are totally
// ordered (IPv4 before IPv6, then by bits, then by length) and hashable.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"

namespace weft {

enum class Family : uint8_t { v4 = 4, v6 = 6 };

class IpAddress {
 public:
  IpAddress() = default;  // 0.0.0.0
  static IpAddress v4(uint32_t host_order);
  static IpAddress v6(const std::array<uint8_t, 16>& bytes);
  static Result<IpAddress> parse(std::string_view text);

  Family family() const { return family_; }
  bool is_v4() const { return family_ == Family::v4; }
  int bit_width() const { return is_v4() ? 32 : 128; }
  // Network-order bytes; IPv4 uses the first 4.
  const std::array<uint8_t, 16>& bytes() const { return bytes_; }
  uint32_t v4_host_order() const;  // only for IPv4
  std::string to_string() const;  // RFC 5952 for IPv6

  // The address `offset` places further (wraps modulo the family's space).
  IpAddress plus(uint64_t offset) const;
  // Bit i counted from the most significant bit (0 = MSB).
  bool bit(int i) const;

  friend auto operator<=>(const IpAddress&, const IpAddress&) = default;
  friend bool operator==(const IpAddress&, const IpAddress&) = default;

 private:
  Family family_ = Family::v4;
  std::array<uint8_t, 16> bytes_{};
};

class Prefix {
 public:
  Prefix() = default;  // 0.0.0.0/0
  // Masks host bits away; asserts length <= the family's width.
  Prefix(IpAddress address, int length);
  // Strict: "198.19.0.0/16"; rejects host bits set, bad length, garbage.
  static Result<Prefix> parse(std::string_view text);
  // Like parse but also accepts host bits (returns the normalized network) and a bare address
  // (as a host prefix /32 or /128).
  static Result<Prefix> parse_lenient(std::string_view text);

  const IpAddress& address() const { return address_; }
  int length() const { return length_; }
  Family family() const { return address_.family(); }
  std::string to_string() const;

  bool contains(const IpAddress& a) const;
  bool contains(const Prefix& p) const;  // p is inside (or equal to) this
  bool overlaps(const Prefix& p) const;
  IpAddress first() const { return address_; }
  IpAddress last() const;
  // Number of addresses, saturated at 2^63 for huge IPv6 prefixes.
  uint64_t size() const;
  // Number of sub-prefixes of `new_length` (saturated at 2^63); 0 if new_length < length().
  uint64_t subnet_count(int new_length) const;
  // The index-th sub-prefix of `new_length`; not_found if out of range, invalid_argument if the
  // length is shorter than this prefix or longer than the family's width.
  Result<Prefix> subnet(int new_length, uint64_t index) const;
  // Position of sub-prefix p within this prefix's subnets of p.length(); nullopt if not inside.
  std::optional<uint64_t> subnet_index(const Prefix& p) const;

  friend auto operator<=>(const Prefix&, const Prefix&) = default;
  friend bool operator==(const Prefix&, const Prefix&) = default;

 private:
  IpAddress address_;
  int length_ = 0;
};

}  // namespace weft

template <>
struct std::hash<weft::IpAddress> {
  size_t operator()(const weft::IpAddress& a) const noexcept;
};
template <>
struct std::hash<weft::Prefix> {
  size_t operator()(const weft::Prefix& p) const noexcept;
};
