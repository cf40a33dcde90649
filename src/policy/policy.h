// The policy model: Kubernetes NetworkPolicy and weft's Policy / GlobalPolicy in one form, which
// the evaluator (evaluate.h) and the compiler (compile.h) read.
//
// A Kubernetes rule with several peers or ports of several protocols becomes several Rules (one
// per peer and protocol), each naming where it came from ("ingress[0].from[1]"); since all of
// them allow, the meaning is unchanged. Kubernetes policies sit at kKubernetesOrder like Calico's.
//
// Semantics (the evaluator is the reference):
// - A policy applies to the endpoints its selector matches — in its own namespace, or in every
//   namespace for a GlobalPolicy — for the directions in `types`.
// - A rule's peer is the source of an ingress rule and the destination of an egress rule. A peer
//   with a selector or a namespace selector matches endpoints only: those whose labels match the
//   selector (all() when only a namespace selector is given) in the namespaces the namespace
//   selector matches (absent: the policy's own namespace; every namespace for a GlobalPolicy).
//   Nets, when given, must contain the peer's address too; notNets must not. An empty peer
//   matches everything.
// - Ports are destination ports of `protocol`; a named port is looked up on the destination
//   endpoint with that protocol.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/ip.h"
#include "policy/selector.h"

namespace weft::policy {

inline constexpr double kKubernetesOrder = 1000;

enum class Action : uint8_t { allow, deny, pass, log };
enum class Protocol : uint8_t { tcp, udp, sctp, icmp, icmpv6 };
enum class Origin : uint8_t { kubernetes, namespaced, global };  // NetworkPolicy, Policy, GlobalPolicy
enum class Direction : uint8_t { ingress, egress };

std::string_view to_string(Action a);       // "Allow", "Deny", "Pass", "Log"
std::string_view to_string(Protocol p);     // "TCP", "UDP", "SCTP", "ICMP", "ICMPv6"
std::string_view to_string(Origin o);       // "NetworkPolicy", "Policy", "GlobalPolicy"
std::string_view to_string(Direction d);    // "ingress", "egress"
std::optional<Action> parse_action(std::string_view text);
std::optional<Protocol> parse_protocol(std::string_view text);  // the names above, any case
bool has_ports(Protocol p);  // TCP, UDP, SCTP

// A destination port range, or a named port (name set, first/last unused).
struct PortRange {
  uint16_t first = 0;
  uint16_t last = 0;
  std::string name{};
  friend bool operator==(const PortRange&, const PortRange&) = default;
};

struct Peer {
  std::optional<Selector> selector{};
  std::optional<Selector> namespace_selector{};
  std::vector<Prefix> nets{};
  std::vector<Prefix> not_nets{};
  bool matches_endpoints_only() const { return selector || namespace_selector; }
  friend bool operator==(const Peer&, const Peer&) = default;
};

struct Icmp {
  std::optional<uint8_t> type{};
  std::optional<uint8_t> code{};  // only with a type
  friend bool operator==(const Icmp&, const Icmp&) = default;
};

struct Rule {
  std::string name{};  // where it came from in the document: "ingress[0]", "egress[1].to[0]"
  Action action = Action::allow;
  std::optional<Protocol> protocol{};  // absent: any protocol (then no ports and no ICMP)
  std::vector<PortRange> ports{};      // any of; empty: every port
  std::optional<Icmp> icmp{};          // with ICMP / ICMPv6 only
  Peer peer{};
  friend bool operator==(const Rule&, const Rule&) = default;
};

struct Policy {
  Origin origin = Origin::namespaced;
  std::string namespace_name{};  // "" for a GlobalPolicy
  std::string name{};
  double order = kKubernetesOrder;
  Selector selector{};
  bool ingress_applies = false;  // the policy's types
  bool egress_applies = false;
  std::vector<Rule> ingress{};
  std::vector<Rule> egress{};
  // "NetworkPolicy x/allow-web", "GlobalPolicy deny-all": how explain names it.
  std::string display_name() const;
  friend bool operator==(const Policy&, const Policy&) = default;
};

// Evaluation order: by order, then by namespace and name (Calico sorts equal orders by name).
bool evaluated_before(const Policy& a, const Policy& b);

}  // namespace weft::policy
