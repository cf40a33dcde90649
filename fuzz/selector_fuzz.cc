// Feeds arbitrary text to the selector parser (policy/selector.h) and checks its contract: a
// failure is invalid_argument; whatever parses renders to a canonical text that parses back to the
// same value, matches the same label sets, and is a fixed point of rendering.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "policy/selector.h"

#define CHECK(cond) ((cond) ? (void)0 : check_failed(__LINE__, #cond))

[[noreturn]] static void check_failed(int line, const char* what) {
  std::fprintf(stderr, "selector_fuzz.cc:%d: CHECK failed: %s\n", line, what);
  std::abort();
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto s = weft::policy::parse_selector(text);
  if (!s) {
    CHECK(s.error().code == weft::Errc::invalid_argument);
    return 0;
  }
  const std::string canonical = weft::policy::to_string(*s);
  auto again = weft::policy::parse_selector(canonical);
  CHECK(again.has_value());
  CHECK(*again == *s);
  CHECK(weft::policy::to_string(*again) == canonical);
  const weft::policy::Labels some{{"a", "x"}, {"b", "y"}, {"app", "web"}};
  CHECK(weft::policy::matches(*s, some) == weft::policy::matches(*again, some));
  CHECK(weft::policy::matches(*s, {}) == weft::policy::matches(*again, {}));
  return 0;
}
