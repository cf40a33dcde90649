#include "dataplane/policy.h"

#include "dataplane/nft_diff.h"

namespace weft::dataplane {
namespace {

size_t element_count(const std::vector<kernel::NftElementChange>& changes) {
  size_t n = 0;
  for (const auto& c : changes) n += c.add.size() + c.remove.size();
  return n;
}

}  // namespace

void PolicyBackend::contribute(const BackendInput& in, DesiredState& out) const { out.policy = in.policy; }

void PolicyBackend::reconcile_after_routes(const DesiredState& desired, kernel::KernelOps& kernel, ReconcileReport& report) {
  const auto family = kPolicyFamily;
  const auto table = kPolicyTableName;
  const std::string id = std::string(family) + " " + std::string(table);
  auto actual = kernel.nft_get_table(family, table);
  // A listing we cannot read (a hand-made addition in another format) is a table that exists and
  // differs: replaced or removed whole.
  const bool unreadable = !actual && actual.error().code == Errc::invalid_argument;
  if (!actual && !unreadable) return report.error(actual.error());
  const bool exists = unreadable || actual->has_value();
  if (!desired.policy) {
    if (!exists) return;
    if (auto r = kernel.nft_delete_table(family, table); !r) return report.error(r.error());
    return report.change("nftables delete table " + id + " (no network policy)");
  }
  if (!unreadable && exists) {
    const auto changes = element_changes(**actual, *desired.policy);
    if (changes && changes->empty()) return;
    if (changes) {
      if (auto r = kernel.nft_change_elements(family, table, *changes); r) {
        return report.change("nftables table " + id + ": " + std::to_string(element_count(*changes)) +
                             " set element(s) changed");
      } else {
        report.change("nftables table " + id + ": element change refused (" + r.error().message + "), replacing the table");
      }
    }
  }
  if (auto r = kernel.nft_replace_table(*desired.policy); !r) return report.error(r.error());
  report.change("nftables replace table " + id + " (" + std::to_string(desired.policy->chains.size() - 1) +
                " endpoint chain(s))");
}

}  // namespace weft::dataplane
