#include "policy/policy.h"

#include <algorithm>
#include <cctype>
#include <tuple>

namespace weft::policy {

std::string_view to_string(Action a) {
  switch (a) {
    case Action::allow: return "Allow";
    case Action::deny: return "Deny";
    case Action::pass: return "Pass";
    case Action::log: return "Log";
  }
  return "?";
}

std::string_view to_string(Protocol p) {
  switch (p) {
    case Protocol::tcp: return "TCP";
    case Protocol::udp: return "UDP";
    case Protocol::sctp: return "SCTP";
    case Protocol::icmp: return "ICMP";
    case Protocol::icmpv6: return "ICMPv6";
  }
  return "?";
}

std::string_view to_string(Origin o) {
  switch (o) {
    case Origin::kubernetes: return "NetworkPolicy";
    case Origin::namespaced: return "Policy";
    case Origin::global: return "GlobalPolicy";
  }
  return "?";
}

std::string_view to_string(Direction d) { return d == Direction::ingress ? "ingress" : "egress"; }

namespace {
bool same_letters(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}
}  // namespace

std::optional<Action> parse_action(std::string_view text) {
  for (auto a : {Action::allow, Action::deny, Action::pass, Action::log}) {
    if (text == to_string(a)) return a;
  }
  return std::nullopt;
}

std::optional<Protocol> parse_protocol(std::string_view text) {
  for (auto p : {Protocol::tcp, Protocol::udp, Protocol::sctp, Protocol::icmp, Protocol::icmpv6}) {
    if (same_letters(text, to_string(p))) return p;
  }
  return std::nullopt;
}

bool has_ports(Protocol p) { return p == Protocol::tcp || p == Protocol::udp || p == Protocol::sctp; }

std::string Policy::display_name() const {
  return std::string(to_string(origin)) + " " + (namespace_name.empty() ? "" : namespace_name + "/") + name;
}

bool evaluated_before(const Policy& a, const Policy& b) {
  return std::tie(a.order, a.namespace_name, a.name, a.origin) < std::tie(b.order, b.namespace_name, b.name, b.origin);
}

}  // namespace weft::policy
