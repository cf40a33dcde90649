// weft-cni: the CNI plugin a container runtime executes (see commands.h). Reads the network
// configuration from stdin, the CNI_* variables from the environment, prints the result or the
// error object on stdout; logs (WEFT_LOG_LEVEL, default warn) go to stderr only.
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include "base/log.h"
#include "cni/commands.h"

int main() {
  weft::init_logging("warn");
  // The spec's inputs are small; a bound keeps a runaway writer from exhausting memory.
  constexpr size_t kMaxStdin = size_t{16} << 20;
  std::string input;
  char buf[65536];
  size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, stdin)) > 0 && input.size() <= kMaxStdin) input.append(buf, n);

  auto getenv = [](std::string_view name) -> std::optional<std::string> {
    const char* value = std::getenv(std::string(name).c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
  const auto outcome = input.size() > kMaxStdin
                           ? weft::cni::Outcome{1, R"({"cniVersion":"1.0.0","code":6,"msg":"network configuration is too large"})" "\n"}
                           : weft::cni::run_plugin(getenv, input);
  std::fwrite(outcome.stdout_text.data(), 1, outcome.stdout_text.size(), stdout);
  std::fflush(stdout);
  return outcome.exit_code;
}
