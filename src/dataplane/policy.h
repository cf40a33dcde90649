// The network policy backend (issue 11): this node's endpoints' policy, enforced by the nftables
// table the policy compiler renders (policy/compile.h: `inet weft_policy`, a forward-hook chain
// with per-interface verdict maps).
//
// contribute(): the table the agent had compiled (policy/model_view.h, host_policy()), present
// when the cluster has at least one policy record — no policy, no table, so a cluster that does
// not use policy pays nothing per packet.
//
// reconcile: reads the table back and diffs it (nft_diff.h) —
// - equal: nothing (a weftd restart does not rewrite an unchanged ruleset);
// - only set and map elements differ (an endpoint joined or left a selector, an address came or
//   went): those elements are changed, in one transaction, no rule is touched;
// - anything else (a policy changed, an endpoint came to this host, a rule was removed by hand):
//   the whole table is replaced atomically;
// - not wanted: the table is deleted.
// A failed element change falls back to the replacement in the same round.
#pragma once

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
};

}  // namespace weft::dataplane
