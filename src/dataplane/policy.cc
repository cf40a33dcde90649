#include "dataplane/policy.h"

#include "dataplane/nft_diff.h"

namespace weft::dataplane {
namespace {

std::string describe(const kernel::NftTablePatch& patch) {
  size_t elements = 0;
  for (const auto& c : patch.elements) elements += c.add.size() + c.remove.size();
  std::string out;
  const auto part = [&](size_t n, const char* what) {
    if (n) out += (out.empty() ? "" : ", ") + std::to_string(n) + " " + what;
  };
  part(patch.add_sets.size(), "set(s) added");
  part(patch.delete_sets.size(), "set(s) deleted");
  part(patch.add_chains.size(), "chain(s) added");
  part(patch.delete_chains.size(), "chain(s) deleted");
  part(patch.rewrite_chains.size(), "chain(s) rewritten");
  part(elements, "set element(s) changed");
  return out;
}

std::optional<uint32_t> generation(kernel::KernelOps& kernel) {
  auto g = kernel.nft_generation();
  return g ? std::optional<uint32_t>(*g) : std::nullopt;  // unknown: the table is listed every round
}

}  // namespace

void PolicyBackend::contribute(const BackendInput& in, DesiredState& out) const { out.policy = in.policy; }

Result<std::optional<kernel::NftTable>> PolicyBackend::current(kernel::KernelOps& kernel, std::optional<uint32_t> generation) {
  if (generation && known_ && known_->generation == *generation) return known_->table;
  known_.reset();
  auto listed = kernel.nft_get_table(kPolicyFamily, kPolicyTableName);
  // Known only when no commit came between the two generation reads.
  if (listed && generation && weft::dataplane::generation(kernel) == generation) known_ = Known{*generation, *listed};
  return listed;
}

void PolicyBackend::wrote(kernel::KernelOps& kernel, std::optional<uint32_t> before, std::optional<kernel::NftTable> now) {
  known_.reset();
  const auto after = generation(kernel);
  // Exactly one commit since `before`: ours. Anything else and the next round lists the table.
  if (before && after && *after == *before + 1) known_ = Known{*after, std::move(now)};
}

void PolicyBackend::reconcile_after_routes(const DesiredState& desired, kernel::KernelOps& kernel, ReconcileReport& report) {
  const std::string id = std::string(kPolicyFamily) + " " + std::string(kPolicyTableName);
  const auto before = generation(kernel);
  auto actual = current(kernel, before);
  // A listing we cannot read (a hand-made addition in another format) is a table that exists and
  // differs: replaced or removed whole.
  const bool unreadable = !actual && actual.error().code == Errc::invalid_argument;
  if (!actual && !unreadable) return report.error(actual.error());
  const bool exists = unreadable || actual->has_value();
  if (!desired.policy) {
    if (!exists) return;
    if (auto r = kernel.nft_delete_table(kPolicyFamily, kPolicyTableName); !r) {
      known_.reset();
      return report.error(r.error());
    }
    wrote(kernel, before, std::nullopt);
    return report.change("nftables delete table " + id + " (no network policy)");
  }
  if (!unreadable && exists) {
    const auto patch = table_patch(**actual, *desired.policy);
    if (patch && patch->empty()) return;
    if (patch) {
      if (auto r = kernel.nft_patch_table(kPolicyFamily, kPolicyTableName, *patch); r) {
        wrote(kernel, before, desired.policy);
        return report.change("nftables table " + id + ": " + describe(*patch));
      } else {
        report.change("nftables table " + id + ": patch refused (" + r.error().message + "), replacing the table");
      }
    }
  }
  if (auto r = kernel.nft_replace_table(*desired.policy); !r) {
    known_.reset();
    return report.error(r.error());
  }
  // After a refused patch two generations may have passed (or one): `wrote` then lists next round.
  wrote(kernel, before, desired.policy);
  report.change("nftables replace table " + id + " (" + std::to_string(desired.policy->chains.size() - 1) +
                " endpoint chain(s))");
}

}  // namespace weft::dataplane
