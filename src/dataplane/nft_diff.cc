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

template <class T>
std::map<std::string, const T*> by_name(const std::vector<T>& items) {
  std::map<std::string, const T*> out;
  for (const auto& item : items) out.emplace(item.name, &item);
  return out;
}

// The element edits of one set; nullopt when elements collide once normalised (not a set we can
// edit by element).
std::optional<kernel::NftElementChange> element_change(const kernel::NftSet& have, const kernel::NftSet& want) {
  // The common case, and the cheap one: the same text in the same order (what the driver knows it
  // wrote last, compared with the next compilation).
  if (have.elements == want.elements) return kernel::NftElementChange{.set = want.name};
  const auto have_elements = by_canonical(have.elements);
  const auto want_elements = by_canonical(want.elements);
  if (have_elements.size() != have.elements.size() || want_elements.size() != want.elements.size()) return std::nullopt;
  kernel::NftElementChange change{.set = want.name};
  // A map element whose verdict changed differs in text: removed by key, then added again.
  for (const auto& [canonical, element] : have_elements) {
    if (!want_elements.contains(canonical)) change.remove.push_back(kernel::element_key(element));
  }
  for (const auto& [canonical, element] : want_elements) {
    if (!have_elements.contains(canonical)) change.add.push_back(element);
  }
  return change;
}

}  // namespace

std::optional<kernel::NftTablePatch> table_patch(const kernel::NftTable& actual, const kernel::NftTable& wanted) {
  if (actual.family != wanted.family || actual.name != wanted.name) return std::nullopt;
  kernel::NftTablePatch patch;
  const auto have_sets = by_name(actual.sets);
  const auto want_sets = by_name(wanted.sets);
  for (const auto& want : wanted.sets) {
    auto have = have_sets.find(want.name);
    if (have == have_sets.end()) {
      patch.add_sets.push_back(want);
      continue;
    }
    if (!same_shape(*have->second, want)) return std::nullopt;
    auto change = element_change(*have->second, want);
    if (!change) return std::nullopt;
    if (!change->remove.empty() || !change->add.empty()) patch.elements.push_back(std::move(*change));
  }
  for (const auto& have : actual.sets) {
    if (!want_sets.contains(have.name)) patch.delete_sets.push_back(have);
  }
  const auto have_chains = by_name(actual.chains);
  const auto want_chains = by_name(wanted.chains);
  for (const auto& want : wanted.chains) {
    auto have = have_chains.find(want.name);
    if (have == have_chains.end()) {
      if (!want.hook.empty()) return std::nullopt;
      patch.add_chains.push_back(want);
    } else if (have->second->hook != want.hook) {
      return std::nullopt;
    } else if (have->second->rules != want.rules) {
      patch.rewrite_chains.push_back(want);
    }
  }
  for (const auto& have : actual.chains) {
    if (want_chains.contains(have.name)) continue;
    if (!have.hook.empty()) return std::nullopt;
    patch.delete_chains.push_back(have.name);
  }
  return patch;
}

bool same_nft_table(const kernel::NftTable& a, const kernel::NftTable& b) {
  const auto patch = table_patch(a, b);
  return patch && patch->empty();
}

}  // namespace weft::dataplane
