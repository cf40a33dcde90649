// `weft policy apply -f FILE`: a YAML or JSON text of one or many documents (`---`), each a
// networking.k8s.io/v1 NetworkPolicy or a weft.io/v1 Policy / GlobalPolicy, into the policy model.
//
// Contract: all or nothing. Any bad document — YAML error, unknown kind or field, bad selector,
// CIDR or port, two documents naming the same policy — makes the whole file Errc::invalid_argument
// with "document N, line L: field.path: reason" (N counts documents from 1, L lines from 1), and
// no policy at all. Empty documents are skipped. metadata.namespace defaults to "default" for
// namespaced kinds; a GlobalPolicy has none. Other metadata (labels, annotations, uid, …) is
// accepted and ignored, so `kubectl get -o yaml` output applies as is.
#pragma once

#include <string_view>
#include <vector>

#include "policy/policy.h"

namespace weft::policy {

Result<std::vector<Policy>> parse_policy_file(std::string_view text);

// Names as Kubernetes validates them: a namespace is a DNS label (1-63 of a-z, 0-9, '-', starting
// and ending alphanumeric), a policy name a DNS subdomain (1-253, also '.').
bool valid_namespace_name(std::string_view name);
bool valid_policy_name(std::string_view name);

}  // namespace weft::policy
