// Result<T>: the return type of every operation that can fail for an expected reason
// (bad input, a store that is unreachable, a lost race). Exceptions never cross a module
// boundary; impossible states assert.
#pragma once

#include <expected>
#include <string>
#include <string_view>
#include <utility>

namespace weft {

enum class Errc {
  invalid_argument,  // malformed input: a CIDR, a config field, a store value
  not_found,         // the object does not exist
  already_exists,    // an object with that identity exists
  conflict,          // a compare-and-swap lost a race; retry with fresh state
  in_use,            // the object is referenced and cannot be removed
  exhausted,         // no free resource left (blocks in a pool, addresses in a block)
  unavailable,       // the store or a peer cannot be reached; retry later
  compacted,         // a watch asked for a revision that was compacted away
  corrupt,           // stored data cannot be decoded
  io,                // a file or socket operation failed
  internal,          // a bug or an unexpected answer from a dependency
};

std::string_view to_string(Errc code);

struct Error {
  Errc code;
  std::string message;

  // "conflict: block 198.19.1.0/24 was claimed by h2"
  std::string describe() const;
};

template <class T>
using Result = std::expected<T, Error>;

// Shorthand to build a failed Result: `return fail(Errc::not_found, "pool ", name, " does not exist");`
template <class... Parts>
std::unexpected<Error> fail(Errc code, Parts&&... parts) {
  std::string message;
  (message.append(std::string_view(parts)), ...);
  return std::unexpected<Error>(Error{code, std::move(message)});
}

// Prepends context to an error while keeping its code: "claiming a block: <original message>".
inline std::unexpected<Error> wrap(const Error& error, std::string_view context) {
  return std::unexpected<Error>(Error{error.code, std::string(context) + ": " + error.message});
}

}  // namespace weft
