// The routing information bases of RFC 4271 §3.2: Adj-RIB-In per peer and the Loc-RIB, with
// import policy (prefix filters), loop detection (RFC 4271 §9.1.2 AS_PATH, RFC 4456 §8
// ORIGINATOR_ID and CLUSTER_LIST), the decision process (decision.h, with ECMP multipath sets),
// and the receiving side of graceful restart (RFC 4724 §4.2: stale marking and sweeping).
//
// Storage: one PathSet per prefix holds every peer's path for it (the Adj-RIBs-In) ordered so
// that the Loc-RIB's multipath set is its head; attributes are interned (attr_pool.h). Routes an
// import filter rejects are not kept (as BIRD without "import keep filtered"): a route refresh
// fetches them again if the policy changes. The Adj-RIBs-Out are per session (adj_rib_out.h).
//
// Contract:
// - Pure and single-threaded: no I/O, no clock. The speaker feeds UPDATEs, session events and
//   local routes in, and drains take_changes(): the prefixes whose multipath set (attributes or
//   sources) changed since the last call, each once, to export and to hand to the kernel.
// - Import policy: a peer's route is accepted only if its prefix lies inside one of
//   RibConfig::allowed (the pools) or the peer's own import_allow; otherwise it is treated as
//   withdrawn (a previous path from that peer for the prefix is removed).
// - Next hops: a route whose next hop RibConfig::next_hop_usable refuses is treated as withdrawn,
//   like a filtered one (it is not kept: a later session or route refresh brings it again).
// - Refused routes (import filter, unusable next hop, loop) are not kept, but their prefixes are,
//   per peer, so that `weft bgp status` can tell what a peer sent (received_count) from what
//   this speaker took (path_count): a prefix is refused from its last announcement by that peer
//   until that peer withdraws it, announces it acceptably, or its session ends.
// - Nothing fails: malformed input was already turned into withdrawals by the codec (RFC 7606).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "bgp/attr_pool.h"
#include "bgp/decision.h"
#include "bgp/path_set.h"
#include "bgp/prefix_map.h"

namespace weft::bgp {

// Whether a received NEXT_HOP can be used (RFC 4271 §9.1.2.1: routes whose next hop is not
// resolvable are left out of the decision), given the peer it came from; e.g. an IPv6 link-local
// next hop is only usable from a peer on a shared link. Called once per UPDATE and next hop.
using NextHopCheck = std::function<bool(const IpAddress& next_hop, const IpAddress& from)>;

struct RibConfig {
  uint32_t local_as = 0;
  uint32_t router_id = 0;
  uint32_t cluster_id = 0;      // RFC 4456 §7; 0: the router id
  std::vector<Prefix> allowed;  // import filter for every peer (the pools)
  size_t max_paths = 8;         // ECMP set size; 1 disables multipath (at most 16)
  NextHopCheck next_hop_usable; // empty: every next hop is
};

struct RibPeer {
  IpAddress address;
  uint32_t peer_as = 0;
  bool ebgp = false;
  bool rr_client = false;            // RFC 4456: this iBGP peer is a route reflection client
  std::vector<Prefix> import_allow;  // accepted on top of RibConfig::allowed
  uint32_t router_id = 0;            // the peer's BGP Identifier, once a session came up
};

struct ApplyStats {
  size_t announced = 0;  // paths added or replaced
  size_t withdrawn = 0;  // paths removed
  size_t filtered = 0;   // prefixes the import filter refused
  size_t looped = 0;     // prefixes refused by loop detection
  size_t unusable = 0;   // prefixes refused for a next hop that cannot be used (NextHopCheck)
};

class Rib {
 public:
  explicit Rib(RibConfig config);
  Rib(const Rib&) = delete;
  Rib& operator=(const Rib&) = delete;
  ~Rib();

  const RibConfig& config() const { return config_; }
  uint32_t cluster_id() const { return config_.cluster_id ? config_.cluster_id : config_.router_id; }

