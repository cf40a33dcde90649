#include "dataplane/nft_diff.h"

#include <map>
#include <string>

#include "base/ip.h"

namespace weft::dataplane {
namespace {

// The canonical form of one element: an address or prefix as a prefix, else its text.
std::string normalised(const std::string& element) {
  auto p = Prefix::parse(element);
  if (!p) {
    if (auto a = IpAddress::parse(element)) p = Prefix(*a, a->bit_width());
  }
  return p ? p->to_string() : element;
}

// Canonical form -> the element as written (what a removal names).
std::map<std::string, std::string> by_canonical(const std::vector<std::string>& elements) {
  std::map<std::string, std::string> out;
  for (const auto& e : elements) out.emplace(normalised(e), e);
  return out;
}

bool same_shape(const kernel::NftSet& a, const kernel::NftSet& b) {
  return a.name == b.name && a.type == b.type && a.interval == b.interval && a.is_map == b.is_map;
}

}  // namespace

std::optional<std::vector<kernel::NftElementChange>> element_changes(const kernel::NftTable& actual,
                                                                     const kernel::NftTable& wanted) {
  if (actual.family != wanted.family || actual.name != wanted.name || actual.chains != wanted.chains ||
      actual.sets.size() != wanted.sets.size()) {
    return std::nullopt;
  }
  std::vector<kernel::NftElementChange> changes;
  for (size_t i = 0; i < actual.sets.size(); ++i) {
    const auto& have = actual.sets[i];
    const auto& want = wanted.sets[i];
    if (!same_shape(have, want)) return std::nullopt;
    const auto have_elements = by_canonical(have.elements);
    const auto want_elements = by_canonical(want.elements);
    if (have_elements.size() != have.elements.size() || want_elements.size() != want.elements.size()) {
      return std::nullopt;  // duplicates after normalisation: not a set we can edit by element
    }
    kernel::NftElementChange change{.set = want.name};
    // A map element whose verdict changed differs in text: removed by key, then added again.
    for (const auto& [canonical, element] : have_elements) {
      if (!want_elements.contains(canonical)) change.remove.push_back(kernel::element_key(element));
    }
    for (const auto& [canonical, element] : want_elements) {
      if (!have_elements.contains(canonical)) change.add.push_back(element);
    }
    if (!change.remove.empty() || !change.add.empty()) changes.push_back(std::move(change));
  }
  return changes;
}

bool same_nft_table(const kernel::NftTable& a, const kernel::NftTable& b) {
  const auto changes = element_changes(a, b);
  return changes && changes->empty();
}

}  // namespace weft::dataplane
