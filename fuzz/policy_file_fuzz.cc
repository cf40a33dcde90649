// Feeds arbitrary text to the policy file parser (policy/policy_file.h) and the stored-policy
// decoder (policy/policy_codec.h). The first byte picks which. Checks their contracts: failures
// are the documented codes (invalid_argument for files, corrupt for stored values), and every
// parsed policy survives the store codec unchanged.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "policy/policy_codec.h"
#include "policy/policy_file.h"

#define CHECK(cond) ((cond) ? (void)0 : check_failed(__LINE__, #cond))

[[noreturn]] static void check_failed(int line, const char* what) {
  std::fprintf(stderr, "policy_file_fuzz.cc:%d: CHECK failed: %s\n", line, what);
  std::abort();
}

namespace {

void round_trip(const weft::policy::Policy& p) {
  auto back = weft::policy::decode_policy("fuzz", weft::dump_json(weft::policy::encode(p)));
  CHECK(back.has_value());
  CHECK(*back == p);
}

void file(std::string_view text) {
  auto r = weft::policy::parse_policy_file(text);
  if (!r) {
    CHECK(r.error().code == weft::Errc::invalid_argument);
    CHECK(r.error().message.starts_with("document "));
    return;
  }
  for (const auto& p : *r) round_trip(p);
}

void stored(std::string_view text) {
  auto r = weft::policy::decode_policy("fuzz", text);
  if (!r) {
    CHECK(r.error().code == weft::Errc::corrupt);
    return;
  }
  round_trip(*r);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  if (data[0] % 2 == 0) {
    file(text);
  } else {
    stored(text);
  }
  return 0;
}
