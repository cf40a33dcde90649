#include "kernel/mac.h"

namespace weft::kernel {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

Result<MacAddress> MacAddress::parse(std::string_view text) {
  // "aa:bb:cc:dd:ee:ff" is exactly 17 characters: 6 groups of 2 digits and 5 colons.
  std::array<uint8_t, 6> bytes{};
  if (text.size() != 17) return fail(Errc::invalid_argument, "invalid MAC address '", text, "'");
  for (size_t i = 0; i < 6; ++i) {
    int hi = hex_value(text[i * 3]);
    int lo = hex_value(text[i * 3 + 1]);
    bool separator_ok = i == 5 || text[i * 3 + 2] == ':';
    if (hi < 0 || lo < 0 || !separator_ok) {
      return fail(Errc::invalid_argument, "invalid MAC address '", text, "'");
    }
    bytes[i] = static_cast<uint8_t>(hi * 16 + lo);
  }
  return MacAddress(bytes);
}

std::string MacAddress::to_string() const {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string text;
  text.reserve(17);
  for (size_t i = 0; i < bytes_.size(); ++i) {
    if (i != 0) text.push_back(':');
    text.push_back(kDigits[bytes_[i] >> 4]);
    text.push_back(kDigits[bytes_[i] & 0xF]);
  }
  return text;
}

}  // namespace weft::kernel
