// The BGP routes backend (`routes: bgp` pools): the routes weftd's BGP speaker learned (prefix ->
// best next hops) become `prefix via <next hop> dev <underlay>`, one ECMP route when there are
// several. Next hops off the underlay's subnet (a router on its own link, a node on another
// segment) go as the kernel reaches them (LocalFacts::bgp_next_hops, next_hops.h: via the hop on
// its link, or via the gateway towards it); unreachable ones are problems. Our own blocks
// (reflected back, or kept from before a restart) stay blackholes, and prefixes of IPIP pools go
// through the tunnel (add_ipip_path) unless cross-subnet finds the next hop on this segment.
// No kernel objects of its own besides routes.
#pragma once

#include "dataplane/backend.h"

namespace weft::dataplane {

class BgpRoutesBackend final : public Backend {
 public:
  std::string_view name() const override { return "bgp-routes"; }
  void contribute(const BackendInput& in, DesiredState& out) const override;
};

}  // namespace weft::dataplane
