#include "dataplane/nat.h"

#include "base/log.h"
#include "kernel/nftables.h"

namespace weft::dataplane {
namespace {

std::string elements(const std::vector<Prefix>& prefixes, Family family) {
  std::string out;
  for (const auto& p : prefixes) {
    if (p.family() != family) continue;
    out += (out.empty() ? "" : ", ") + p.to_string();
  }
  return out;
}

std::string set(const char* name, const char* type, const std::string& items) {
  std::string out = std::string("  set ") + name + " { type " + type + "; flags interval; ";
  if (!items.empty()) out += "elements = { " + items + " } ";
  return out + "}\n";
}

}  // namespace

std::string nat_ruleset(const std::vector<Prefix>& pools, const std::vector<Prefix>& nat_outgoing) {
  if (nat_outgoing.empty()) return "";
  std::string s = "table " + std::string(kNatTable) + "\ndelete table " + std::string(kNatTable) + "\n";
  s += "table " + std::string(kNatTable) + " {\n";
  s += set("pools4", "ipv4_addr", elements(pools, Family::v4));
  s += set("pools6", "ipv6_addr", elements(pools, Family::v6));
  s += set("nat4", "ipv4_addr", elements(nat_outgoing, Family::v4));
  s += set("nat6", "ipv6_addr", elements(nat_outgoing, Family::v6));
  s += "  chain postrouting {\n"
       "    type nat hook postrouting priority srcnat; policy accept;\n"
       "    ip saddr @nat4 ip daddr != @pools4 counter masquerade\n"
       "    ip6 saddr @nat6 ip6 daddr != @pools6 counter masquerade\n"
       "  }\n}\n";
  return s;
}

void apply_nat(const std::vector<Prefix>& pools, const std::vector<Prefix>& nat_outgoing, ReconcileReport& report) {
  const std::string script = nat_ruleset(pools, nat_outgoing);
  auto listing = kernel::nft_list("list table " + std::string(kNatTable));
  const bool exists = listing.has_value();
  if (script.empty()) {
    if (!exists) return;
    if (auto r = kernel::nft_run("delete table " + std::string(kNatTable)); !r) {
      report.errors.push_back(r.error());
      return;
    }
    spdlog::info("kernel: nftables table {} deleted (no pool asks for NAT)", kNatTable);
    report.changes.push_back("nftables delete table " + std::string(kNatTable));
    return;
  }
  // The listing shows every set element; if each wanted prefix is listed and the masquerade
  // rules are there, the table is right (counters in the listing change; they are ignored).
  bool current = exists && listing->find("masquerade") != std::string::npos;
  for (const auto& p : pools) current = current && listing->find(p.to_string()) != std::string::npos;
  for (const auto& p : nat_outgoing) current = current && listing->find(p.to_string()) != std::string::npos;
  if (current) return;
  if (auto r = kernel::nft_run(script); !r) {
    report.errors.push_back(r.error());
    spdlog::warn("kernel: {}", r.error().describe());
    return;
  }
  spdlog::info("kernel: nftables table {} written (masquerade for {} pool(s))", kNatTable, nat_outgoing.size());
  report.changes.push_back("nftables replace table " + std::string(kNatTable));
}

}  // namespace weft::dataplane
