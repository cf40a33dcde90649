#include "policy/policy_file.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <optional>
#include <set>
#include <tuple>
#include <utility>

#include "policy/document_parsers.h"

namespace weft::policy {
namespace {

using yaml::Fields;

bool dns_name(std::string_view name, size_t max, bool dots) {
  if (name.empty() || name.size() > max) return false;
  const auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!alnum(name.front()) || !alnum(name.back())) return false;
  for (char c : name) {
    if (!alnum(c) && c != '-' && !(dots && c == '.')) return false;
  }
  return true;
}

Result<Policy> read_document(const YAML::Node& doc) {
  auto f = Fields::of(doc, "");
  if (!f) return std::unexpected(f.error());
  auto api = yaml::text((*f)["apiVersion"], "apiVersion");
  auto kind = yaml::text((*f)["kind"], "kind");
  if (!api) return std::unexpected(api.error());
  if (!kind) return std::unexpected(kind.error());
  Policy p;
  if (*api == "networking.k8s.io/v1" && *kind == "NetworkPolicy") {
    p.origin = Origin::kubernetes;
  } else if (*api == "weft.io/v1" && *kind == "Policy") {
    p.origin = Origin::namespaced;
  } else if (*api == "weft.io/v1" && *kind == "GlobalPolicy") {
    p.origin = Origin::global;
  } else {
    return yaml::fail_at(doc, "kind", "'" + *api + "' " + *kind +
                                          " is not a networking.k8s.io/v1 NetworkPolicy nor a weft.io/v1 Policy or GlobalPolicy");
  }
  const auto metadata = (*f)["metadata"];
  auto m = Fields::of(metadata, "metadata");
  if (!m) return std::unexpected(m.error());
  auto name = yaml::text((*m)["name"], "metadata.name");
  if (!name) return std::unexpected(name.error());
  if (!valid_policy_name(*name)) return yaml::fail_at((*m)["name"], "metadata.name", "'" + *name + "' is not a DNS subdomain name");
  p.name = *name;
  if (const auto ns = (*m)["namespace"]; yaml::present(ns)) {
    if (p.origin == Origin::global) return yaml::fail_at(ns, "metadata.namespace", "a GlobalPolicy has no namespace");
    auto t = yaml::text(ns, "metadata.namespace");
    if (!t) return std::unexpected(t.error());
    if (!valid_namespace_name(*t)) return yaml::fail_at(ns, "metadata.namespace", "'" + *t + "' is not a DNS label");
    p.namespace_name = *t;
  } else if (p.origin != Origin::global) {
    p.namespace_name = "default";
  }
  auto spec = Fields::of((*f)["spec"], "spec");
  if (!spec) return std::unexpected(spec.error());
  auto read = p.origin == Origin::kubernetes ? read_network_policy_spec(*spec, p) : read_weft_policy_spec(*spec, p);
  if (!read) return std::unexpected(read.error());
  (*f)["status"];  // written by some tools; carries no meaning here
  if (auto u = f->no_unknown(); !u) return std::unexpected(u.error());
  return p;
}

// yaml-cpp's parse errors carry a line but not the document: count the separators before it.
int document_of_line(std::string_view text, int line) {
  int document = 1;
  int current = 0;
  bool content = false;
  size_t start = 0;
  while (start <= text.size() && current < line) {
    const size_t end = std::min(text.find('\n', start), text.size());
    const std::string_view l = text.substr(start, end - start);
    if (l.starts_with("---")) {
      if (content) ++document;
      content = false;
    } else if (!l.empty() && l.front() != '#' && l.find_first_not_of(" \t\r") != std::string_view::npos) {
      content = true;
    }
    ++current;
    start = end + 1;
  }
  return document;
}

// yaml-cpp 0.7 (Debian 12) never returns from LoadAll on some ',' in block context (",", "- a\n,",
// "!,", "\"\",": found by policy_file_fuzz). yaml::load_all stops on every such input; this check
// comes first for a clearer message, and misses some (a quote inside a plain scalar opens nothing,
// "a \"b\n,", but is taken here as opening a quoted scalar). A plain scalar cannot start with ',',
// so outside flow collections, quotes, comments and block scalars a ',' is refused unless it sits
// inside a word that began as a plain scalar does, right after such a character ("a,b",
// "x=1,y=2"): anywhere else it is an error or best quoted. stray_comma_line returns the 1-based
// line of the first refused ',' or 0.
bool plain_scalar_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '/' || c == '(' || c == ')' ||
         c == '=' || c == '+' || (static_cast<unsigned char>(c) >= 0x80);
}

