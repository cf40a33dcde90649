// Kubernetes NetworkPolicy (networking.k8s.io/v1) into the policy model. The parts where the
// meaning hides in the shape of the document:
// - policyTypes absent: Ingress, plus Egress when spec.egress has rules.
// - a selected direction with no rules denies everything; a rule without from/to matches every
//   peer, a rule without ports every port.
// - one peer with podSelector and namespaceSelector is their AND; separate peers are an OR.
// - podSelector alone: pods of the policy's namespace; namespaceSelector alone: every pod of the
//   matching namespaces; an empty selector ({}) matches all, an absent one constrains nothing.
// - ipBlock stands alone in its peer; `except` must lie inside `cidr`.
#include <algorithm>
#include <map>

#include "policy/document_parsers.h"
#include "policy/label_selector.h"

namespace weft::policy {
namespace {

using yaml::Fields;

Result<Selector> read_label_selector(const YAML::Node& node, const std::string& path) {
  auto f = Fields::of(node, path);
  if (!f) return std::unexpected(f.error());
  LabelSelector in;
  auto labels = yaml::string_map((*f)["matchLabels"], f->path("matchLabels"));
  if (!labels) return std::unexpected(labels.error());
  in.match_labels = std::move(*labels);
  auto expressions = yaml::list((*f)["matchExpressions"], f->path("matchExpressions"));
  if (!expressions) return std::unexpected(expressions.error());
  for (size_t i = 0; i < expressions->size(); ++i) {
    auto e = Fields::of((*expressions)[i], f->path("matchExpressions[" + std::to_string(i) + "]"));
    if (!e) return std::unexpected(e.error());
    LabelRequirement r;
    auto key = yaml::text((*e)["key"], e->path("key"));
    auto op = yaml::text((*e)["operator"], e->path("operator"));
    auto values = yaml::texts((*e)["values"], e->path("values"));
    if (!key) return std::unexpected(key.error());
    if (!op) return std::unexpected(op.error());
    if (!values) return std::unexpected(values.error());
    if (auto u = e->no_unknown(); !u) return std::unexpected(u.error());
    in.match_expressions.push_back({std::move(*key), std::move(*op), std::move(*values)});
  }
  if (auto u = f->no_unknown(); !u) return std::unexpected(u.error());
  auto s = to_selector(in);
  if (!s) return yaml::fail_at(node, path, s.error().message);
  return s;
}

Result<Peer> read_peer(const YAML::Node& node, const std::string& path) {
  auto f = Fields::of(node, path);
  if (!f) return std::unexpected(f.error());
  Peer peer;
  if (const auto n = (*f)["podSelector"]; yaml::present(n)) {
    auto s = read_label_selector(n, f->path("podSelector"));
    if (!s) return std::unexpected(s.error());
    peer.selector = std::move(*s);
  }
  if (const auto n = (*f)["namespaceSelector"]; yaml::present(n)) {
    auto s = read_label_selector(n, f->path("namespaceSelector"));
    if (!s) return std::unexpected(s.error());
    peer.namespace_selector = std::move(*s);
  }
  if (const auto n = (*f)["ipBlock"]; yaml::present(n)) {
    if (peer.matches_endpoints_only()) return yaml::fail_at(node, path, "ipBlock cannot be combined with a selector");
    auto b = Fields::of(n, f->path("ipBlock"));
    if (!b) return std::unexpected(b.error());
    auto net = yaml::cidr((*b)["cidr"], b->path("cidr"));
    if (!net) return std::unexpected(net.error());
    auto excepts = yaml::list((*b)["except"], b->path("except"));
    if (!excepts) return std::unexpected(excepts.error());
    for (size_t i = 0; i < excepts->size(); ++i) {
      const std::string where = b->path("except[" + std::to_string(i) + "]");
      auto e = yaml::cidr((*excepts)[i], where);
      if (!e) return std::unexpected(e.error());
      if (e->family() != net->family() || !net->contains(*e) || *e == *net) {
        return yaml::fail_at((*excepts)[i], where, e->to_string() + " is not inside " + net->to_string());
      }
      peer.not_nets.push_back(*e);
    }
    if (auto u = b->no_unknown(); !u) return std::unexpected(u.error());
    peer.nets.push_back(*net);
  }
  if (auto u = f->no_unknown(); !u) return std::unexpected(u.error());
  if (!peer.matches_endpoints_only() && peer.nets.empty()) {
    return yaml::fail_at(node, path, "a peer needs podSelector, namespaceSelector or ipBlock");
  }
  return peer;
}

// The ports of one rule, grouped by protocol; a protocol mapped to an empty list means every port.
using PortsByProtocol = std::map<Protocol, std::vector<PortRange>>;

Result<void> read_port(const YAML::Node& node, const std::string& path, PortsByProtocol& out) {
  auto f = Fields::of(node, path);
  if (!f) return std::unexpected(f.error());
  Protocol protocol = Protocol::tcp;
  if (const auto n = (*f)["protocol"]; yaml::present(n)) {
    auto t = yaml::text(n, f->path("protocol"));
    if (!t) return std::unexpected(t.error());
    if (*t != "TCP" && *t != "UDP" && *t != "SCTP") return yaml::fail_at(n, f->path("protocol"), "'" + *t + "' is not TCP, UDP or SCTP");
    protocol = *parse_protocol(*t);
  }
  std::optional<PortRange> range;
  const auto port = (*f)["port"];
  if (yaml::present(port)) {
    if (!port.IsScalar()) return yaml::fail_at(port, f->path("port"), "expected a port number or name");
    if (yaml::is_quoted(port) || port.Scalar().find_first_not_of("0123456789-+") != std::string::npos) {
      if (!valid_port_name(port.Scalar())) return yaml::fail_at(port, f->path("port"), "'" + port.Scalar() + "' is not a port name");
      range = PortRange{.name = port.Scalar()};
    } else {
      auto p = yaml::integer(port, f->path("port"), 1, 65535);
      if (!p) return std::unexpected(p.error());
      range = PortRange{.first = static_cast<uint16_t>(*p), .last = static_cast<uint16_t>(*p)};
    }
  }
  if (const auto n = (*f)["endPort"]; yaml::present(n)) {
    if (!range || !range->name.empty()) return yaml::fail_at(n, f->path("endPort"), "needs a numeric port");
    auto e = yaml::integer(n, f->path("endPort"), range->first, 65535);
    if (!e) return std::unexpected(e.error());
    range->last = static_cast<uint16_t>(*e);
  }
  if (auto u = f->no_unknown(); !u) return std::unexpected(u.error());
  auto [it, fresh] = out.try_emplace(protocol);
  if (!range) {
    it->second.clear();
    it->second.push_back(PortRange{.first = 1, .last = 65535});  // every port; collapsed below
  } else {
    it->second.push_back(*range);
  }
  return {};
}

Result<void> read_rules(const YAML::Node& node, const std::string& path, Direction direction, std::vector<Rule>& out) {
  auto rules = yaml::list(node, path);
  if (!rules) return std::unexpected(rules.error());
  const char* peers_field = direction == Direction::ingress ? "from" : "to";
  for (size_t i = 0; i < rules->size(); ++i) {
    const std::string rule_name = std::string(to_string(direction)) + "[" + std::to_string(i) + "]";
    auto f = Fields::of((*rules)[i], path + "[" + std::to_string(i) + "]");
    if (!f) return std::unexpected(f.error());
    auto peer_nodes = yaml::list((*f)[peers_field], f->path(peers_field));
    if (!peer_nodes) return std::unexpected(peer_nodes.error());
    auto port_nodes = yaml::list((*f)["ports"], f->path("ports"));
    if (!port_nodes) return std::unexpected(port_nodes.error());
    if (auto u = f->no_unknown(); !u) return std::unexpected(u.error());
    std::vector<std::pair<std::string, Peer>> peers;
    for (size_t j = 0; j < peer_nodes->size(); ++j) {
      const std::string suffix = std::string(".") + peers_field + "[" + std::to_string(j) + "]";
      auto p = read_peer((*peer_nodes)[j], f->path(std::string(peers_field) + "[" + std::to_string(j) + "]"));
      if (!p) return std::unexpected(p.error());
      peers.emplace_back(rule_name + suffix, std::move(*p));
    }
    if (peers.empty()) peers.emplace_back(rule_name, Peer{});
    PortsByProtocol ports;
    for (size_t j = 0; j < port_nodes->size(); ++j) {
      if (auto r = read_port((*port_nodes)[j], f->path("ports[" + std::to_string(j) + "]"), ports); !r) return r;
    }
    for (auto& [name, peer] : peers) {
      if (ports.empty()) out.push_back(Rule{.name = name, .peer = peer});
      for (const auto& [protocol, ranges] : ports) {
        const bool every = std::any_of(ranges.begin(), ranges.end(), [](const PortRange& r) { return r.name.empty() && r.first == 1 && r.last == 65535; });
        out.push_back(Rule{.name = name, .protocol = protocol, .ports = every ? std::vector<PortRange>{} : ranges, .peer = peer});
      }
    }
  }
  return {};
}

}  // namespace

Result<void> read_network_policy_spec(yaml::Fields& spec, Policy& out) {
  out.order = kKubernetesOrder;
  const auto pod_selector = spec["podSelector"];
  if (yaml::present(pod_selector)) {
    auto s = read_label_selector(pod_selector, spec.path("podSelector"));
    if (!s) return std::unexpected(s.error());
    out.selector = std::move(*s);
  }
  const auto egress = spec["egress"];
  if (auto r = read_rules(spec["ingress"], spec.path("ingress"), Direction::ingress, out.ingress); !r) return r;
  if (auto r = read_rules(egress, spec.path("egress"), Direction::egress, out.egress); !r) return r;
  const bool has_egress_rules = egress.IsSequence() && egress.size() > 0;
  if (auto r = read_types(spec["policyTypes"], spec.path("policyTypes"), has_egress_rules, out); !r) return r;
  return spec.no_unknown();
}

}  // namespace weft::policy
