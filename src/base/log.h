// Logging: spdlog behind one call so every binary logs the same way (stderr, timestamped,
// level from WEFT_LOG_LEVEL or the caller).
#pragma once

#include <spdlog/spdlog.h>

#include <string_view>

namespace weft {

// Sets the global logger's level ("trace", "debug", "info", "warn", "error", "off").
// An unknown name keeps the current level and returns false.
bool set_log_level(std::string_view level);

// Reads WEFT_LOG_LEVEL if set; otherwise uses `fallback`.
void init_logging(std::string_view fallback = "info");

}  // namespace weft
