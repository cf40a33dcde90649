// RFC 4271 §9.1.2.2 as eliminations over a small vector (see decision.h). Paths per prefix are a
// handful, so the quadratic MED step costs nothing measurable.
#include "bgp/decision.h"

#include <algorithm>

namespace weft::bgp {
namespace {

uint32_t originator(const Path& p, const std::vector<PeerFacts>& peers) {
  const auto& id = p.attrs->originator_id;
  return id ? *id : peers[p.peer].router_id;
}

}  // namespace

bool tie_break_less(const Path& a, const Path& b, const std::vector<PeerFacts>& peers) {
  const uint32_t ia = originator(a, peers), ib = originator(b, peers);
  if (ia != ib) return ia < ib;
  const size_t ca = a.attrs->cluster_list_length, cb = b.attrs->cluster_list_length;
  if (ca != cb) return ca < cb;
  return peers[a.peer].address < peers[b.peer].address;
}

uint8_t select_best(std::span<Path> paths, const std::vector<PeerFacts>& peers,
                    size_t max_paths) {
  if (paths.empty()) return 0;
  // Candidates are moved to the front; `n` counts those still in the running. Their order is
  // irrelevant until the tie-breakers sort them at the end.
  size_t n = paths.size();
  auto keep = [&](auto&& pred) {
    auto mid = std::partition(paths.begin(), paths.begin() + static_cast<long>(n), pred);
    n = static_cast<size_t>(mid - paths.begin());
  };
  auto keep_min = [&](auto&& key) {
    auto lo = key(paths[0]);
    for (size_t i = 1; i < n; ++i) lo = std::min(lo, key(paths[i]));
    keep([&](const Path& p) { return key(p) == lo; });
  };

  if (std::any_of(paths.begin(), paths.end(), [](const Path& p) { return p.peer == kLocalPeer; })) {
    keep([](const Path& p) { return p.peer == kLocalPeer; });
    return 1;
  }
  keep_min([](const Path& p) { return ~p.attrs->local_pref; });
  keep_min([](const Path& p) { return p.attrs->path_length; });
  keep_min([](const Path& p) { return p.attrs->origin; });
  {  // d: MED within each neighbour AS
    std::vector<bool> beaten(n, false);
    for (size_t i = 0; i < n; ++i) {
      for (size_t j = 0; j < n; ++j) {
        if (paths[i].attrs->neighbor_as == paths[j].attrs->neighbor_as &&
            paths[j].attrs->med < paths[i].attrs->med) {
          beaten[i] = true;
          break;
        }
      }
    }
    // Partitioning by index: through a copy.
    std::vector<Path> kept, lost;
    for (size_t i = 0; i < n; ++i) (beaten[i] ? lost : kept).push_back(paths[i]);
    std::copy(kept.begin(), kept.end(), paths.begin());
    std::copy(lost.begin(), lost.end(), paths.begin() + static_cast<long>(kept.size()));
    n = kept.size();
  }
  if (std::any_of(paths.begin(), paths.begin() + static_cast<long>(n),
                  [&](const Path& p) { return peers[p.peer].ebgp; })) {
    keep([&](const Path& p) { return peers[p.peer].ebgp; });
  }
  std::sort(paths.begin(), paths.begin() + static_cast<long>(n),
            [&](const Path& a, const Path& b) { return tie_break_less(a, b, peers); });
  return static_cast<uint8_t>(std::min({n, max_paths, size_t{255}}));
}

}  // namespace weft::bgp
