// The BGP decision process, phase 2 (RFC 4271 §9.1.2): of the feasible paths to one prefix,
// which are best. Weft does not compute degrees of preference by policy: LOCAL_PREF as received
// on iBGP, 100 otherwise.
//
// Order of the eliminations (RFC 4271 §9.1.2.2, with RFC 4456 §9 for reflected routes):
//   0. a locally originated path wins outright (as a "weight" in other implementations: a node
//      never prefers a neighbour's route to its own block);
//   a. highest LOCAL_PREF;  b. shortest AS_PATH (path_length);  c. lowest ORIGIN;
//   d. lowest MED, compared only between paths from the same neighbour AS (which is why this is
//      an elimination and not a sort: MED is not a total order);
//   e. eBGP over iBGP;  f. IGP cost to the next hop: all equal here (no IGP);
//   -- the paths left are the multipath (ECMP) set --
//   g. lowest ORIGINATOR_ID or BGP Identifier, then shortest CLUSTER_LIST, then lowest peer
//      address: picks the best path among the multipath set.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "base/ip.h"
#include "bgp/path_set.h"

namespace weft::bgp {

struct PeerFacts {  // what the tie-breakers need to know about a path's source
  IpAddress address;
  uint32_t router_id = 0;
  bool ebgp = false;
};

// Reorders `paths` so that the multipath set comes first, best path at [0], and returns the size
// of that set (0 only when `paths` is empty), at most `max_paths`. `peers` is indexed by PeerId.
uint8_t select_best(std::span<Path> paths, const std::vector<PeerFacts>& peers, size_t max_paths);

// True if a is preferred to b by the tie-breakers of step g alone.
bool tie_break_less(const Path& a, const Path& b, const std::vector<PeerFacts>& peers);

}  // namespace weft::bgp
