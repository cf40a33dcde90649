// Labels: the key=value pairs policies select workloads and namespaces by, with Kubernetes'
// syntax rules, and the edits the CLI applies to them (`k=v` sets, `k-` removes).
//
// A key is [PREFIX/]NAME: NAME is 1-63 characters of [A-Za-z0-9-_.], beginning and ending with an
// alphanumeric; PREFIX is a DNS subdomain (at most 253 characters of lower-case alphanumerics,
// '-' and '.'). A value is empty or follows NAME's rule. Pure functions; errors are
// Errc::invalid_argument naming the offending text.
#pragma once

#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace weft::model {

using Labels = std::map<std::string, std::string>;

bool valid_label_key(std::string_view key);
// Lower-case alphanumerics, '-' and '.', dot-separated parts not starting or ending with '-', at
// most 253 characters (a label key's prefix; a pod's name).
bool valid_dns_subdomain(std::string_view name);
// One part of a DNS subdomain: 1-63 of lower-case alphanumerics and '-', not at either end.
bool valid_dns_label(std::string_view name);
bool valid_label_value(std::string_view value);
// Checks every key and value of `labels`.
Result<void> validate_labels(const Labels& labels);

struct LabelEdit {
  Labels set;                  // k=v
  std::set<std::string> remove;  // k-
  friend bool operator==(const LabelEdit&, const LabelEdit&) = default;
};

// Parses "k=v" and "k-" arguments; a key both set and removed is an error.
Result<LabelEdit> parse_label_edit(const std::vector<std::string>& args);
// Parses "k=v" arguments only (no removals).
Result<Labels> parse_label_assignments(const std::vector<std::string>& args);
Labels apply(const LabelEdit& edit, Labels labels);

// "a=1,b=2" (sorted by key), for tables.
std::string format_labels(const Labels& labels);

}  // namespace weft::model
