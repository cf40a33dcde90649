// Kubernetes LabelSelector (meta/v1): matchLabels and matchExpressions, ANDed, converted into the
// one Selector form (selector.h) so that `app=web` from a NetworkPolicy and `app == "web"` from a
// weft Policy name the same set.
//
// Contract: to_selector validates as the Kubernetes API server does for the parts that change the
// meaning — In/NotIn need at least one value, Exists/DoesNotExist take none, operators are exactly
// In, NotIn, Exists, DoesNotExist, keys are label keys — and returns Errc::invalid_argument naming
// the expression otherwise. An empty LabelSelector selects everything.
#pragma once

#include <string>
#include <vector>

#include "policy/selector.h"

namespace weft::policy {

struct LabelRequirement {
  std::string key{};
  std::string op{};  // "In", "NotIn", "Exists", "DoesNotExist"
  std::vector<std::string> values{};
};

struct LabelSelector {
  Labels match_labels{};
  std::vector<LabelRequirement> match_expressions{};
};

Result<Selector> to_selector(const LabelSelector& selector);

}  // namespace weft::policy
