#include "store/memory_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <limits>

#include "base/json.h"
#include "base/log.h"

namespace weft::store::memory {
namespace {

constexpr std::string_view kFormat = "weft-memory-store/1";

// ---- bytes as JSON: nlohmann::json refuses to write strings that are not UTF-8 ----

bool valid_utf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    size_t len = c < 0x80           ? 1
                 : (c >> 5) == 0x6  ? 2
                 : (c >> 4) == 0xe  ? 3
                 : (c >> 3) == 0x1e ? 4
                                    : 0;
    if (len == 0 || i + len > s.size()) return false;
    uint32_t cp = len == 1 ? c : c & (0x7f >> len);
    for (size_t k = 1; k < len; ++k) {
      auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3f);
    }
    // Overlong forms, surrogates and code points beyond Unicode are not UTF-8.
    static constexpr std::array<uint32_t, 5> kMin = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += len;
  }
  return true;
}

constexpr std::string_view kBase64 =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string base64_encode(std::string_view in) {
  std::string out;
  for (size_t i = 0; i < in.size(); i += 3) {
    uint32_t n = static_cast<unsigned char>(in[i]) << 16;
    if (i + 1 < in.size()) n |= static_cast<unsigned char>(in[i + 1]) << 8;
    if (i + 2 < in.size()) n |= static_cast<unsigned char>(in[i + 2]);
    out += kBase64[(n >> 18) & 63];
    out += kBase64[(n >> 12) & 63];
    out += i + 1 < in.size() ? kBase64[(n >> 6) & 63] : '=';
    out += i + 2 < in.size() ? kBase64[n & 63] : '=';
  }
  return out;
}

std::optional<std::string> base64_decode(std::string_view in) {
  if (in.size() % 4 != 0) return std::nullopt;
  std::string out;
  for (size_t i = 0; i < in.size(); i += 4) {
    uint32_t n = 0;
    int pad = 0;
    for (size_t k = 0; k < 4; ++k) {
      char c = in[i + k];
      if (c == '=' && k >= 2 && i + 4 == in.size()) {
        ++pad;
        n <<= 6;
        continue;
      }
      auto pos = kBase64.find(c);
      if (pos == std::string_view::npos || pad > 0) return std::nullopt;
      n = (n << 6) | static_cast<uint32_t>(pos);
    }
    out += static_cast<char>((n >> 16) & 0xff);
    if (pad < 2) out += static_cast<char>((n >> 8) & 0xff);
    if (pad < 1) out += static_cast<char>(n & 0xff);
  }
  return out;
}

Json encode_bytes(const std::string& bytes) {
  if (valid_utf8(bytes)) return bytes;
  return Json{{"base64", base64_encode(bytes)}};
}

// ---- decoding: base/json.h reads the fields; errors become Errc::corrupt and say where ----

class Fields {
 public:
  Fields(const Json& object, std::string where) : object_(object), where_(std::move(where)) {}

  Result<int64_t> integer(const char* name, int64_t min, int64_t max) const {
    auto n = json_int(object_, name);
    if (!n) return corrupt(n.error());
    if (*n < min || *n > max) {
      return fail(Errc::corrupt, at(name), ": ", std::to_string(*n), " is out of range [",
                  std::to_string(min), ", ", std::to_string(max), "]");
    }
    return *n;
  }

  // A string, or {"base64": "..."} for bytes that are not UTF-8.
  Result<std::string> bytes(const char* name) const {
    auto it = object_.find(name);
    if (it == object_.end() || !it->is_object()) {
      auto text = json_string(object_, name);
      if (!text) return corrupt(text.error());
      return *text;
    }
    auto encoded = json_string(*it, "base64");
    if (!encoded) return fail(Errc::corrupt, at(name), ": ", encoded.error().message);
    if (auto decoded = base64_decode(*encoded)) return *decoded;
    return fail(Errc::corrupt, at(name), ": invalid base64");
  }

  Result<const Json*> array(const char* name) const {
    auto it = object_.find(name);
    if (it == object_.end() || !it->is_array()) {
      return fail(Errc::corrupt, at(name), ": expected an array");
    }
    return &*it;
  }

  std::string at(const char* name) const { return where_.empty() ? name : where_ + "." + name; }

