// The file a persisted MemoryStore lives in: its whole State as one JSON document, replaced
// atomically on every write, so the file is always either the old or the new state.
//
// {"format": "weft-memory-store/1", "revision": 7, "compact_revision": 0, "next_lease_id": 3,
//  "keys": [{"key": "/weft/v1/x", "value": "...", "create_revision": 2, "mod_revision": 7,
//            "version": 3, "lease": 2}],
//  "leases": [{"id": 2, "ttl_seconds": 30, "expires_at_unix_ms": 1700000000000}]}
//
// Keys and values are JSON strings when they are valid UTF-8 (readable with any tool), otherwise
// {"base64": "..."}. Lease expiries are wall-clock time so a lease's TTL keeps running while the
// process is down. The event history is not saved: after a restart, a watch from an earlier
// revision resyncs.
#pragma once

#include <optional>
#include <string>

#include "base/clock.h"
#include "base/result.h"
#include "store/memory_state.h"

namespace weft::store::memory {

// nullopt when there is no file at `path`. A file that cannot be decoded is Errc::corrupt (naming
// the path and the fault); one that cannot be read is Errc::io. The file is never modified.
Result<std::optional<State>> load_state(const std::string& path, const weft::Clock& clock = system_clock());

// Writes a temporary file next to `path`, fsyncs it, renames it over `path` and fsyncs the
// directory. Errc::io on any failure, leaving `path` as it was.
Result<void> save_state(const std::string& path, const State& state,
                        const weft::Clock& clock = system_clock());

// The JSON document alone (no file), for tests and tools.
// `clock` turns lease expiries from its now() into wall-clock time (unix_millis) and back.
std::string encode_state(const State& state, const weft::Clock& clock = system_clock());
Result<State> decode_state(const std::string& text, const weft::Clock& clock = system_clock());

}  // namespace weft::store::memory
