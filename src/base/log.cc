#include "base/log.h"

#include <spdlog/sinks/stdout_color_sinks.h>

#include <cstdlib>
#include <string>

namespace weft {

bool set_log_level(std::string_view level) {
  auto parsed = spdlog::level::from_str(std::string(level));
  if (parsed == spdlog::level::off && level != "off") return false;
  spdlog::set_level(parsed);
  return true;
}

void init_logging(std::string_view fallback) {
  auto logger = spdlog::stderr_color_mt("weft");
  spdlog::set_default_logger(logger);
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
  const char* env = std::getenv("WEFT_LOG_LEVEL");
  if (env == nullptr || !set_log_level(env)) set_log_level(fallback);
}

}  // namespace weft
