// The two kinds of policy document (internal to policy_file.cc): each reads a document's `spec`
// into a Policy whose origin, namespace and name the caller has set.
#pragma once

#include "policy/policy.h"
#include "policy/yaml_reader.h"

namespace weft::policy {

// networking.k8s.io/v1 NetworkPolicy, as Kubernetes defines it.
Result<void> read_network_policy_spec(yaml::Fields& spec, Policy& out);
// weft.io/v1 Policy and GlobalPolicy.
Result<void> read_weft_policy_spec(yaml::Fields& spec, Policy& out);

// Shared by both: `types`/`policyTypes` (Ingress, Egress); when absent Ingress always and Egress
// when there are egress rules.
Result<void> read_types(const YAML::Node& node, std::string_view path, bool has_egress_rules, Policy& out);
// A named port: an IANA service name (1-15 of a-z, 0-9 and '-', at least one letter, no leading,
// trailing or double '-').
bool valid_port_name(std::string_view name);

}  // namespace weft::policy
