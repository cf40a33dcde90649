// The direct backend (flannel host-gw; the direct half of cross-subnet): `block via <node
// underlay> dev <underlay>` for every block whose path is direct (block_paths.h). A node off this
// node's segment cannot be reached that way: a problem, no route. IPv6 blocks take the node's
// IPv6 link-local underlay address as next hop (an IPv6 route cannot have an IPv4 gateway).
// No kernel objects of its own besides routes.
#pragma once

#include "dataplane/backend.h"

namespace weft::dataplane {

class DirectBackend final : public Backend {
 public:
  std::string_view name() const override { return "direct"; }
  void contribute(const BackendInput& in, DesiredState& out) const override;
};

}  // namespace weft::dataplane
