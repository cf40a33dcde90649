// Comparing a table weft wants with the one nft lists back (kernel/nft_table.h), for the drivers
// that own nftables tables (nat.h, policy.h).
//
// Sets and chains compare by name, whatever their order (nft lists them in creation order, and a
// patched table has its new ones at the end). Set elements compare as a set, normalised: an
// address or prefix as its canonical prefix (nft prints a single address of an interval set
// without its length), anything else as text. Rules compare as text, in order.
#pragma once

#include <optional>

#include "kernel/nft_table.h"

namespace weft::dataplane {

// The edits that turn `actual` into `wanted` (kernel::NftTablePatch: sets and chains added or
// deleted, chains whose rules changed rewritten, elements changed); empty when they are equal.
// nullopt when only a replacement of the whole table can: another table, a set whose type, flags
// or kind changed, a base chain (one with a hook) added, removed or hooked differently, or
// elements that collide once normalised.
std::optional<kernel::NftTablePatch> table_patch(const kernel::NftTable& actual, const kernel::NftTable& wanted);

bool same_nft_table(const kernel::NftTable& a, const kernel::NftTable& b);

}  // namespace weft::dataplane
