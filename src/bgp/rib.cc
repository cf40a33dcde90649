// Adj-RIB-In and Loc-RIB updates (see rib.h). Every mutation of a prefix's paths snapshots the
// multipath set first, mutates, re-runs the decision process and records the prefix in changes_
// only if the set differs, so that export and kernel programming see real changes, not no-ops.
#include "bgp/rib.h"

#include <algorithm>
#include <array>
#include <cassert>

#include "bgp/as_path.h"

namespace weft::bgp {
namespace {

constexpr size_t kMaxPaths = 16;

bool contains(const std::vector<uint32_t>& v, uint32_t x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

// The attributes as stored: what identifies the route, without NLRI or AS4 transition fields.
PathAttributes normalize(const PathAttributes& in) {
  PathAttributes a = in;
  if (a.as_path || a.as4_path) a.as_path = effective_as_path(in);
  a.aggregator = effective_aggregator(in);
  a.as4_path.reset();
  a.as4_aggregator.reset();
  a.mp_reach.reset();
  a.mp_unreach.reset();
  a.next_hop.reset();
  return a;
}

}  // namespace

Rib::Rib(RibConfig config) : config_(std::move(config)) {
  config_.max_paths = std::clamp<size_t>(config_.max_paths, 1, kMaxPaths);
  peers_.push_back(RibPeer{.peer_as = config_.local_as, .router_id = config_.router_id});
  facts_.push_back(PeerFacts{IpAddress{}, config_.router_id, false});
  counts_.push_back(0);
  refused_.emplace_back();
  free_ids_.push_back(false);
  PathAttributes local;
  local.origin = Origin::igp;
  local.as_path = AsPath{};
  local_attrs_ = pool_.intern(local);
  AttrPool::ref(local_attrs_);
}

Rib::~Rib() {
  table_.for_each([&](const Prefix&, PathSet& s) {
    for (Path& p : s.paths()) pool_.unref(p.attrs);
  });
  pool_.unref(local_attrs_);
}

PeerId Rib::add_peer(RibPeer peer) {
  PeerFacts facts{peer.address, peer.router_id, peer.ebgp};
  for (size_t i = 1; i < peers_.size(); ++i) {
    if (free_ids_[i]) {
      free_ids_[i] = false;
      peers_[i] = std::move(peer);
      facts_[i] = facts;
      counts_[i] = 0;
      refused_[i] = {};
      return static_cast<PeerId>(i);
    }
  }
  assert(peers_.size() < 0xffff);
  peers_.push_back(std::move(peer));
  facts_.push_back(facts);
  counts_.push_back(0);
  refused_.emplace_back();
  free_ids_.push_back(false);
  return static_cast<PeerId>(peers_.size() - 1);
}

void Rib::remove_peer(PeerId id) {
  drop_routes(id);
  free_ids_[id] = true;
}

void Rib::set_router_id(PeerId id, uint32_t router_id) {
  peers_[id].router_id = router_id;
  facts_[id].router_id = router_id;
}

bool Rib::import_allowed(PeerId id, const Prefix& p) const {
  auto inside = [&](const std::vector<Prefix>& list) {
    return std::any_of(list.begin(), list.end(), [&](const Prefix& a) { return a.contains(p); });
  };
  return inside(config_.allowed) || inside(peers_[id].import_allow);
}

std::optional<const char*> Rib::loop(PeerId id, const PathAttributes& a) const {
  if (peers_[id].ebgp && a.as_path) {
    for (const AsSegment& s : *a.as_path) {
      if (contains(s.asns, config_.local_as)) return "own AS in AS_PATH";  // RFC 4271 §9.1.2
    }
  }
  if (!peers_[id].ebgp) {  // RFC 4456 §8
    if (a.originator_id == config_.router_id) return "own ORIGINATOR_ID";
    if (contains(a.cluster_list, cluster_id())) return "own CLUSTER_ID in CLUSTER_LIST";
  }
  return std::nullopt;
}

struct Rib::Snapshot {
  std::array<Path, kMaxPaths> paths{};
  size_t n = 0;
  explicit Snapshot(const PathSet& set) {
    const auto best = set.best();
    std::copy(best.begin(), best.end(), paths.begin());
    n = best.size();
  }
};

void Rib::reselect(const Prefix& p, PathSet& set, const Snapshot& old) {
  const auto& before = old.paths;
  const size_t n_before = old.n;
  set.set_best_count(select_best(set.paths(), facts_, config_.max_paths));
  const auto now = set.best();
  const bool same = now.size() == n_before &&
                    std::equal(now.begin(), now.end(), before.begin(), [](const Path& a, const Path& b) {
                      return a.attrs == b.attrs && a.peer == b.peer;
                    });
  if (!same) changes_.push_back(p);
}

void Rib::add_path(const Prefix& p, const Path& path, ApplyStats& stats) {
  PathSet& set = table_.at(p);
  const bool fresh = set.find(path.peer) == nullptr;
  if (fresh && set.paths().size() >= 255) {  // a PathSet holds at most 255 paths
    refused_[path.peer].at(p) = true;
    return;
  }
  AttrPool::ref(path.attrs);
  refused_[path.peer].erase(p);
  const Snapshot before(set);
  if (StoredAttrs* old = set.put(path)) pool_.unref(old);
  if (fresh) ++counts_[path.peer];
  ++stats.announced;
  reselect(p, set, before);
}

void Rib::remove_path(const Prefix& p, PeerId id, ApplyStats& stats) {
  refused_[id].erase(p);  // a withdrawal ends a refused announcement too
  PathSet* set = table_.find(p);
  if (set == nullptr) return;
  // Removing a path changes the multipath set exactly when the path was in it.
  const auto best = set->best();
  const bool was_best = std::any_of(best.begin(), best.end(), [&](const Path& x) { return x.peer == id; });
  StoredAttrs* old = set->remove(id);
  if (old == nullptr) return;
  pool_.unref(old);
  --counts_[id];
  ++stats.withdrawn;
  if (set->empty()) {
    table_.erase(p);
    changes_.push_back(p);
    return;
  }
  set->set_best_count(select_best(set->paths(), facts_, config_.max_paths));
  if (was_best) changes_.push_back(p);
}

void Rib::refuse_path(const Prefix& p, PeerId id, ApplyStats& stats) {
  remove_path(p, id, stats);
  refused_[id].at(p) = true;
}

ApplyStats Rib::apply(PeerId id, const Update& u) {
  ApplyStats stats;
  for (const Prefix& p : u.withdrawn) remove_path(p, id, stats);
  const PathAttributes& in = u.attributes;
  if (in.mp_unreach) {
    for (const Prefix& p : in.mp_unreach->withdrawn) remove_path(p, id, stats);
  }
  const bool v4 = !u.nlri.empty() && in.next_hop;
  const bool mp = in.mp_reach && !in.mp_reach->nlri.empty();
  if (!v4 && !mp) return stats;

  const auto looped = loop(id, in);
  PathAttributes base = normalize(in);
  auto load = [&](const std::vector<Prefix>& nlri, const IpAddress& next_hop) {
    StoredAttrs* attrs = nullptr;
    if (!looped) {
      PathAttributes a = base;
      a.next_hop = next_hop;
      attrs = pool_.intern(a);
      if (attrs) AttrPool::ref(attrs);  // held while loading, so that it is not freed in between
    }
    const bool usable = !config_.next_hop_usable || config_.next_hop_usable(next_hop, peers_[id].address);
    for (const Prefix& p : nlri) {
      if (looped || attrs == nullptr) {
        ++stats.looped;
        refuse_path(p, id, stats);
      } else if (!usable) {
        ++stats.unusable;
        refuse_path(p, id, stats);
      } else if (!import_allowed(id, p)) {
        ++stats.filtered;
        refuse_path(p, id, stats);
      } else {
        add_path(p, Path{attrs, id, 0}, stats);
      }
    }
    if (attrs) pool_.unref(attrs);
  };
  if (v4) load(u.nlri, *in.next_hop);
  if (mp) load(in.mp_reach->nlri, mp_next_hop(*in.mp_reach, id));
  return stats;
}

// RFC 2545 §3: a 32-octet IPv6 next hop is a global address and a link-local one. A speaker
// without a global address on the link sends "::" as the global (BIRD does): the link-local one
// is then the next hop, as it is when only it is usable from here.
IpAddress Rib::mp_next_hop(const MpReach& mp, PeerId id) const {
  if (!mp.link_local_next_hop) return mp.next_hop;
  const bool unspecified = mp.next_hop == IpAddress::v6({});
  const IpAddress& from = peers_[id].address;
  const bool global_unusable = config_.next_hop_usable && !config_.next_hop_usable(mp.next_hop, from) &&
                               config_.next_hop_usable(*mp.link_local_next_hop, from);
  return unspecified || global_unusable ? *mp.link_local_next_hop : mp.next_hop;
}

bool Rib::announce(const Prefix& prefix) {
  PathSet* set = table_.find(prefix);
  if (set && set->find(kLocalPeer)) return false;
  ApplyStats stats;
  add_path(prefix, Path{local_attrs_, kLocalPeer, 0}, stats);
  return true;
}

bool Rib::withdraw(const Prefix& prefix) {
  ApplyStats stats;
  remove_path(prefix, kLocalPeer, stats);
  return stats.withdrawn > 0;
}

size_t Rib::mark_stale(PeerId id) {
  // The session is over: what it refused is no longer announced (the stale paths still count,
  // until swept or announced again).
  refused_[id] = {};
  size_t n = 0;
  table_.for_each([&](const Prefix&, PathSet& s) {
    if (Path* p = s.find(id)) {
      p->flags |= Path::kStale;
      ++n;
    }
  });
  return n;
}

size_t Rib::stale_count(PeerId id) const {
  size_t n = 0;
  const_cast<PrefixMap<PathSet>&>(table_).for_each([&](const Prefix&, PathSet& s) {
    if (const Path* p = s.find(id); p && p->stale()) ++n;
  });
  return n;
}

template <class Pred>
size_t Rib::remove_where(PeerId id, Pred&& pred) {
  size_t n = 0;
  table_.erase_if([&](const Prefix& prefix, PathSet& s) {
    const Path* p = s.find(id);
    if (p == nullptr || !pred(prefix, *p)) return false;
    const auto best = s.best();
    const bool was_best =
        std::any_of(best.begin(), best.end(), [&](const Path& x) { return x.peer == id; });
    pool_.unref(s.remove(id));
    --counts_[id];
    ++n;
    if (s.empty()) {
      changes_.push_back(prefix);
      return true;
    }
    s.set_best_count(select_best(s.paths(), facts_, config_.max_paths));
    if (was_best) changes_.push_back(prefix);
    return false;
  });
  return n;
}

size_t Rib::sweep_stale(PeerId id, std::optional<Family> family) {
  return remove_where(id, [&](const Prefix& prefix, const Path& p) {
    return p.stale() && (!family || prefix.family() == *family);
  });
}

size_t Rib::set_allowed(std::vector<Prefix> allowed) {
  config_.allowed = std::move(allowed);
  size_t n = 0;
  for (size_t id = 1; id < peers_.size(); ++id) {
    if (!free_ids_[id]) n += set_import_allow(static_cast<PeerId>(id), peers_[id].import_allow);
  }
  return n;
}

size_t Rib::set_import_allow(PeerId id, std::vector<Prefix> allow) {
  peers_[id].import_allow = std::move(allow);
  if (path_count(id) == 0) return 0;
  // The peer still announces what the new filter drops: refused from now on. (Refused prefixes
  // the new filter allows stay refused until the peer sends them again, after a route refresh.)
  return remove_where(id, [&](const Prefix& prefix, const Path&) {
    if (import_allowed(id, prefix)) return false;
    refused_[id].at(prefix) = true;
    return true;
  });
}

size_t Rib::drop_routes(PeerId id) {
  refused_[id] = {};  // the session that sent them is over
  if (path_count(id) == 0) return 0;
  return remove_where(id, [](const Prefix&, const Path&) { return true; });
}

std::vector<Prefix> Rib::take_changes() {
  std::vector<Prefix> out;
  out.swap(changes_);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::vector<IpAddress> Rib::next_hops(const PathSet& set) {
  std::vector<IpAddress> out;
  for (const Path& p : set.best()) {
    if (p.peer == kLocalPeer) return {};
    const auto& nh = p.attrs->next_hop;
    if (nh && std::find(out.begin(), out.end(), *nh) == out.end()) out.push_back(*nh);
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace weft::bgp
