// The canonical form of selectors (normalisation, rendering) and matching. Parsing is in
// selector_parser.cc.
#include "policy/selector.h"

#include <algorithm>
#include <cassert>

namespace weft::policy {
namespace {

using Kind = Selector::Kind;

std::string quoted(const std::string& v) {
  const char q = v.find('"') == std::string::npos ? '"' : '\'';
  return std::string(1, q) + v + q;
}

// An operand of && needs parentheses when it is an ||; any compound under ! does (but ! only
// stays in front of compounds, leaves absorb it).
std::string operand(const Selector& s, Kind parent) {
  const bool wrap = s.kind == Kind::any_of && parent == Kind::all_of;
  return wrap ? "(" + to_string(s) + ")" : to_string(s);
}

void sort_unique(std::vector<Selector>& v) {
  std::vector<std::pair<std::string, Selector>> keyed;
  keyed.reserve(v.size());
  for (auto& s : v) keyed.emplace_back(to_string(s), std::move(s));
  std::sort(keyed.begin(), keyed.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  keyed.erase(std::unique(keyed.begin(), keyed.end(), [](const auto& a, const auto& b) { return a.first == b.first; }),
              keyed.end());
  v.clear();
  for (auto& [text, s] : keyed) v.push_back(std::move(s));
}

Selector compound(Kind kind, std::vector<Selector> operands) {
  // Identity and absorbing elements: all() for &&, none for ||.
  const Kind identity = kind == Kind::all_of ? Kind::all : Kind::none;
  const Kind absorbing = kind == Kind::all_of ? Kind::none : Kind::all;
  std::vector<Selector> flat;
  for (auto& s : operands) {
    if (s.kind == absorbing) return Selector{.kind = absorbing};
    if (s.kind == identity) continue;
    if (s.kind == kind) {
      for (auto& inner : s.operands) flat.push_back(std::move(inner));
    } else {
      flat.push_back(std::move(s));
    }
  }
  sort_unique(flat);
  if (flat.empty()) return Selector{.kind = identity};
  if (flat.size() == 1) return std::move(flat.front());
  return Selector{.kind = kind, .operands = std::move(flat)};
}

}  // namespace

Selector select_all() { return Selector{}; }

Selector leaf(Kind kind, std::string key, std::vector<std::string> values) {
  std::sort(values.begin(), values.end());
  values.erase(std::unique(values.begin(), values.end()), values.end());
  if (kind == Kind::in && values.empty()) return Selector{.kind = Kind::none};
  if (kind == Kind::not_in && values.empty()) return Selector{.kind = Kind::all};
  // One value: `k in {v}` is `k == v`, so both spellings share one canonical form.
  if (kind == Kind::in && values.size() == 1) kind = Kind::equals;
  if (kind == Kind::not_in && values.size() == 1) kind = Kind::not_equals;
  return Selector{.kind = kind, .key = std::move(key), .values = std::move(values)};
}

Selector negate(Selector s) {
  switch (s.kind) {
    case Kind::all: return Selector{.kind = Kind::none};
    case Kind::none: return Selector{};
    case Kind::equals: s.kind = Kind::not_equals; return s;
    case Kind::not_equals: s.kind = Kind::equals; return s;
    case Kind::in: s.kind = Kind::not_in; return s;
    case Kind::not_in: s.kind = Kind::in; return s;
    case Kind::has: s.kind = Kind::not_has; return s;
    case Kind::not_has: s.kind = Kind::has; return s;
    case Kind::all_of:
    case Kind::any_of: {
      // De Morgan keeps negations on the leaves, so there is no "not" node to canonicalise.
      std::vector<Selector> negated;
      for (auto& o : s.operands) negated.push_back(negate(std::move(o)));
      return compound(s.kind == Kind::all_of ? Kind::any_of : Kind::all_of, std::move(negated));
    }
  }
  assert(false);
  return s;
}

Selector all_of(std::vector<Selector> operands) { return compound(Kind::all_of, std::move(operands)); }
Selector any_of(std::vector<Selector> operands) { return compound(Kind::any_of, std::move(operands)); }

bool matches(const Selector& s, const Labels& labels) {
  const auto it = s.key.empty() ? labels.end() : labels.find(s.key);
  const bool present = it != labels.end();
  const auto among = [&] { return present && std::binary_search(s.values.begin(), s.values.end(), it->second); };
  switch (s.kind) {
    case Kind::all: return true;
    case Kind::none: return false;
    case Kind::equals:
    case Kind::in: return among();
    case Kind::not_equals:
    case Kind::not_in: return !among();
    case Kind::has: return present;
    case Kind::not_has: return !present;
    case Kind::all_of:
      return std::all_of(s.operands.begin(), s.operands.end(), [&](const Selector& o) { return matches(o, labels); });
    case Kind::any_of:
      return std::any_of(s.operands.begin(), s.operands.end(), [&](const Selector& o) { return matches(o, labels); });
  }
  return false;
}

std::string to_string(const Selector& s) {
  switch (s.kind) {
    case Kind::all: return "all()";
    case Kind::none: return "!all()";
    case Kind::equals: return s.key + " == " + quoted(s.values.at(0));
    case Kind::not_equals: return s.key + " != " + quoted(s.values.at(0));
    case Kind::has: return "has(" + s.key + ")";
    case Kind::not_has: return "!has(" + s.key + ")";
    case Kind::in:
    case Kind::not_in: {
      std::string out = s.key + (s.kind == Kind::in ? " in {" : " not in {");
      for (size_t i = 0; i < s.values.size(); ++i) out += (i ? ", " : "") + quoted(s.values[i]);
      return out + "}";
    }
    case Kind::all_of:
    case Kind::any_of: {
      std::string out;
      for (size_t i = 0; i < s.operands.size(); ++i) {
        out += (i ? (s.kind == Kind::all_of ? " && " : " || ") : "") + operand(s.operands[i], s.kind);
      }
      return out;
    }
  }
  return "";
}

bool valid_label_key(std::string_view key) {
  if (key.empty() || key.size() > 317) return false;  // 253 prefix + '/' + 63 name
  return std::all_of(key.begin(), key.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
           c == '-' || c == '/';
  });
}

namespace {
// Well-formed UTF-8 without control characters: values travel through JSON and nft scripts.
bool printable_utf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == 0x7f) return false;
    const size_t extra = c < 0x80 ? 0 : (c >> 5) == 0x6 ? 1 : (c >> 4) == 0xe ? 2 : (c >> 3) == 0x1e ? 3 : 99;
    if (extra == 99) return false;
    uint32_t cp = extra == 0 ? c : c & (0x3f >> extra);
    for (size_t k = 1; k <= extra; ++k) {
      if (i + k >= s.size()) return false;
      const auto d = static_cast<unsigned char>(s[i + k]);
      if ((d & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (d & 0x3f);
    }
    const uint32_t least[] = {0, 0x80, 0x800, 0x10000};
    if (cp < least[extra] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += extra + 1;
  }
  return true;
}
}  // namespace

bool valid_label_value(std::string_view value) {
  const bool quotable = value.find('"') == std::string_view::npos || value.find('\'') == std::string_view::npos;
  return quotable && printable_utf8(value);
}

}  // namespace weft::policy
