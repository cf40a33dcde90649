// The NAT backend: traffic from a pool marked natOutgoing to anywhere outside every pool is
// masqueraded behind the node's address, in an nftables table of weft's own (`inet weft`), so no
// other ruleset on the host is touched.
//
// nat_table() is pure: the whole table as a value (sets pools4/pools6/nat4/nat6 and one
// postrouting chain), or nullopt when no pool asks for NAT — then the table is removed. The
// reconcile reads the table back and compares it as a value (nft_diff.h: the set elements as
// prefixes, so a pool taken out of natOutgoing, or added, is a difference; rules as nft prints
// them); it replaces the whole table atomically when anything differs, and does nothing otherwise.
#pragma once

#include <optional>
#include <vector>

#include "base/ip.h"
#include "dataplane/backend.h"

namespace weft::dataplane {

inline constexpr std::string_view kNatFamily = "inet";
inline constexpr std::string_view kNatTableName = "weft";

std::optional<kernel::NftTable> nat_table(const std::vector<Prefix>& pools, const std::vector<Prefix>& nat_outgoing);

class NatBackend final : public Backend {
 public:
  std::string_view name() const override { return "nat"; }
  void contribute(const BackendInput& in, DesiredState& out) const override;
  void reconcile_after_routes(const DesiredState& desired, kernel::KernelOps& kernel, ReconcileReport& report) override;
};

}  // namespace weft::dataplane
