// Export rules and attribute rewriting (see export_policy.h).
#include "bgp/export_policy.h"

#include <algorithm>

namespace weft::bgp {

bool exportable(const Rib& rib, const Prefix& prefix, const Path& best, const ExportPeer& to) {
  if (best.peer == to.id) return false;
  if (best.peer == kLocalPeer) return true;
  const RibPeer& from = rib.peer(best.peer);
  if (!from.ebgp && !to.ebgp) {
    if (!to.reflector) return false;  // split horizon, RFC 4271 §9.2
    return from.rr_client || to.rr_client;  // RFC 4456 §6
  }
  return std::any_of(to.export_allow.begin(), to.export_allow.end(),
                     [&](const Prefix& a) { return a.contains(prefix); });
}

std::optional<PathAttributes> export_attributes(const Rib& rib, const Prefix& prefix,
                                                const Path& best, const ExportPeer& to) {
  if (!exportable(rib, prefix, best, to)) return std::nullopt;
  return rewrite(rib, prefix.family(), best, to);
}

std::optional<PathAttributes> rewrite(const Rib& rib, Family family, const Path& best,
                                      const ExportPeer& to) {
  const auto& self = family == Family::v4 ? to.next_hop_v4 : to.next_hop_v6;
  const bool local = best.peer == kLocalPeer;
  PathAttributes a = best.attrs->attributes();
  if (to.ebgp) {
    if (!self) return std::nullopt;
    AsPath path = a.as_path.value_or(AsPath{});
    const uint32_t local_as = rib.config().local_as;
    // A route learned from another node goes out one AS longer than that node's own
    // advertisement: a router peered with both then prefers the owner, instead of choosing by
    // router id and sending the block's traffic to a node that would hand it back.
    const bool relayed_within_as = !local && !rib.peer(best.peer).ebgp;
    for (int i = relayed_within_as ? 2 : 1; i > 0; --i) {
      if (!path.empty() && path.front().type == SegmentType::as_sequence && path.front().asns.size() < 255) {
        path.front().asns.insert(path.front().asns.begin(), local_as);
      } else {
        path.insert(path.begin(), AsSegment{SegmentType::as_sequence, {local_as}});
      }
    }
    a.as_path = std::move(path);
    a.next_hop = *self;
    a.local_pref.reset();
    if (!local) a.med.reset();
    a.originator_id.reset();
    a.cluster_list.clear();
    return a;
  }
  a.local_pref = a.local_pref.value_or(100);
  if (local) {
    if (!self) return std::nullopt;
    a.next_hop = *self;
  } else if (!a.next_hop || a.next_hop->family() != family) {
    return std::nullopt;
  }
  if (!local && !rib.peer(best.peer).ebgp) {  // reflected, RFC 4456 §8
    if (!a.originator_id) a.originator_id = rib.peer(best.peer).router_id;
    a.cluster_list.insert(a.cluster_list.begin(), rib.cluster_id());
  }
  return a;
}

}  // namespace weft::bgp
