// Strict reading of policy documents from yaml-cpp nodes (internal to the policy parsers): every
// error names the line (1-based) and the field path, and a map's fields that nobody read are
// "unknown field" errors. yaml-cpp throws on some misuse; callers catch YAML::Exception at the
// file level (policy_file.cc), nothing here lets one escape the module.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/ip.h"
#include "base/result.h"
#include "policy/selector.h"

namespace weft::policy::yaml {

// YAML::LoadAll, guaranteed to return: yaml-cpp 0.7 (Debian 12) yields an empty document for
// ever, without consuming anything, when a token cannot start a node (',' in block context after
// some tags, quotes or indicators, a control byte: jbeder/yaml-cpp#1040, fixed upstream in 2024 by #1319),
// and its list grows until memory runs out. A first pass through yaml-cpp's parser with an event
// handler that keeps nothing stops where a document starts at the same token as the one before
// and throws YAML::ParserException there; only a text that passes is loaded.
std::vector<YAML::Node> load_all(const std::string& text);

std::unexpected<Error> fail_at(const YAML::Node& node, std::string_view path, std::string_view reason);
// Defined and not null: YAML `field:` and `field: null` read as absent, as in Kubernetes.
bool present(const YAML::Node& node);

class Fields {
 public:
  // An error unless `node` is a map.
  static Result<Fields> of(const YAML::Node& node, std::string path);
  // The field's node (marks it as read); not present() when absent.
  YAML::Node operator[](std::string_view key);
  std::string path(std::string_view key) const { return path_.empty() ? std::string(key) : path_ + "." + std::string(key); }
  const YAML::Node& node() const { return node_; }
  // The first field not read, as an error.
  Result<void> no_unknown() const;

 private:
  Fields(YAML::Node node, std::string path) : node_(std::move(node)), path_(std::move(path)) {}
  YAML::Node node_;
  std::string path_;
  std::set<std::string, std::less<>> read_;
};

// A scalar as text (numbers and booleans too, as written).
Result<std::string> text(const YAML::Node& node, std::string_view path);
// A plain (unquoted) integer scalar in [low, high].
Result<int64_t> integer(const YAML::Node& node, std::string_view path, int64_t low, int64_t high);
bool is_quoted(const YAML::Node& node);
// A number, integer or decimal (Calico's order).
Result<double> number(const YAML::Node& node, std::string_view path);
// A sequence's items; an absent node is an empty list.
Result<std::vector<YAML::Node>> list(const YAML::Node& node, std::string_view path);
// A sequence of scalars.
Result<std::vector<std::string>> texts(const YAML::Node& node, std::string_view path);
// A map of scalars (labels).
Result<Labels> string_map(const YAML::Node& node, std::string_view path);
// "198.19.0.0/16" (host bits allowed and cleared, as Kubernetes' ParseCIDR; a length is required).
Result<Prefix> cidr(const YAML::Node& node, std::string_view path);

}  // namespace weft::policy::yaml
