// weft.io/v1 Policy and GlobalPolicy into the policy model. Calico's shape:
//   spec: {order, selector, types, ingress: [rule], egress: [rule]}
//   rule: {action: Allow|Deny|Pass|Log, protocol, icmp: {type, code},
//          source: {selector, namespaceSelector, nets, notNets},
//          destination: {selector, namespaceSelector, nets, notNets, ports: [80, "8000:8080", "http"]}}
// The peer is the source of an ingress rule and the destination of an egress rule; the other
// side is the selected endpoint itself, so only destination ports may be given there.
#include "policy/document_parsers.h"

#include <charconv>

namespace weft::policy {
namespace {

using yaml::Fields;

Result<Selector> read_expression(const YAML::Node& node, const std::string& path) {
  auto t = yaml::text(node, path);
  if (!t) return std::unexpected(t.error());
  auto s = parse_selector(*t);
  if (!s) return yaml::fail_at(node, path, s.error().message);
  return s;
}

Result<std::vector<Prefix>> read_nets(const YAML::Node& node, const std::string& path) {
  auto items = yaml::list(node, path);
  if (!items) return std::unexpected(items.error());
  std::vector<Prefix> out;
  for (size_t i = 0; i < items->size(); ++i) {
    auto p = yaml::cidr((*items)[i], path + "[" + std::to_string(i) + "]");
    if (!p) return std::unexpected(p.error());
    out.push_back(*p);
  }
  return out;
}

Result<uint16_t> port_number(std::string_view text) {
  unsigned v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || v < 1 || v > 65535) {
    return fail(Errc::invalid_argument, "'", text, "' is not a port (1-65535)");
  }
  return static_cast<uint16_t>(v);
}

Result<PortRange> read_port(const YAML::Node& node, const std::string& path) {
  auto t = yaml::text(node, path);
  if (!t) return std::unexpected(t.error());
  const auto colon = t->find(':');
  if (colon != std::string::npos) {
    auto first = port_number(std::string_view(*t).substr(0, colon));
    auto last = port_number(std::string_view(*t).substr(colon + 1));
    if (!first) return yaml::fail_at(node, path, first.error().message);
    if (!last) return yaml::fail_at(node, path, last.error().message);
    if (*last < *first) return yaml::fail_at(node, path, "'" + *t + "' ends before it starts");
    return PortRange{.first = *first, .last = *last};
  }
  // Calico reads "80" and 80 alike (a port name always holds a letter).
  if (!t->empty() && t->find_first_not_of("0123456789-+") == std::string::npos) {
    auto p = port_number(*t);
    if (!p) return yaml::fail_at(node, path, p.error().message);
    return PortRange{.first = *p, .last = *p};
  }
  if (!valid_port_name(*t)) return yaml::fail_at(node, path, "'" + *t + "' is not a port, range or port name");
  return PortRange{.name = *t};
}

// One side of a rule. `peer` is null for the endpoint's own side, where only ports may appear.
Result<void> read_side(const YAML::Node& node, const std::string& path, Peer* peer, std::vector<PortRange>* ports) {
  if (!yaml::present(node)) return {};
  auto f = Fields::of(node, path);
  if (!f) return std::unexpected(f.error());
  for (const char* field : {"selector", "namespaceSelector", "nets", "notNets"}) {
    const auto n = (*f)[field];
    if (!yaml::present(n)) continue;
    if (!peer) return yaml::fail_at(n, f->path(field), "this side of the rule is the selected endpoint itself");
    const std::string where = f->path(field);
    if (std::string_view(field) == "selector" || std::string_view(field) == "namespaceSelector") {
      auto s = read_expression(n, where);
      if (!s) return std::unexpected(s.error());
      (std::string_view(field) == "selector" ? peer->selector : peer->namespace_selector) = std::move(*s);
    } else {
      auto nets = read_nets(n, where);
      if (!nets) return std::unexpected(nets.error());
      (std::string_view(field) == "nets" ? peer->nets : peer->not_nets) = std::move(*nets);
    }
  }
  if (ports) {
    auto items = yaml::list((*f)["ports"], f->path("ports"));
    if (!items) return std::unexpected(items.error());
    for (size_t i = 0; i < items->size(); ++i) {
      auto p = read_port((*items)[i], f->path("ports[" + std::to_string(i) + "]"));
      if (!p) return std::unexpected(p.error());
      ports->push_back(std::move(*p));
    }
  }
  return f->no_unknown();
}

Result<Rule> read_rule(const YAML::Node& node, const std::string& path, Direction direction, std::string name) {
  auto f = Fields::of(node, path);
  if (!f) return std::unexpected(f.error());
  Rule rule{.name = std::move(name)};
  auto action_text = yaml::text((*f)["action"], f->path("action"));
  if (!action_text) return std::unexpected(action_text.error());
  auto action = parse_action(*action_text);
  if (!action) return yaml::fail_at((*f)["action"], f->path("action"), "'" + *action_text + "' is not Allow, Deny, Pass or Log");
  rule.action = *action;
  if (const auto n = (*f)["protocol"]; yaml::present(n)) {
    auto t = yaml::text(n, f->path("protocol"));
    if (!t) return std::unexpected(t.error());
    rule.protocol = parse_protocol(*t);
    if (!rule.protocol) return yaml::fail_at(n, f->path("protocol"), "'" + *t + "' is not TCP, UDP, SCTP, ICMP or ICMPv6");
  }
  if (const auto n = (*f)["icmp"]; yaml::present(n)) {
    if (!rule.protocol || has_ports(*rule.protocol)) return yaml::fail_at(n, f->path("icmp"), "needs protocol ICMP or ICMPv6");
    auto i = Fields::of(n, f->path("icmp"));
    if (!i) return std::unexpected(i.error());
    Icmp icmp;
    if (const auto t = (*i)["type"]; yaml::present(t)) {
      auto v = yaml::integer(t, i->path("type"), 0, 254);
      if (!v) return std::unexpected(v.error());
      icmp.type = static_cast<uint8_t>(*v);
    }
    if (const auto c = (*i)["code"]; yaml::present(c)) {
      if (!icmp.type) return yaml::fail_at(c, i->path("code"), "needs a type");
      auto v = yaml::integer(c, i->path("code"), 0, 255);
      if (!v) return std::unexpected(v.error());
      icmp.code = static_cast<uint8_t>(*v);
    }
    if (auto u = i->no_unknown(); !u) return std::unexpected(u.error());
    rule.icmp = icmp;
  }
  const bool ingress = direction == Direction::ingress;
  if (auto r = read_side((*f)["source"], f->path("source"), ingress ? &rule.peer : nullptr, nullptr); !r) return std::unexpected(r.error());
  if (auto r = read_side((*f)["destination"], f->path("destination"), ingress ? nullptr : &rule.peer, &rule.ports); !r) {
    return std::unexpected(r.error());
  }
  if (!rule.ports.empty() && (!rule.protocol || !has_ports(*rule.protocol))) {
    return yaml::fail_at(node, path, "destination ports need protocol TCP, UDP or SCTP");
  }
  if (auto u = f->no_unknown(); !u) return std::unexpected(u.error());
  return rule;
}

Result<void> read_rules(const YAML::Node& node, const std::string& path, Direction direction, std::vector<Rule>& out) {
  auto items = yaml::list(node, path);
  if (!items) return std::unexpected(items.error());
  for (size_t i = 0; i < items->size(); ++i) {
    const std::string index = "[" + std::to_string(i) + "]";
    auto r = read_rule((*items)[i], path + index, direction, std::string(to_string(direction)) + index);
    if (!r) return std::unexpected(r.error());
    out.push_back(std::move(*r));
  }
  return {};
}

}  // namespace

