// Helpers shared by links.cc and link_create.cc (internal to src/kernel).
#pragma once

#include <string_view>

#include "kernel/links.h"
#include "kernel/nl_handles.h"

namespace weft::kernel {

LinkInfo link_from_nl(rtnl_link* link);
// invalid_argument unless 1..15 bytes without '/', ':', whitespace or control characters.
Result<void> validate_link_name(std::string_view name);

}  // namespace weft::kernel
