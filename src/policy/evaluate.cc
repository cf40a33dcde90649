#include "policy/evaluate.h"

#include <algorithm>

namespace weft::policy {
namespace {

struct Side {
  const EndpointInfo* endpoint = nullptr;
  IpAddress address;
};

Result<Side> resolve(const ClusterView& view, const ProbeEnd& end) {
  if (const auto* address = std::get_if<IpAddress>(&end)) {
    for (const auto& e : view.endpoints) {
      if (std::find(e.addresses.begin(), e.addresses.end(), *address) != e.addresses.end()) return Side{&e, *address};
    }
    return Side{nullptr, *address};
  }
  const std::string& name = std::get<std::string>(end);
  const EndpointInfo* found = nullptr;
  for (const auto& e : view.endpoints) {
    if (e.namespace_name + "/" + e.name == name || e.name == name) {
      if (found) return fail(Errc::invalid_argument, "endpoint name '", name, "' is ambiguous: say namespace/name");
      found = &e;
    }
  }
  if (!found) return fail(Errc::not_found, "no endpoint '", name, "'");
  if (found->addresses.empty()) return fail(Errc::not_found, "endpoint '", name, "' has no address");
  return Side{found, found->addresses.front()};
}

bool ports_match(const Rule& rule, const Probe& probe, const EndpointInfo* destination) {
  if (rule.ports.empty()) return true;
  if (!has_ports(probe.protocol)) return false;
  return std::any_of(rule.ports.begin(), rule.ports.end(), [&](const PortRange& r) {
    if (r.name.empty()) return probe.port >= r.first && probe.port <= r.last;
    if (!destination) return false;
    const auto port = resolve_named_port(*destination, r.name, probe.protocol);
    return port && *port == probe.port;
  });
}

bool rule_matches(const ClusterView& view, const Policy& policy, const Rule& rule, const Side& peer, const Probe& probe,
                  const EndpointInfo* destination) {
  if (rule.protocol && *rule.protocol != probe.protocol) return false;
  if (!ports_match(rule, probe, destination)) return false;
  if (rule.icmp) {
    if (rule.icmp->type && probe.icmp_type != rule.icmp->type) return false;
    if (rule.icmp->code && probe.icmp_code != rule.icmp->code) return false;
  }
  if (rule.peer.matches_endpoints_only() && (!peer.endpoint || !peer_admits_endpoint(view, policy, rule.peer, *peer.endpoint))) {
    return false;
  }
  return peer_admits_address(rule.peer, peer.address);
}

Decision decide(const ClusterView& view, Direction direction, const EndpointInfo& local, const Side& peer, const Probe& probe,
                const EndpointInfo* destination) {
  std::vector<const Policy*> applying;
  for (const auto& p : view.policies) {
    const bool applies = direction == Direction::ingress ? p.ingress_applies : p.egress_applies;
    if (applies && selects(p, local)) applying.push_back(&p);
  }
  const std::string who = local.namespace_name + "/" + local.name;
  if (applying.empty()) return Decision{.reason = "no policy selects " + who + " for " + std::string(to_string(direction))};
  std::sort(applying.begin(), applying.end(), [](const Policy* a, const Policy* b) { return evaluated_before(*a, *b); });
  for (const Policy* p : applying) {
    for (const Rule& rule : direction == Direction::ingress ? p->ingress : p->egress) {
      if (!rule_matches(view, *p, rule, peer, probe, destination)) continue;
      Decision d{.policy = p->display_name(), .rule = rule.name};
      switch (rule.action) {
        case Action::log: continue;
        case Action::allow: d.reason = "allowed by " + d.policy + " " + rule.name; return d;
        case Action::deny: d.allowed = false; d.reason = "denied by " + d.policy + " " + rule.name; return d;
        case Action::pass: d.reason = "passed by " + d.policy + " " + rule.name + " to the profile, which allows"; return d;
      }
    }
  }
  return Decision{.allowed = false,
                  .reason = who + " is selected by " + std::to_string(applying.size()) + " polic" +
                            (applying.size() == 1 ? "y" : "ies") + " for " + std::string(to_string(direction)) +
                            " and no rule allows this"};
}

}  // namespace

Result<Verdict> evaluate(const ClusterView& view, const Probe& probe) {
  auto from = resolve(view, probe.from);
  if (!from) return std::unexpected(from.error());
  auto to = resolve(view, probe.to);
  if (!to) return std::unexpected(to.error());
  Verdict v;
  if (from->endpoint) {
    v.egress = decide(view, Direction::egress, *from->endpoint, *to, probe, to->endpoint);
  } else {
    v.egress.reason = "the source is not a weft endpoint";
  }
  if (!to->endpoint) {
    v.ingress.reason = "the destination is not a weft endpoint";
    return v;
  }
  if (!from->endpoint) {
    const auto it = view.host_addresses.find(to->endpoint->host);
    if (it != view.host_addresses.end() && std::ranges::find(it->second, from->address) != it->second.end()) {
      v.ingress.reason = "from the endpoint's own host";
      return v;
    }
  }
  v.ingress = decide(view, Direction::ingress, *to->endpoint, *from, probe, to->endpoint);
  return v;
}

}  // namespace weft::policy
