#include "dataplane/block_paths.h"

#include "dataplane/desired_state.h"

namespace weft::dataplane {

std::optional<IpAddress> tunnel_address(const model::ClusterModel& model, const std::string& node, Family family,
                                        model::Encapsulation encapsulation) {
  for (const auto& [key, block] : model.blocks) {  // key order: stable on every node
    if (block.node != node || block.block.family() != family) continue;
    const auto* pool = model.pool_of(block);
    if (pool != nullptr && pool->encapsulation == encapsulation) return block.block.first();
  }
  return std::nullopt;
}

std::vector<BlockPath> classify_blocks(const model::ClusterModel& model, const LocalFacts& self,
                                       std::vector<std::string>& problems) {
  std::vector<BlockPath> out;
  const Prefix self_subnet = self.underlay.subnet();
  for (const auto& [key, block] : model.blocks) {
    const auto* pool = model.pool_of(block);
    if (pool == nullptr) continue;  // a block of a deleted pool: nothing to route
    BlockPath path{.block = &block, .pool = pool};
    if (block.node == self.node) {
      out.push_back(path);
      continue;
    }
    if (model::routed_by_bgp(*pool)) {
      path.path = Path::bgp;
      out.push_back(path);
      continue;
    }
    auto node_it = model.nodes.find(block.node);
    if (node_it == model.nodes.end()) {
      problems.push_back("block " + block.block.to_string() + " is held by " + block.node +
                         ", which has no node record: no route");
      continue;
    }
    path.node = &node_it->second;
    path.underlay = model::underlay_v4(*path.node);
    if (!path.underlay) {
      problems.push_back(path.node->name + " has no IPv4 underlay address: no route to " + block.block.to_string());
      continue;
    }
    path.on_link = self_subnet.contains(*path.underlay);
    const bool direct = pool->encapsulation == model::Encapsulation::none ||
                        (pool->encapsulate == model::Encapsulate::cross_subnet && path.on_link);
    const bool v4 = block.block.family() == Family::v4;
    path.path = direct                                                   ? Path::direct
                : pool->encapsulation == model::Encapsulation::vxlan ? Path::vxlan
                : v4                                                 ? Path::ipip
                                                                     : Path::unsupported;
    if (path.path == Path::unsupported) {
      problems.push_back("pool " + pool->name + ": IPIP carries IPv4 only: no route to " + block.block.to_string());
      continue;
    }
    out.push_back(path);
  }
  return out;
}

}  // namespace weft::dataplane
