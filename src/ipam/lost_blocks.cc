#include "ipam/lost_blocks.h"

namespace weft::ipam {

std::vector<std::string> workloads_in_lost_blocks(const model::ClusterModel& model, const std::string& node) {
  std::vector<std::string> out;
  for (const model::Endpoint* ep : model.endpoints_of(node)) {
    for (const auto& a : ep->addresses) {
      for (const auto& [key, b] : model.blocks) {
        if (b.node == node || !b.block.contains(a.address)) continue;
        out.push_back("workload " + ep->container_id + "/" + ep->ifname + " has " + a.address.to_string() +
                      " in block " + b.block.to_string() + ", which " + b.node +
                      " holds now (this node lost it while away): re-create the workload");
      }
    }
  }
  return out;
}

}  // namespace weft::ipam
