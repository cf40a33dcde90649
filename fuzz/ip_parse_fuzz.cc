// Feeds arbitrary bytes to the address and prefix parsers. Besides the sanitizers' own checks it
// asserts the parsers' contract: whatever parses prints canonically and parses back to the same
// value, prefixes are normalized, and failures are invalid_argument with a bounded message.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "base/ip.h"

// Not assert(): it must fire whatever NDEBUG says.
#define CHECK(cond) ((cond) ? (void)0 : check_failed(__LINE__, #cond))

[[noreturn]] static void check_failed(int line, const char* what) {
  std::fprintf(stderr, "ip_parse_fuzz.cc:%d: CHECK failed: %s\n", line, what);
  std::abort();
}

namespace {

void check_error(const weft::Error& e) {
  CHECK(e.code == weft::Errc::invalid_argument);
  // The offending text is clamped, so a huge input cannot make a huge log line.
  CHECK(e.message.size() < 400);
}

void check_address(const weft::IpAddress& a) {
  const std::string text = a.to_string();
  auto again = weft::IpAddress::parse(text);
  CHECK(again.has_value());
  CHECK(*again == a);
  CHECK(again->to_string() == text);
  CHECK(text.size() <= 45);  // "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255"
}

void check_prefix(const weft::Prefix& p, uint64_t salt) {
  CHECK(weft::Prefix(p.address(), p.length()) == p);  // host bits are zero
  CHECK(p.contains(p.first()) && p.contains(p.last()) && p.contains(p));
  auto again = weft::Prefix::parse(p.to_string());
  CHECK(again.has_value());
  CHECK(*again == p);
  check_address(p.address());

  // One sub-prefix picked by the input: it must lie inside and map back to its index.
  const int new_length = std::min(p.address().bit_width(), p.length() + static_cast<int>(salt % 9));
  const uint64_t count = p.subnet_count(new_length);
  const uint64_t index = count == 0 ? 0 : salt % count;
  auto sub = p.subnet(new_length, index);
  CHECK(sub.has_value());
  CHECK(p.contains(*sub) && p.overlaps(*sub) && sub->overlaps(p));
  CHECK(p.subnet_index(*sub) == index);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  uint64_t salt = size;
  for (size_t i = 0; i < size && i < 8; ++i) salt = salt * 131 + data[i];

  auto address = weft::IpAddress::parse(text);
  if (address) {
    check_address(*address);
  } else {
    check_error(address.error());
  }

  auto strict = weft::Prefix::parse(text);
  if (strict) {
    check_prefix(*strict, salt);
  } else {
    check_error(strict.error());
  }

  auto lenient = weft::Prefix::parse_lenient(text);
  if (lenient) {
    check_prefix(*lenient, salt);
    // Lenient accepts a superset of strict and agrees where both accept.
    if (strict) CHECK(*strict == *lenient);
    if (address) CHECK(lenient->length() == address->bit_width() && lenient->first() == *address);
  } else {
    check_error(lenient.error());
    CHECK(!strict && !address);
  }
  return 0;
}
