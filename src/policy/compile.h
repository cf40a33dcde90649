// The compiler: the policy model and the endpoints of one host into one nftables table value
// (kernel/nft_table.h) that the nftables driver applies atomically and diffs.
//
// Design (inet weft_policy):
//   set s4_<h> / s6_<h>   the addresses of the endpoints one peer admits (selector, namespace
//                         scope), v4 and v6 apart; named after a hash of the canonical selector
//                         text, so equal peers share one set and an endpoint joining a selector
//                         changes set elements only, never a rule.
//   set n4_<h> / n6_<h>   address . protocol . port of a named port on the endpoints a peer
//                         admits (egress rules towards named ports).
//   set workloads         the host-side interfaces of this host's endpoints.
//   map to_workload / from_workload   ifname : verdict, one element per selected endpoint: the
//                         per-packet cost is two hash lookups whatever the number of endpoints
//                         or policies; the chain then holds only the rules of the policies that
//                         select that endpoint.
//   chain forward         hook forward: established/related accept, invalid drop, a weft
//                         interface (prefix kWorkloadPrefix) that is neither a known workload nor
//                         one of weft's own devices drops (fail closed), then egress of the source
//                         (iifname) and ingress of the destination (oifname).
//   chain out_<h> / in_<h>   one policy rule becomes one nft rule per address family:
//                         Allow and Pass `return` (the next stage decides), Deny drops, Log logs
//                         and goes on; the chain ends in drop. Named after a hash of its rules:
//                         endpoints whose rules are the same (a workload's pods) share one chain,
//                         which keeps the kernel's work on a replace (it validates every jump)
//                         growing with the kinds of endpoint rather than their number.
// Traffic from the host itself (kubelet probes) goes through output, not forward, so it passes.
// The evaluator (evaluate.h) is the reference: this table means what it says.
#pragma once

#include <string>
#include <vector>

#include "kernel/nft_table.h"
#include "policy/cluster_view.h"

namespace weft::policy {

inline constexpr std::string_view kPolicyFamily = "inet";
inline constexpr std::string_view kPolicyTableName = "weft_policy";
// The host side of every workload veth (ipam/ipam_protocol.h host_veth_name).
inline constexpr std::string_view kWorkloadPrefix = "weft";

struct CompileOptions {
  std::string host{};  // compile for the endpoints whose host is this
  // weft's own devices that share the workload prefix and are not workloads ("weft.vxlan").
  std::vector<std::string> own_devices{};
};

kernel::NftTable compile(const ClusterView& view, const CompileOptions& options);

}  // namespace weft::policy
