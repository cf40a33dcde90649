#include "base/result.h"

namespace weft {

std::string_view to_string(Errc code) {
  switch (code) {
    case Errc::invalid_argument: return "invalid argument";
    case Errc::not_found: return "not found";
    case Errc::already_exists: return "already exists";
    case Errc::conflict: return "conflict";
    case Errc::in_use: return "in use";
    case Errc::exhausted: return "exhausted";
    case Errc::unavailable: return "unavailable";
    case Errc::compacted: return "compacted";
    case Errc::corrupt: return "corrupt";
    case Errc::io: return "i/o error";
    case Errc::internal: return "internal error";
  }
  return "unknown error";
}

std::string Error::describe() const { return std::string(to_string(code)) + ": " + message; }

}  // namespace weft
