#include "ipam/lost_blocks.h"

#include "model/keys.h"

namespace weft::ipam {

std::vector<std::string> workloads_in_lost_blocks(const model::ClusterModel& model, const std::string& node) {
  std::vector<std::string> out;
  // An endpoint names the block each address came from: one lookup by its store key, no scan
  // over every block of the cluster (this runs in every reconcile round).
  for (const model::Endpoint* ep : model.endpoints_of(node)) {
    for (const auto& a : ep->addresses) {
      auto it = model.blocks.find(model::keys::block(a.pool, a.block));
      if (it == model.blocks.end() || it->second.node == node) continue;
      out.push_back("workload " + ep->container_id + "/" + ep->ifname + " has " + a.address.to_string() +
                    " in block " + a.block.to_string() + ", which " + it->second.node +
                    " holds now (this node lost it while away): re-create the workload");
    }
  }
  return out;
}

}  // namespace weft::ipam