 private:
  std::unexpected<Error> corrupt(const Error& error) const {
    if (where_.empty()) return fail(Errc::corrupt, error.message);
    return fail(Errc::corrupt, where_, ": ", error.message);
  }

  const Json& object_;
  std::string where_;
};

Result<void> decode_leases(const Json& doc, State& state, const weft::Clock& clock) {
  auto list = Fields(doc, "").array("leases");
  if (!list) return std::unexpected(list.error());
  const auto now_steady = clock.now();
  const auto now_ms = clock.unix_millis();
  for (size_t i = 0; i < (*list)->size(); ++i) {
    const Json& item = (**list)[i];
    std::string where = "leases[" + std::to_string(i) + "]";
    if (!item.is_object()) return fail(Errc::corrupt, where, ": expected an object");
    Fields f(item, where);
    auto id = f.integer("id", 1, state.next_lease_id - 1);
    if (!id) return std::unexpected(id.error());
    auto ttl = f.integer("ttl_seconds", kMinLeaseTtl, kMaxLeaseTtl);
    if (!ttl) return std::unexpected(ttl.error());
    auto expires = f.integer("expires_at_unix_ms", 0, std::numeric_limits<int64_t>::max());
    if (!expires) return std::unexpected(expires.error());
    // What is left of the TTL, from the wall clock; never more than the TTL (a clock set back
    // while the process was down must not prolong a lease), and 0 when it expired meanwhile.
    int64_t remaining_ms = *expires <= now_ms ? 0 : std::min(*expires - now_ms, *ttl * 1000);
    LeaseRecord lease{*ttl, now_steady + std::chrono::milliseconds(remaining_ms), {}};
    if (!state.leases.emplace(*id, std::move(lease)).second) {
      return fail(Errc::corrupt, where, ".id: lease ", std::to_string(*id), " is listed twice");
    }
  }
  return {};
}

Result<void> decode_keys(const Json& doc, State& state) {
  auto list = Fields(doc, "").array("keys");
  if (!list) return std::unexpected(list.error());
  for (size_t i = 0; i < (*list)->size(); ++i) {
    const Json& item = (**list)[i];
    std::string where = "keys[" + std::to_string(i) + "]";
    if (!item.is_object()) return fail(Errc::corrupt, where, ": expected an object");
    Fields f(item, where);
    KeyValue kv;
    auto key = f.bytes("key");
    if (!key) return std::unexpected(key.error());
    if (key->empty()) return fail(Errc::corrupt, f.at("key"), ": empty");
    kv.key = std::move(*key);
    auto value = f.bytes("value");
    if (!value) return std::unexpected(value.error());
    kv.value = std::move(*value);
    auto create = f.integer("create_revision", 1, state.revision);
    if (!create) return std::unexpected(create.error());
    auto mod = f.integer("mod_revision", *create, state.revision);
    if (!mod) return std::unexpected(mod.error());
    auto version = f.integer("version", 1, std::numeric_limits<int64_t>::max());
    if (!version) return std::unexpected(version.error());
    auto lease = f.integer("lease", 0, std::numeric_limits<int64_t>::max());
    if (!lease) return std::unexpected(lease.error());
    kv.create_revision = *create;
    kv.mod_revision = *mod;
    kv.version = *version;
    kv.lease = *lease;
    if (kv.lease != 0) {
      auto owner = state.leases.find(kv.lease);
      if (owner == state.leases.end()) {
        return fail(Errc::corrupt, f.at("lease"), ": lease ", std::to_string(kv.lease),
                    " is not in \"leases\"");
      }
      owner->second.keys.insert(kv.key);
    }
    std::string name = kv.key;
    if (!state.keys.emplace(std::move(name), std::move(kv)).second) {
      return fail(Errc::corrupt, f.at("key"), ": key is listed twice");
    }
  }
  return {};
}

std::string errno_text() { return std::strerror(errno); }

Result<void> write_all(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail(Errc::io, "writing ", path, ": ", errno_text());
    data.remove_prefix(static_cast<size_t>(n));
  }
  return {};
}

}  // namespace