  PeerId add_peer(RibPeer peer);
  void remove_peer(PeerId id);  // drops its routes first
  const RibPeer& peer(PeerId id) const { return peers_[id]; }
  void set_router_id(PeerId id, uint32_t router_id);
  // New import filters: the pools' (every peer) or one peer's extra prefixes. Paths they no
  // longer allow are removed now (returns how many); routes they newly allow were never kept, so
  // the caller asks the peers for them again (route refresh).
  size_t set_allowed(std::vector<Prefix> allowed);
  size_t set_import_allow(PeerId id, std::vector<Prefix> allow);

  // One UPDATE from an established session (withdrawals first, then NLRI, RFC 4271 §9.1.4).
  ApplyStats apply(PeerId id, const Update& update);

  // Locally originated routes (ORIGIN IGP, empty AS_PATH, next hop self on export).
  bool announce(const Prefix& prefix);
  bool withdraw(const Prefix& prefix);

  // RFC 4724 §4.2: keep the peer's routes, flagged stale, across its restart.
  size_t mark_stale(PeerId id);
  // Removes the peer's stale routes (of `family` only, if given): End-of-RIB or restart timeout.
  size_t sweep_stale(PeerId id, std::optional<Family> family = std::nullopt);
  // Removes all of the peer's routes (session down without graceful restart).
  size_t drop_routes(PeerId id);

  const PathSet* find(const Prefix& prefix) const { return table_.find(prefix); }
  size_t size() const { return table_.size(); }
  size_t size(Family f) const { return table_.size(f); }
  // Accepted: the peer's paths in the RIB (candidates for the decision, stale ones included).
  size_t path_count(PeerId id) const { return id < counts_.size() ? counts_[id] : 0; }
  // Prefixes whose last announcement by the peer was refused (filtered, unusable, looped).
  size_t refused_count(PeerId id) const { return id < refused_.size() ? refused_[id].size() : 0; }
  // Received: every prefix the peer currently announces, accepted or refused.
  size_t received_count(PeerId id) const { return path_count(id) + refused_count(id); }
  size_t stale_count(PeerId id) const;
  const std::vector<PeerFacts>& facts() const { return facts_; }
  AttrPool& pool() { return pool_; }

  template <class F>  // f(const Prefix&, const PathSet&)
  void for_each(F&& f) {
    table_.for_each([&](const Prefix& p, PathSet& s) { f(p, static_cast<const PathSet&>(s)); });
  }

  std::vector<Prefix> take_changes();

  // The next hops of a multipath set, without duplicates; empty if the best path is local.
  static std::vector<IpAddress> next_hops(const PathSet& set);

 private:
  IpAddress mp_next_hop(const MpReach& mp, PeerId id) const;
  bool import_allowed(PeerId id, const Prefix& p) const;
  std::optional<const char*> loop(PeerId id, const PathAttributes& attrs) const;
  void add_path(const Prefix& p, const Path& path, ApplyStats& stats);
  void remove_path(const Prefix& p, PeerId id, ApplyStats& stats);
  // The peer announced `p` but it may not be used: any path it had for `p` goes, and `p` counts
  // as received, not accepted.
  void refuse_path(const Prefix& p, PeerId id, ApplyStats& stats);
  struct Snapshot;
  // Re-runs the decision process for `set`; records `p` as changed if its multipath set differs
  // from `old`.
  void reselect(const Prefix& p, PathSet& set, const Snapshot& old);
  template <class Pred>  // removes the peer's paths matching pred(prefix, path)
  size_t remove_where(PeerId id, Pred&& pred);

  RibConfig config_;
  AttrPool pool_;
  PrefixMap<PathSet> table_;
  std::vector<RibPeer> peers_;  // index: PeerId; [0] is the local speaker
  std::vector<PeerFacts> facts_;
  std::vector<size_t> counts_;
  std::vector<PrefixMap<bool>> refused_;  // index: PeerId; the prefixes each peer sent and we refused
  std::vector<bool> free_ids_;
  StoredAttrs* local_attrs_ = nullptr;
  std::vector<Prefix> changes_;
};

}  // namespace weft::bgp
