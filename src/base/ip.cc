#include "base/ip.h"

#include <cassert>
#include <cstddef>
#include <string>

namespace weft {
namespace {

// One integer type for both families keeps the prefix arithmetic in one code path; an IPv4
// address lives in the low 32 bits.
__extension__ typedef unsigned __int128 u128;

constexpr uint64_t kSaturated = uint64_t{1} << 63;

u128 to_u128(const IpAddress& a) {
  const int n = a.is_v4() ? 4 : 16;
  u128 v = 0;
  for (int i = 0; i < n; ++i) v = (v << 8) | a.bytes()[static_cast<size_t>(i)];
  return v;
}

IpAddress from_u128(Family family, u128 v) {
  if (family == Family::v4) return IpAddress::v4(static_cast<uint32_t>(v));
  std::array<uint8_t, 16> b{};
  for (int i = 15; i >= 0; --i, v >>= 8) b[static_cast<size_t>(i)] = static_cast<uint8_t>(v);
  return IpAddress::v6(b);
}

// The low `bits` bits set; bits may be 0..128 (a plain shift by 128 would be undefined).
u128 low_ones(int bits) { return bits >= 128 ? ~u128{0} : (u128{1} << bits) - 1; }

u128 host_mask(int width, int length) { return low_ones(width - length); }
u128 net_mask(int width, int length) { return low_ones(width) & ~host_mask(width, length); }

// 2^bits, saturated at 2^63 as the header promises for size() and subnet_count().
uint64_t pow2_saturated(int bits) { return bits >= 63 ? kSaturated : uint64_t{1} << bits; }

// Error messages quote user input: keep them one short, printable line whatever was passed in
// (the text may come from a file, a socket, or a fuzzer).
std::string quote(std::string_view text) {
  constexpr size_t kMax = 64;
  std::string out;
  for (size_t i = 0; i < text.size() && i < kMax; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    }
  }
  if (text.size() > kMax) out += "...";
  return out;
}

// A decimal number with no sign, no leading zeros ("0" itself is fine) and at most max_digits
// digits; returns -1 otherwise.
int parse_decimal(std::string_view s, size_t max_digits) {
  if (s.empty() || s.size() > max_digits || (s.size() > 1 && s[0] == '0')) return -1;
  int v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return -1;
    v = v * 10 + (c - '0');
  }
  return v;
}

