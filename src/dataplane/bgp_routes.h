// The BGP routes backend (`routes: bgp` pools): the routes weftd's BGP speaker learned (prefix ->
// best next hops) become `prefix via <next hop> dev <underlay>`, one ECMP route when there are
// several. Next hops must be on the underlay's subnet (IPv4) or link-local (IPv6); others are
// problems. Our own blocks (reflected back, or kept from before a restart) stay blackholes, and a
// prefix of an IPIP-always pool is not routed bare (this build has no IPIP yet): a problem.
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
