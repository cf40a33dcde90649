#include "dataplane/direct.h"

namespace weft::dataplane {

void DirectBackend::contribute(const BackendInput& in, DesiredState& out) const {
  for (const auto& b : in.blocks) {
    if (b.path != Path::direct) continue;
    const auto& node = *b.node;
    const Prefix& block = b.block->block;
    if (!b.on_link) {
      out.problems.push_back(node.name + " (" + b.underlay->to_string() + ") is not on-link from " +
                             in.self.underlay.subnet().to_string() + ": pool " + b.pool->name +
                             " routes directly, so " + block.to_string() + " is unreachable");
      continue;
    }
    if (!block.address().is_v4()) {
      // On a shared segment the node's IPv6 link-local address on that segment is the next hop.
      if (!node.underlay_link_local) {
        out.problems.push_back(node.name + " has no IPv6 link-local underlay address: no direct route to " +
                               block.to_string());
        continue;
      }
      out.routes.push_back({kernel::Route::via_gateway(block, *node.underlay_link_local), in.self.underlay_device});
      continue;
    }
    out.routes.push_back({kernel::Route::via_gateway(block, *b.underlay), in.self.underlay_device});
  }
}

}  // namespace weft::dataplane
