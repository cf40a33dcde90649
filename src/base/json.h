// Small helpers to read untrusted JSON (store values, CNI input, config) without exceptions:
// every accessor returns a Result naming the field that is missing or has the wrong type.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace weft {

using Json = nlohmann::json;

// Parses text; Errc::invalid_argument with the byte position on malformed input.
Result<Json> parse_json(std::string_view text);

// Required fields. `object` must be a JSON object (otherwise invalid_argument).
Result<std::string> json_string(const Json& object, std::string_view field);
Result<int64_t> json_int(const Json& object, std::string_view field);
Result<bool> json_bool(const Json& object, std::string_view field);

// Optional fields: the fallback when absent or null, an error when present with the wrong type.
Result<std::string> json_string_or(const Json& object, std::string_view field, std::string fallback);
Result<int64_t> json_int_or(const Json& object, std::string_view field, int64_t fallback);
Result<bool> json_bool_or(const Json& object, std::string_view field, bool fallback);
// A list of strings: empty when absent or null, an error when not a list of strings.
Result<std::vector<std::string>> json_string_list(const Json& object, std::string_view field);

// Serializes without throwing on invalid UTF-8 (replaced), compactly.
std::string dump_json(const Json& value);

}  // namespace weft
