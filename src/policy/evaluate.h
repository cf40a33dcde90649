// The evaluator: the reference semantics of policy, as a pure function of the cluster view and one
// probe. `weft explain` prints its answer, the e2e truth tables are computed with it, and the
// compiler's ruleset must agree with it.
//
// For each direction — egress at the source endpoint, ingress at the destination endpoint:
// - An endpoint that no policy selects for that direction allows it. A side that is not a weft
//   endpoint (an address) has nothing to enforce.
// - Otherwise the policies that select it are taken in evaluation order (policy.h): the first
//   rule that matches decides — Allow allows, Deny denies, Pass ends the evaluation of policies
//   and leaves the decision to the endpoint's profile, which allows (Calico's last tier); Log
//   records and goes on. No matching rule in any of them: denied.
// - Ingress from an address of the destination endpoint's own host is allowed (kubelet probes).
#pragma once

#include <optional>
#include <string>
#include <variant>

#include "policy/cluster_view.h"

namespace weft::policy {

// An endpoint by "namespace/name" (or its name alone when that is unique), or an address.
using ProbeEnd = std::variant<std::string, IpAddress>;

struct Probe {
  ProbeEnd from;
  ProbeEnd to;
  Protocol protocol = Protocol::tcp;
  uint16_t port = 0;                    // TCP, UDP, SCTP
  std::optional<uint8_t> icmp_type{};   // ICMP, ICMPv6
  std::optional<uint8_t> icmp_code{};
};

struct Decision {
  bool allowed = true;
  std::string policy{};  // display_name() of the deciding policy; "" when none decided
  std::string rule{};    // the rule's name; "" when none matched
  std::string reason{};  // one line for people
};

struct Verdict {
  Decision egress{};
  Decision ingress{};
  bool allowed() const { return egress.allowed && ingress.allowed; }
};

// Errc::not_found when an endpoint named in the probe does not exist (or a name is ambiguous:
// invalid_argument), or when an endpoint has no address.
Result<Verdict> evaluate(const ClusterView& view, const Probe& probe);

}  // namespace weft::policy