int stray_comma_line(std::string_view text) {
  int line = 1;
  int flow = 0;                 // depth of [ ] and { }
  char quote = 0;               // inside '…' or "…"
  int block_indent = -1;        // inside a block scalar: lines indented more than this belong to it
  bool at_line_start = true;
  int indent = 0;
  bool block_header = false;    // the current line ended in | or > (a block scalar follows)
  int line_indent = 0;
  char last = '\n';            // last significant character of the line
  char word_start = 0;          // the first character of the current word (0 between words)
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\n') {
      if (!quote && (last == '|' || last == '>' || block_header)) block_indent = line_indent;
      ++line;
      at_line_start = true;
      indent = 0;
      block_header = false;
      last = '\n';
      word_start = 0;
      continue;
    }
    if (at_line_start) {
      if (c == ' ' || c == '\t') {
        ++indent;
        continue;
      }
      at_line_start = false;
      line_indent = indent;
      if (block_indent >= 0) {
        if (indent > block_indent) {  // the block scalar's text: skip the line
          while (i + 1 < text.size() && text[i + 1] != '\n') ++i;
          continue;
        }
        block_indent = -1;
      }
    }
    if (quote) {
      if (quote == '"' && c == '\\') {
        ++i;
      } else if (c == quote) {
        quote = 0;
        word_start = 0;  // what follows a quoted scalar starts a new token
      }
      continue;
    }
    if (c == ' ' || c == '\t' || c == '\r') {
      word_start = 0;
      continue;
    }
    if (c == '#' && (i == 0 || text[i - 1] == ' ' || text[i - 1] == '\t')) {
      while (i + 1 < text.size() && text[i + 1] != '\n') ++i;
      continue;
    }
    // Allowed only inside a word that began as a plain scalar does (a letter, digit or one of a
    // few safe characters) and right after such a character.
    if (flow == 0 && c == ',' && (!plain_scalar_char(word_start) || !plain_scalar_char(text[i - 1]))) return line;
    // A quote opens a quoted scalar only where a token starts ("it's" is a plain scalar, "!'" a tag).
    const bool token_start = word_start == 0 || (flow > 0 && (text[i - 1] == '[' || text[i - 1] == '{' || text[i - 1] == ','));
    if (word_start == 0) word_start = c;
    if ((c == '"' || c == '\'') && token_start) quote = c;
    if (c == '[' || c == '{') ++flow;
    if ((c == ']' || c == '}') && flow > 0) --flow;
    // "|", ">", "|-", ">+2" and the like end a block scalar header.
    if ((last == '|' || last == '>') && (c == '-' || c == '+' || (c >= '1' && c <= '9'))) {
      block_header = true;
    } else {
      block_header = false;
      last = c;
    }
  }
  return 0;
}

// YAML is printable Unicode text (YAML 1.2 §5.1: tab, LF, CR, U+0020-U+007E, U+0085 and up,
// in valid UTF-8). yaml-cpp 0.7 loops forever on some inputs with NUL or other control bytes
// (found by policy_file_fuzz; yaml::load_all stops there too), so they are refused first, by name. Returns the first bad
// byte's offset and what is wrong with it, or nullopt.
std::optional<std::pair<size_t, std::string>> unprintable(std::string_view text) {
  for (size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f) {
        char code[16];
        std::snprintf(code, sizeof code, "U+%04X", c);
        return std::pair{i, std::string("control character ") + code + " is not allowed in YAML"};
      }
      ++i;
      continue;
    }
    // A multi-byte UTF-8 sequence: lead byte, then continuation bytes; no overlong forms, no
    // surrogates, nothing above U+10FFFF.
    const size_t length = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 0;
    uint32_t cp = length == 4 ? c & 0x07u : length == 3 ? c & 0x0fu : c & 0x1fu;
    bool valid = length != 0 && i + length <= text.size();
    for (size_t k = 1; valid && k < length; ++k) {
      const auto cc = static_cast<unsigned char>(text[i + k]);
      valid = (cc & 0xc0) == 0x80;
      cp = (cp << 6) | (cc & 0x3fu);
    }
    const uint32_t smallest[] = {0, 0, 0x80, 0x800, 0x10000};
    if (valid) valid = cp >= smallest[length] && cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff);
    if (valid && cp >= 0x80 && cp < 0xa0 && cp != 0x85) {
      char code[16];
      std::snprintf(code, sizeof code, "U+%04X", cp);
      return std::pair{i, std::string("control character ") + code + " is not allowed in YAML"};
    }
    if (!valid) return std::pair{i, std::string("invalid UTF-8")};
    i += length;
  }
  return std::nullopt;
}

}  // namespace

Result<std::vector<Policy>> parse_policy_file(std::string_view text) {
  if (const auto bad = unprintable(text)) {
    const auto line = static_cast<int>(std::count(text.begin(), text.begin() + static_cast<ptrdiff_t>(bad->first), '\n'));
    return fail(Errc::invalid_argument, "document ", std::to_string(document_of_line(text, line)), ", line ",
                std::to_string(line + 1), ": ", bad->second);
  }
  if (const int line = stray_comma_line(text)) {
    return fail(Errc::invalid_argument, "document ", std::to_string(document_of_line(text, line - 1)), ", line ",
                std::to_string(line), ": ',' outside a flow collection must be quoted");
  }
  std::vector<YAML::Node> documents;
  try {
    documents = yaml::load_all(std::string(text));
  } catch (const YAML::Exception& e) {
    return fail(Errc::invalid_argument, "document ", std::to_string(document_of_line(text, e.mark.line)), ", line ",
                std::to_string(e.mark.line + 1), ": ", e.msg);
  }
  std::vector<Policy> out;
  std::set<std::tuple<Origin, std::string, std::string>> seen;
  for (size_t i = 0; i < documents.size(); ++i) {
    const std::string where = "document " + std::to_string(i + 1) + ", ";
    if (!yaml::present(documents[i])) continue;
    Result<Policy> p = fail(Errc::internal, "unread");
    try {
      p = read_document(documents[i]);
    } catch (const YAML::Exception& e) {
      p = fail(Errc::invalid_argument, "line ", std::to_string(e.mark.line + 1), ": ", e.msg);
    }
    if (!p) return fail(Errc::invalid_argument, where, p.error().message);
    if (!seen.emplace(p->origin, p->namespace_name, p->name).second) {
      return fail(Errc::invalid_argument, where, p->display_name(), " is defined twice in this file");
    }
    out.push_back(std::move(*p));
  }
  return out;
}

bool valid_namespace_name(std::string_view name) { return dns_name(name, 63, false); }
bool valid_policy_name(std::string_view name) { return dns_name(name, 253, true); }

}  // namespace weft::policy
