// The policy compiler's and evaluator's view of the cluster (policy/cluster_view.h), built from
// what weftd and the CLI already hold: the cluster model's endpoints, namespaces, nodes and policy
// records. A policy record that does not decode is left out and named in `problems` (the rest of
// the policies still apply: one bad record must not open or close the whole cluster).
#pragma once

#include <string>
#include <vector>

#include "model/cluster_model.h"
#include "policy/cluster_view.h"

namespace weft::dataplane {

struct PolicyInputs {
  policy::ClusterView view;
  std::vector<std::string> problems;  // "policy /weft/v1/policies/x/p: <why it was refused>"
};

PolicyInputs policy_inputs(const model::ClusterModel& model);

// One endpoint record as the policy code sees it (pod name, namespace "default" when none, ...).
policy::EndpointInfo endpoint_info(const model::Endpoint& endpoint);

}  // namespace weft::dataplane
