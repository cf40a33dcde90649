#include "dataplane/nat.h"

#include <algorithm>

#include "dataplane/nft_diff.h"

namespace weft::dataplane {
namespace {

std::vector<std::string> elements(const std::vector<Prefix>& prefixes, Family family) {
  std::vector<std::string> out;
  for (const auto& p : prefixes) {
    if (p.family() == family) out.push_back(p.to_string());
  }
  return out;
}

kernel::NftSet set(const char* name, const char* type, std::vector<std::string> items) {
  return kernel::NftSet{.name = name, .type = type, .interval = true, .elements = std::move(items)};
}

}  // namespace

std::optional<kernel::NftTable> nat_table(const std::vector<Prefix>& pools, const std::vector<Prefix>& nat_outgoing) {
  if (nat_outgoing.empty()) return std::nullopt;
  kernel::NftTable t{.family = std::string(kNatFamily), .name = std::string(kNatTableName)};
  t.sets = {set("pools4", "ipv4_addr", elements(pools, Family::v4)), set("pools6", "ipv6_addr", elements(pools, Family::v6)),
            set("nat4", "ipv4_addr", elements(nat_outgoing, Family::v4)),
            set("nat6", "ipv6_addr", elements(nat_outgoing, Family::v6))};
  t.chains = {kernel::NftChain{.name = "postrouting",
                               .hook = "type nat hook postrouting priority srcnat; policy accept;",
                               .rules = {"ip saddr @nat4 ip daddr != @pools4 counter masquerade",
                                         "ip6 saddr @nat6 ip6 daddr != @pools6 counter masquerade"}}};
  return t;
}

void NatBackend::contribute(const BackendInput& in, DesiredState& out) const {
  for (const auto& [name, pool] : in.model.pools) {
    out.pools.push_back(pool.cidr);
    if (pool.nat_outgoing) out.nat_outgoing.push_back(pool.cidr);
  }
  std::sort(out.pools.begin(), out.pools.end());
  std::sort(out.nat_outgoing.begin(), out.nat_outgoing.end());
  out.nat = nat_table(out.pools, out.nat_outgoing);
}

void NatBackend::reconcile_after_routes(const DesiredState& desired, kernel::KernelOps& kernel, ReconcileReport& report) {
  const std::string id = std::string(kNatFamily) + " " + std::string(kNatTableName);
  auto actual = kernel.nft_get_table(kNatFamily, kNatTableName);
  // A listing we cannot read (a hand-made addition, another nft's format) is a table that exists
  // and differs: weft's own table is replaced or removed whole.
  const bool unreadable = !actual && actual.error().code == Errc::invalid_argument;
  if (!actual && !unreadable) return report.error(actual.error());
  const bool exists = unreadable || actual->has_value();
  if (!desired.nat) {
    if (!exists) return;
    if (auto r = kernel.nft_delete_table(kNatFamily, kNatTableName); !r) return report.error(r.error());
    return report.change("nftables delete table " + id + " (no pool asks for NAT)");
  }
  if (!unreadable && exists && same_nft_table(**actual, *desired.nat)) return;
  if (auto r = kernel.nft_replace_table(*desired.nat); !r) return report.error(r.error());
  report.change("nftables replace table " + id + " (masquerade for " + std::to_string(desired.nat_outgoing.size()) +
                " pool(s))");
}

}  // namespace weft::dataplane