Result<void> read_weft_policy_spec(yaml::Fields& spec, Policy& out) {
  out.order = kKubernetesOrder;
  if (const auto n = spec["order"]; yaml::present(n)) {
    auto o = yaml::number(n, spec.path("order"));
    if (!o) return std::unexpected(o.error());
    out.order = *o;
  }
  if (const auto n = spec["selector"]; yaml::present(n)) {
    auto s = read_expression(n, spec.path("selector"));
    if (!s) return std::unexpected(s.error());
    out.selector = std::move(*s);
  }
  if (auto r = read_rules(spec["ingress"], spec.path("ingress"), Direction::ingress, out.ingress); !r) return r;
  if (auto r = read_rules(spec["egress"], spec.path("egress"), Direction::egress, out.egress); !r) return r;
  if (auto r = read_types(spec["types"], spec.path("types"), !out.egress.empty(), out); !r) return r;
  return spec.no_unknown();
}

Result<void> read_types(const YAML::Node& node, std::string_view path, bool has_egress_rules, Policy& out) {
  if (!yaml::present(node)) {
    out.ingress_applies = true;
    out.egress_applies = has_egress_rules;
    return {};
  }
  auto items = yaml::list(node, path);
  if (!items) return std::unexpected(items.error());
  for (size_t i = 0; i < items->size(); ++i) {
    const std::string where = std::string(path) + "[" + std::to_string(i) + "]";
    auto t = yaml::text((*items)[i], where);
    if (!t) return std::unexpected(t.error());
    if (*t == "Ingress") {
      out.ingress_applies = true;
    } else if (*t == "Egress") {
      out.egress_applies = true;
    } else {
      return yaml::fail_at((*items)[i], where, "'" + *t + "' is not Ingress or Egress");
    }
  }
  return {};
}

bool valid_port_name(std::string_view name) {
  if (name.empty() || name.size() > 15 || name.front() == '-' || name.back() == '-') return false;
  if (name.find("--") != std::string_view::npos) return false;
  bool letter = false;
  for (char c : name) {
    if (c >= 'a' && c <= 'z') {
      letter = true;
    } else if (!(c >= '0' && c <= '9') && c != '-') {
      return false;
    }
  }
  return letter;
}

}  // namespace weft::policy
