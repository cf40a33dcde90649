// The policy compiler's and evaluator's view of the cluster (policy/cluster_view.h), built from
// what weftd and the CLI already hold: the cluster model's endpoints, namespaces, nodes and policy
// records. A policy record that does not decode is left out and named in `problems` (the rest of
// the policies still apply: one bad record must not open or close the whole cluster).
//
// host_policy() is what weftd enforces on a host: the compiled table, handed to the data plane's
// policy backend (dataplane/policy.h) by the agent — dataplane and policy are on one level of
// DESIGN.md's folders and do not include each other.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "model/cluster_model.h"
#include "kernel/nft_table.h"
#include "policy/cluster_view.h"
#include "policy/compile.h"

namespace weft::policy {

struct PolicyInputs {
  ClusterView view;
  std::vector<std::string> problems;  // "policy /weft/v1/policies/x/p: <why it was refused>"
};

PolicyInputs policy_inputs(const model::ClusterModel& model);

// One endpoint record as the policy code sees it (pod name, namespace "default" when none, ...).
EndpointInfo endpoint_info(const model::Endpoint& endpoint);

struct HostPolicy {
  std::optional<kernel::NftTable> table;  // none when the cluster has no policy record: no table,
                                          // nothing paid per packet
  std::vector<std::string> problems;      // as PolicyInputs::problems
};

// The table enforcing every policy on `options.host`'s endpoints.
HostPolicy host_policy(const model::ClusterModel& model, const CompileOptions& options);

}  // namespace weft::policy
