// Addresses and prefixes from text, for tests: ip("198.19.1.5"), pfx("198.19.1.0/24"). Text
// that does not parse fails the calling test (with the text and the parser's message) and gives
// a default value, so that a typo in a test can never pass as "some address".
#pragma once

#include <gtest/gtest.h>

#include <string_view>

#include "base/ip.h"

namespace weft::testing {

inline IpAddress ip(std::string_view text) {
  auto parsed = IpAddress::parse(text);
  EXPECT_TRUE(parsed.has_value()) << text << ": " << (parsed ? "" : parsed.error().message);
  return parsed.value_or(IpAddress{});
}

inline Prefix pfx(std::string_view text) {
  auto parsed = Prefix::parse(text);
  EXPECT_TRUE(parsed.has_value()) << text << ": " << (parsed ? "" : parsed.error().message);
  return parsed.value_or(Prefix{});
}

}  // namespace weft::testing
