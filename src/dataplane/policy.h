// The network policy backend (issue 11): this node's endpoints' policy, enforced by the nftables
// table the policy compiler renders (policy/compile.h: `inet weft_policy`, a forward-hook chain
// with per-interface verdict maps).
//
// contribute(): the table the agent had compiled (policy/model_view.h, host_policy()), present
// when the cluster has at least one policy record — no policy, no table, so a cluster that does
// not use policy pays nothing per packet.
//
// reconcile: diffs the table in the kernel with the wanted one (nft_diff.h) —
// - equal: nothing (a weftd restart does not rewrite an unchanged ruleset);
// - otherwise, when a patch can do it, only what differs changes, in one transaction: an endpoint
//   joining or leaving a selector changes set elements and no rule; a policy change rewrites the
//   chains whose rules changed and adds or deletes sets and chains; a rule removed by hand is put
//   back by rewriting its chain;
// - anything else (no table yet, a base chain's hook changed, a set changed type): the whole table
//   is replaced atomically;
// - not wanted: the table is deleted.
// A failed patch falls back to the replacement in the same round.
//
// The table in the kernel is listed (~0.4 s for 10,000 endpoints) only when the namespace's
// nftables generation moved since the backend last knew the table: after its own write it knows
// the table when the generation moved by exactly that one commit. So a round that changes one
// element costs the compile and one small transaction, and anyone else's nftables commit (a rule
// removed by hand, another table) makes the next round read the table back.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "dataplane/backend.h"

namespace weft::dataplane {

// The table the policy compiler renders (policy/compile.h has the same names; the dataplane unit
// test holds them equal): the backend removes it by name when the cluster has no policy left.
inline constexpr std::string_view kPolicyFamily = "inet";
inline constexpr std::string_view kPolicyTableName = "weft_policy";

class PolicyBackend final : public Backend {
 public:
  std::string_view name() const override { return "policy"; }
  void contribute(const BackendInput& in, DesiredState& out) const override;
  void reconcile_after_routes(const DesiredState& desired, kernel::KernelOps& kernel, ReconcileReport& report) override;

 private:
  // The table as of an nftables generation (nullopt table: none).
  struct Known {
    uint32_t generation = 0;
    std::optional<kernel::NftTable> table;
  };
  Result<std::optional<kernel::NftTable>> current(kernel::KernelOps& kernel, std::optional<uint32_t> generation);
  void wrote(kernel::KernelOps& kernel, std::optional<uint32_t> before, std::optional<kernel::NftTable> now);

  std::optional<Known> known_;
};

}  // namespace weft::dataplane
