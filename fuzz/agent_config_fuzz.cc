// Feeds arbitrary text to weftd's config file parser (agent/config.h), then checks what it read
// as weftd does after merging the flags. The contract: parse_config and validate never throw and
// fail only with invalid_argument; whatever the file says, the result is either an error or a
// configuration validate() can judge.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "agent/config.h"

#define CHECK(cond) ((cond) ? (void)0 : check_failed(__LINE__, #cond))

[[noreturn]] static void check_failed(int line, const char* what) {
  std::fprintf(stderr, "agent_config_fuzz.cc:%d: CHECK failed: %s\n", line, what);
  std::abort();
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  weft::agent::AgentConfig config;
  config.node_name = "h1";  // what the host name would supply
  auto parsed = weft::agent::parse_config(text, config);
  if (!parsed) {
    CHECK(parsed.error().code == weft::Errc::invalid_argument);
    CHECK(!parsed.error().message.empty());
    return 0;
  }
  if (auto valid = weft::agent::validate(config); !valid) {
    CHECK(valid.error().code == weft::Errc::invalid_argument);
  }
  return 0;
}
