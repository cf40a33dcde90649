// Comparing a table weft wants with the one nft lists back (kernel/nft_table.h), for the drivers
// that own nftables tables (nat.h, policy.h).
//
// Set elements compare as a set, normalised: an address or prefix as its canonical prefix (nft
// prints a single address of an interval set without its length), anything else as text. Rules
// compare as text, in order.
#pragma once

#include <optional>
#include <vector>

#include "kernel/nft_table.h"

namespace weft::dataplane {

bool same_nft_table(const kernel::NftTable& a, const kernel::NftTable& b);

// The element edits that turn `actual` into `wanted` when the two differ only in set and map
// elements (same chains and rules, same sets with the same types and flags, in the same order);
// nullopt when anything else differs, so the table must be replaced whole. Empty: no difference.
std::optional<std::vector<kernel::NftElementChange>> element_changes(const kernel::NftTable& actual,
                                                                     const kernel::NftTable& wanted);

}  // namespace weft::dataplane
