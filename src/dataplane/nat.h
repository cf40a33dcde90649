// Outgoing NAT: traffic from a pool marked natOutgoing to anywhere outside every pool is
// masqueraded behind the node's address, in an nftables table of weft's own (`inet weft`), so
// no other ruleset on the host is touched.
//
// nat_ruleset() is pure: the whole table as one nft script that replaces the table atomically
// (create-if-missing, delete, define: one transaction), or an empty string when no pool asks
// for NAT — then the table is removed. apply_nat() applies it when the kernel's table differs.
#pragma once

#include <string>
#include <vector>

#include "base/ip.h"
#include "dataplane/reconciler.h"

namespace weft::dataplane {

inline constexpr std::string_view kNatTable = "inet weft";

std::string nat_ruleset(const std::vector<Prefix>& pools, const std::vector<Prefix>& nat_outgoing);

// Applies the ruleset if the table is missing or its rules differ from `script`'s (compared
// through nft's own listing of the table), or deletes the table when `script` is empty.
void apply_nat(const std::vector<Prefix>& pools, const std::vector<Prefix>& nat_outgoing, ReconcileReport& report);

}  // namespace weft::dataplane
