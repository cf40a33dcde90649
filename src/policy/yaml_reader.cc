#include "policy/yaml_reader.h"

#include <yaml-cpp/eventhandler.h>

#include <charconv>
#include <cmath>
#include <cstdio>
#include <optional>
#include <sstream>

namespace weft::policy::yaml {
namespace {

// Remembers where the current document started; everything else is dropped.
class DocumentStarts : public YAML::EventHandler {
 public:
  YAML::Mark start;
  void OnDocumentStart(const YAML::Mark& mark) override { start = mark; }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t, const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
};

}  // namespace

std::vector<YAML::Node> load_all(const std::string& text) {
  std::istringstream in(text);
  YAML::Parser parser(in);
  DocumentStarts starts;
  std::optional<int> previous;
  while (parser.HandleNextDocument(starts)) {
    if (previous == starts.start.pos) {
      const auto pos = static_cast<size_t>(starts.start.pos);
      const unsigned c = pos < text.size() ? static_cast<unsigned char>(text[pos]) : 0;
      char what[32];
      if (c > 0x20 && c < 0x7f) {
        std::snprintf(what, sizeof what, "unexpected '%c'", static_cast<char>(c));
      } else {
        std::snprintf(what, sizeof what, "unexpected byte 0x%02x", c);
      }
      throw YAML::ParserException(starts.start, what);
    }
    previous = starts.start.pos;
  }
  return YAML::LoadAll(text);
}

std::unexpected<Error> fail_at(const YAML::Node& node, std::string_view path, std::string_view reason) {
  const auto mark = node.Mark();
  const std::string line = mark.line >= 0 ? "line " + std::to_string(mark.line + 1) + ": " : "";
  return fail(Errc::invalid_argument, line, path, path.empty() ? "" : ": ", reason);
}

bool present(const YAML::Node& node) { return node.IsDefined() && !node.IsNull(); }

Result<Fields> Fields::of(const YAML::Node& node, std::string path) {
  if (!node.IsMap()) return fail_at(node, path, "expected a map");
  return Fields(node, std::move(path));
}

YAML::Node Fields::operator[](std::string_view key) {
  read_.insert(std::string(key));
  for (const auto& kv : node_) {
    if (kv.first.IsScalar() && kv.first.Scalar() == key) return kv.second;
  }
  return YAML::Node(YAML::NodeType::Undefined);
}

Result<void> Fields::no_unknown() const {
  for (const auto& kv : node_) {
    if (!kv.first.IsScalar()) return fail_at(kv.first, path_, "a field name must be text");
    if (!read_.contains(kv.first.Scalar())) return fail_at(kv.first, path_, "unknown field '" + kv.first.Scalar() + "'");
  }
  return {};
}

Result<std::string> text(const YAML::Node& node, std::string_view path) {
  if (!node.IsScalar()) return fail_at(node, path, "expected a value");
  return node.Scalar();
}

bool is_quoted(const YAML::Node& node) { return node.Tag() == "!"; }

Result<int64_t> integer(const YAML::Node& node, std::string_view path, int64_t low, int64_t high) {
  if (!node.IsScalar() || is_quoted(node)) return fail_at(node, path, "expected a number");
  const std::string& s = node.Scalar();
  int64_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return fail_at(node, path, "'" + s + "' is not a whole number");
  if (v < low || v > high) {
    return fail_at(node, path, s + " is out of range (" + std::to_string(low) + "-" + std::to_string(high) + ")");
  }
  return v;
}

Result<double> number(const YAML::Node& node, std::string_view path) {
  if (!node.IsScalar() || is_quoted(node)) return fail_at(node, path, "expected a number");
  const std::string& s = node.Scalar();
  double v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || !std::isfinite(v)) {
    return fail_at(node, path, "'" + s + "' is not a number");
  }
  return v;
}

Result<std::vector<YAML::Node>> list(const YAML::Node& node, std::string_view path) {
  std::vector<YAML::Node> out;
  if (!present(node)) return out;
  if (!node.IsSequence()) return fail_at(node, path, "expected a list");
  for (const auto& item : node) out.push_back(item);
  return out;
}

Result<std::vector<std::string>> texts(const YAML::Node& node, std::string_view path) {
  auto items = list(node, path);
  if (!items) return std::unexpected(items.error());
  std::vector<std::string> out;
  for (size_t i = 0; i < items->size(); ++i) {
    auto t = text((*items)[i], std::string(path) + "[" + std::to_string(i) + "]");
    if (!t) return std::unexpected(t.error());
    out.push_back(std::move(*t));
  }
  return out;
}

Result<Labels> string_map(const YAML::Node& node, std::string_view path) {
  Labels out;
  if (!present(node)) return out;
  if (!node.IsMap()) return fail_at(node, path, "expected a map of labels");
  for (const auto& kv : node) {
    auto k = text(kv.first, path);
    if (!k) return std::unexpected(k.error());
    auto v = text(kv.second, std::string(path) + "." + *k);
    if (!v) return std::unexpected(v.error());
    out[*k] = *v;
  }
  return out;
}

Result<Prefix> cidr(const YAML::Node& node, std::string_view path) {
  auto t = text(node, path);
  if (!t) return std::unexpected(t.error());
  auto p = t->find('/') == std::string::npos ? fail(Errc::invalid_argument, "no prefix length") : Prefix::parse_lenient(*t);
  if (!p) return fail_at(node, path, "'" + *t + "' is not a CIDR");
  return *p;
}

}  // namespace weft::policy::yaml
