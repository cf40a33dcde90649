// Workloads left in a block this node lost (issue 13): a node cut off longer than its lease TTL
// loses its block affinities; when another node claims one of those blocks meanwhile, the
// returning node gets a new block, but its running workloads keep addresses of the old one, which
// the new holder may hand out again. weftd lists them in its node record's `problems`, level-
// triggered from the model, so the operator re-creates them; weft never moves a workload's
// address behind its back.
#pragma once

#include <string>
#include <vector>

#include "model/cluster_model.h"

namespace weft::ipam {

// One line per endpoint of `node` with an address inside a block another node holds.
std::vector<std::string> workloads_in_lost_blocks(const model::ClusterModel& model, const std::string& node);

}  // namespace weft::ipam