std::string encode_state(const State& state, const weft::Clock& clock) {
  const auto now_steady = clock.now();
  const int64_t now_ms = clock.unix_millis();
  Json leases = Json::array();
  for (const auto& [id, lease] : state.leases) {
    auto remaining =
        std::chrono::duration_cast<std::chrono::milliseconds>(lease.expiry - now_steady);
    leases.push_back({{"id", id},
                      {"ttl_seconds", lease.ttl_seconds},
                      {"expires_at_unix_ms", std::max<int64_t>(0, now_ms + remaining.count())}});
  }
  Json keys = Json::array();
  for (const auto& [name, kv] : state.keys) {
    keys.push_back({{"key", encode_bytes(kv.key)},
                    {"value", encode_bytes(kv.value)},
                    {"create_revision", kv.create_revision},
                    {"mod_revision", kv.mod_revision},
                    {"version", kv.version},
                    {"lease", kv.lease}});
  }
  Json doc = {{"format", kFormat},
              {"revision", state.revision},
              {"compact_revision", state.compact_revision},
              {"next_lease_id", state.next_lease_id},
              {"keys", std::move(keys)},
              {"leases", std::move(leases)}};
  return doc.dump(1) + "\n";
}

Result<State> decode_state(const std::string& text, const weft::Clock& clock) {
  auto parsed = parse_json(text);  // its error names the byte offset: what finds a truncation
  if (!parsed) return fail(Errc::corrupt, "not valid JSON: ", parsed.error().message);
  Json doc = std::move(*parsed);
  if (!doc.is_object()) return fail(Errc::corrupt, "expected a JSON object");
  if (auto format = json_string(doc, "format"); !format || *format != kFormat) {
    return fail(Errc::corrupt, "format: expected \"", kFormat, "\"");
  }
  Fields top(doc, "");
  State state;
  auto revision = top.integer("revision", 1, std::numeric_limits<int64_t>::max() - 1);
  if (!revision) return std::unexpected(revision.error());
  state.revision = *revision;
  auto compact = top.integer("compact_revision", 0, state.revision);
  if (!compact) return std::unexpected(compact.error());
  state.compact_revision = *compact;
  auto next_lease = top.integer("next_lease_id", 1, std::numeric_limits<int64_t>::max());
  if (!next_lease) return std::unexpected(next_lease.error());
  state.next_lease_id = *next_lease;
  if (auto ok = decode_leases(doc, state, clock); !ok) return std::unexpected(ok.error());
  if (auto ok = decode_keys(doc, state); !ok) return std::unexpected(ok.error());
  return state;
}

Result<std::optional<State>> load_state(const std::string& path, const weft::Clock& clock) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT) return std::optional<State>{};
  if (fd < 0) return fail(Errc::io, "opening ", path, ": ", errno_text());
  std::string text;
  std::array<char, 65536> buf;
  ssize_t n = 0;
  while ((n = ::read(fd, buf.data(), buf.size())) != 0) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      auto error = fail(Errc::io, "reading ", path, ": ", errno_text());
      ::close(fd);
      return error;
    }
    text.append(buf.data(), static_cast<size_t>(n));
  }
  ::close(fd);
  auto state = decode_state(text, clock);
  if (!state) return wrap(state.error(), path);
  return std::optional<State>(std::move(*state));
}

Result<void> save_state(const std::string& path, const State& state, const weft::Clock& clock) {
  // The temporary file sits in the same directory so the rename cannot cross filesystems.
  const std::string temp = path + ".tmp";
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return fail(Errc::io, "creating ", temp, ": ", errno_text());
  Result<void> ok = write_all(fd, encode_state(state, clock), temp);
  if (ok && ::fsync(fd) != 0) ok = fail(Errc::io, "syncing ", temp, ": ", errno_text());
  if (::close(fd) != 0 && ok) ok = fail(Errc::io, "closing ", temp, ": ", errno_text());
  if (ok && ::rename(temp.c_str(), path.c_str()) != 0) {
    ok = fail(Errc::io, "renaming ", temp, " to ", path, ": ", errno_text());
  }
  if (!ok) {
    ::unlink(temp.c_str());
    return ok;
  }
  // The rename is durable only once the directory entry is on disk. The new state is already in
  // place, so a failure here is only logged: reporting it would make the caller undo a write
  // that the file already holds.
  auto dir = std::filesystem::path(path).parent_path();
  if (dir.empty()) dir = ".";
  int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0 || ::fsync(dir_fd) != 0) {
    spdlog::warn("memory store: syncing directory {}: {}", dir.string(), errno_text());
  }
  if (dir_fd >= 0) ::close(dir_fd);
  return {};
}

}  // namespace weft::store::memory
