// Export policy: which Loc-RIB routes a session advertises, and with which attributes.
//
// Which routes (weft's default policy; a node is a leaf, not a transit router):
// - locally originated prefixes (the node's blocks) go to every peer;
// - on a route reflector (RFC 4456 §6), routes learned over iBGP are reflected: from a client to
//   every other iBGP peer, from a non-client to clients only;
// - any other learned route only if its prefix lies inside the session's export_allow, and then
//   never from one iBGP peer to another unless reflection allows it (RFC 4271 §9.2, split
//   horizon);
// - never back to the peer it was learned from.
//
// Which attributes (RFC 4271 §5.1, RFC 4456 §8):
// - to eBGP: our AS prepended (twice for a route learned over iBGP, i.e. another node's block:
//   a router peered with that node too then prefers the node's own, shorter advertisement),
//   NEXT_HOP self, no LOCAL_PREF, no MED learned from another AS (§5.1.4), no
//   ORIGINATOR_ID/CLUSTER_LIST;
// - to iBGP: LOCAL_PREF (100 if absent); NEXT_HOP self for local routes, unchanged otherwise;
//   reflected routes get ORIGINATOR_ID (the source's BGP Identifier) if absent and our
//   CLUSTER_ID prepended to CLUSTER_LIST.
// The result's next_hop is the family's next hop; an IPv6 route is not exported over a session
// that has no IPv6 next hop to give.
#pragma once

#include <optional>
#include <vector>

#include "bgp/rib.h"

namespace weft::bgp {

struct ExportPeer {
  PeerId id = 0;
  bool ebgp = false;
  bool rr_client = false;
  bool reflector = false;  // this speaker reflects (it has at least one client)
  std::optional<IpAddress> next_hop_v4;  // "self": the session's local address
  std::optional<IpAddress> next_hop_v6;
  std::vector<Prefix> export_allow;
};

// exportable() && rewrite(): the attributes to advertise, or nullopt for none.
std::optional<PathAttributes> export_attributes(const Rib& rib, const Prefix& prefix,
                                                const Path& best, const ExportPeer& to);

// Whether the route may go to `to` at all (the rules above).
bool exportable(const Rib& rib, const Prefix& prefix, const Path& best, const ExportPeer& to);
// The attributes as sent to `to`: a function of the path and the family only, so that callers
// can reuse the result for every prefix sharing the path's attribute set.
std::optional<PathAttributes> rewrite(const Rib& rib, Family family, const Path& best,
                                      const ExportPeer& to);

}  // namespace weft::bgp
