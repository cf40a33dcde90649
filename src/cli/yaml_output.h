// JSON values as YAML block text, for `-o yaml`: the same structure `-o json` prints, so either
// form reads back to the same value (strings that YAML would read as a number, a boolean or null
// are quoted).
#pragma once

#include <string>

#include "base/json.h"

namespace weft::cli {

std::string to_yaml(const Json& value);

}  // namespace weft::cli