bool parse_v4(std::string_view s, uint8_t out[4]) {
  for (int part = 0; part < 4; ++part) {
    const size_t dot = s.find('.');
    const bool last = part == 3;
    if (last != (dot == std::string_view::npos)) return false;  // too few or too many dots
    const int v = parse_decimal(s.substr(0, dot), 3);
    if (v < 0 || v > 255) return false;
    out[part] = static_cast<uint8_t>(v);
    if (!last) s.remove_prefix(dot + 1);
  }
  return true;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Parses a run of ':'-separated groups (one side of "::", or the whole address) into 16-bit
// words. The final element may be a dotted quad (two words) when `v4_allowed`. Returns false on
// an empty group, a bad group, or more than `max_words` words.
bool parse_groups(std::string_view s, bool v4_allowed, size_t max_words, uint16_t* words,
                  size_t& count) {
  count = 0;
  if (s.empty()) return true;
  while (true) {
    const size_t colon = s.find(':');
    const std::string_view group = s.substr(0, colon);
    const bool last = colon == std::string_view::npos;
    if (last && v4_allowed && group.find('.') != std::string_view::npos) {
      uint8_t q[4];
      if (count + 2 > max_words || !parse_v4(group, q)) return false;
      words[count++] = static_cast<uint16_t>(q[0] << 8 | q[1]);
      words[count++] = static_cast<uint16_t>(q[2] << 8 | q[3]);
      return true;
    }
    if (group.empty() || group.size() > 4 || count + 1 > max_words) return false;
    unsigned v = 0;
    for (char c : group) {
      const int h = hex_value(c);
      if (h < 0) return false;
      v = v << 4 | static_cast<unsigned>(h);
    }
    words[count++] = static_cast<uint16_t>(v);
    if (last) return true;
    s.remove_prefix(colon + 1);
  }
}

bool parse_v6(std::string_view s, std::array<uint8_t, 16>& out) {
  uint16_t head[8], tail[8];
  size_t n_head = 0, n_tail = 0;
  const size_t gap = s.find("::");
  if (gap == std::string_view::npos) {
    if (!parse_groups(s, true, 8, head, n_head) || n_head != 8) return false;
  } else {
    const std::string_view left = s.substr(0, gap), right = s.substr(gap + 2);
    if (right.find("::") != std::string_view::npos) return false;
    // "::" stands for at least one zero group, so at most 7 are written out. The dotted quad is
    // only allowed at the very end, which is the right side when "::" is present.
    if (!parse_groups(left, false, 7, head, n_head)) return false;
    if (!parse_groups(right, true, 7 - n_head, tail, n_tail)) return false;
  }
  out = {};
  for (size_t i = 0; i < n_head; ++i) {
    out[2 * i] = static_cast<uint8_t>(head[i] >> 8);
    out[2 * i + 1] = static_cast<uint8_t>(head[i]);
  }
  const size_t start = 8 - n_tail;
  for (size_t i = 0; i < n_tail; ++i) {
    out[2 * (start + i)] = static_cast<uint8_t>(tail[i] >> 8);
    out[2 * (start + i) + 1] = static_cast<uint8_t>(tail[i]);
  }
  return true;
}

std::string dotted(const uint8_t* b) {
  std::string s;
  for (int i = 0; i < 4; ++i) {
    if (i) s += '.';
    s += std::to_string(b[i]);
  }
  return s;
}

std::string v6_to_string(const std::array<uint8_t, 16>& b) {
  // RFC 5952 section 5: IPv4-mapped addresses keep the dotted quad, which operators recognise.
  bool mapped = b[10] == 0xff && b[11] == 0xff;
  for (int i = 0; i < 10 && mapped; ++i) mapped = b[static_cast<size_t>(i)] == 0;
  if (mapped) return "::ffff:" + dotted(&b[12]);

  uint16_t w[8];
  for (size_t i = 0; i < 8; ++i) w[i] = static_cast<uint16_t>(b[2 * i] << 8 | b[2 * i + 1]);
  // Longest run of zero words, first on a tie; a single zero word is not compressed.
  int best = -1, best_len = 1;
  for (int i = 0; i < 8;) {
    if (w[i] != 0) {
      ++i;
      continue;
    }
    int j = i;
    while (j < 8 && w[j] == 0) ++j;
    if (j - i > best_len) best = i, best_len = j - i;
    i = j;
  }
  std::string s;
  constexpr char kHex[] = "0123456789abcdef";
  for (int i = 0; i < 8; ++i) {
    if (i == best) {
      s += "::";
      i += best_len - 1;
      continue;
    }
    if (!s.empty() && s.back() != ':') s += ':';
    bool started = false;  // lowercase, no leading zeros
    for (int shift = 12; shift >= 0; shift -= 4) {
      const int nibble = (w[i] >> shift) & 0xf;
      if (nibble || started || shift == 0) s += kHex[nibble], started = true;
    }
  }
  return s;
}

uint64_t mix(uint64_t x) {  // splitmix64 finalizer: spreads every input bit over the output
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

enum class Leniency { strict, lenient };

Result<Prefix> parse_prefix(std::string_view text, Leniency mode) {
  const size_t slash = text.find('/');
  if (slash == std::string_view::npos) {
    if (mode == Leniency::lenient) {
      auto a = IpAddress::parse(text);
      if (!a) return std::unexpected(a.error());
      return Prefix(*a, a->bit_width());
    }
    return fail(Errc::invalid_argument, "invalid prefix '", quote(text),
                "': expected ADDRESS/LENGTH");
  }
  auto address = IpAddress::parse(text.substr(0, slash));
  if (!address) {
    return fail(Errc::invalid_argument, "invalid prefix '", quote(text), "': bad address");
  }
  const int length = parse_decimal(text.substr(slash + 1), 3);
  if (length < 0 || length > address->bit_width()) {
    return fail(Errc::invalid_argument, "invalid prefix '", quote(text), "': length must be 0..",
                std::to_string(address->bit_width()), " without leading zeros");
  }
  Prefix p(*address, length);
  if (mode == Leniency::strict && p.address() != *address) {
    return fail(Errc::invalid_argument, "invalid prefix '", quote(text),
                "': host bits are set (did you mean ", p.to_string(), "?)");
  }
  return p;
}

}  // namespace

IpAddress IpAddress::v4(uint32_t host_order) {
  IpAddress a;
  for (int i = 0; i < 4; ++i) {
    a.bytes_[static_cast<size_t>(i)] = static_cast<uint8_t>(host_order >> (24 - 8 * i));
  }
  return a;
}

IpAddress IpAddress::v6(const std::array<uint8_t, 16>& bytes) {
  IpAddress a;
  a.family_ = Family::v6;
  a.bytes_ = bytes;
  return a;
}

Result<IpAddress> IpAddress::parse(std::string_view text) {
  // A colon can only appear in IPv6 text; everything else must be a dotted quad.
  if (text.find(':') != std::string_view::npos) {
    std::array<uint8_t, 16> b;
    if (parse_v6(text, b)) return v6(b);
  } else {
    uint8_t q[4];
    if (parse_v4(text, q)) {
      return v4(uint32_t{q[0]} << 24 | uint32_t{q[1]} << 16 | uint32_t{q[2]} << 8 | q[3]);
    }
  }
  return fail(Errc::invalid_argument, "invalid IP address '", quote(text), "'");
}

uint32_t IpAddress::v4_host_order() const {
  assert(is_v4());
  return static_cast<uint32_t>(to_u128(*this));
}

std::string IpAddress::to_string() const {
  return is_v4() ? dotted(bytes_.data()) : v6_to_string(bytes_);
}

IpAddress IpAddress::plus(uint64_t offset) const {
  // from_u128 truncates IPv4 to 32 bits and u128 wraps at 2^128: both are the family's modulus.
  return from_u128(family_, to_u128(*this) + offset);
}

bool IpAddress::bit(int i) const {
  assert(i >= 0 && i < bit_width());
  return (bytes_[static_cast<size_t>(i / 8)] >> (7 - i % 8)) & 1;
}

Prefix::Prefix(IpAddress address, int length) : length_(length) {
  assert(length >= 0 && length <= address.bit_width());
  const int w = address.bit_width();
  address_ = from_u128(address.family(), to_u128(address) & net_mask(w, length));
}

Result<Prefix> Prefix::parse(std::string_view text) { return parse_prefix(text, Leniency::strict); }

Result<Prefix> Prefix::parse_lenient(std::string_view text) {
  return parse_prefix(text, Leniency::lenient);
}

std::string Prefix::to_string() const {
  return address_.to_string() + "/" + std::to_string(length_);
}

bool Prefix::contains(const IpAddress& a) const {
  if (a.family() != family()) return false;
  return (to_u128(a) & net_mask(address_.bit_width(), length_)) == to_u128(address_);
}

bool Prefix::contains(const Prefix& p) const {
  return p.length_ >= length_ && contains(p.address_);
}

// Two prefixes overlap exactly when one contains the other (they are aligned blocks).
bool Prefix::overlaps(const Prefix& p) const { return contains(p) || p.contains(*this); }

IpAddress Prefix::last() const {
  const int w = address_.bit_width();
  return from_u128(family(), to_u128(address_) | host_mask(w, length_));
}

uint64_t Prefix::size() const { return pow2_saturated(address_.bit_width() - length_); }

uint64_t Prefix::subnet_count(int new_length) const {
  if (new_length < length_ || new_length > address_.bit_width()) return 0;
  return pow2_saturated(new_length - length_);
}

Result<Prefix> Prefix::subnet(int new_length, uint64_t index) const {
  const int w = address_.bit_width();
  if (new_length < length_ || new_length > w) {
    return fail(Errc::invalid_argument, "cannot split ", to_string(), " into /",
                std::to_string(new_length), " subnets");
  }
  const int extra = new_length - length_;
  if (extra < 64 && index >= (uint64_t{1} << extra)) {
    return fail(Errc::not_found, to_string(), " has no /", std::to_string(new_length),
                " subnet number ", std::to_string(index));
  }
  // index == 0 is special-cased because w - new_length may be 128 (::/0 into /0).
  const u128 offset = index == 0 ? 0 : u128{index} << (w - new_length);
  return Prefix(from_u128(family(), to_u128(address_) + offset), new_length);
}

std::optional<uint64_t> Prefix::subnet_index(const Prefix& p) const {
  if (!contains(p)) return std::nullopt;
  const int shift = address_.bit_width() - p.length_;
  const u128 index = shift >= 128 ? 0 : (to_u128(p.address_) - to_u128(address_)) >> shift;
  // More than 2^64 subnets (IPv6 only): an index past uint64 cannot be named, like subnet().
  if (index >> 64) return std::nullopt;
  return static_cast<uint64_t>(index);
}

}  // namespace weft

size_t std::hash<weft::IpAddress>::operator()(const weft::IpAddress& a) const noexcept {
  uint64_t hi = 0, lo = 0;
  for (size_t i = 0; i < 8; ++i) hi = hi << 8 | a.bytes()[i];
  for (size_t i = 8; i < 16; ++i) lo = lo << 8 | a.bytes()[i];
  return static_cast<size_t>(weft::mix(weft::mix(hi ^ static_cast<uint64_t>(a.family())) ^ lo));
}

size_t std::hash<weft::Prefix>::operator()(const weft::Prefix& p) const noexcept {
  const uint64_t h = std::hash<weft::IpAddress>{}(p.address());
  return static_cast<size_t>(weft::mix(h ^ static_cast<uint64_t>(p.length())));
}
