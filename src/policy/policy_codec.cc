#include "policy/policy_codec.h"

namespace weft::policy {
namespace {

Json encode_peer(const Peer& p) {
  Json j = Json::object();
  if (p.selector) j["selector"] = to_string(*p.selector);
  if (p.namespace_selector) j["namespaceSelector"] = to_string(*p.namespace_selector);
  Json nets = Json::array(), not_nets = Json::array();
  for (const auto& n : p.nets) nets.push_back(n.to_string());
  for (const auto& n : p.not_nets) not_nets.push_back(n.to_string());
  j["nets"] = nets;
  j["notNets"] = not_nets;
  return j;
}

Json encode_rule(const Rule& r) {
  Json j = {{"name", r.name}, {"action", to_string(r.action)}};
  if (r.protocol) j["protocol"] = to_string(*r.protocol);
  Json ports = Json::array();
  for (const auto& p : r.ports) {
    ports.push_back(p.name.empty() ? Json{{"first", p.first}, {"last", p.last}} : Json{{"name", p.name}});
  }
  j["ports"] = ports;
  if (r.icmp) {
    Json icmp = Json::object();
    if (r.icmp->type) icmp["type"] = *r.icmp->type;
    if (r.icmp->code) icmp["code"] = *r.icmp->code;
    j["icmp"] = icmp;
  }
  j["peer"] = encode_peer(r.peer);
  return j;
}

// Reading: every failure is a message; decode_policy turns it into Errc::corrupt with the key.
Result<Selector> selector_field(const Json& j, std::string_view field) {
  auto t = json_string(j, field);
  if (!t) return std::unexpected(t.error());
  auto s = parse_selector(*t);
  if (!s) return fail(Errc::invalid_argument, field, ": ", s.error().message);
  return s;
}

Result<std::vector<Prefix>> prefixes(const Json& j, std::string_view field) {
  auto texts = json_string_list(j, field);
  if (!texts) return std::unexpected(texts.error());
  std::vector<Prefix> out;
  for (const auto& t : *texts) {
    auto p = Prefix::parse(t);
    if (!p) return fail(Errc::invalid_argument, field, ": ", p.error().message);
    out.push_back(*p);
  }
  return out;
}

Result<Peer> decode_peer(const Json& j) {
  if (!j.is_object()) return fail(Errc::invalid_argument, "peer is not an object");
  Peer p;
  for (auto [field, target] : {std::pair{"selector", &p.selector}, std::pair{"namespaceSelector", &p.namespace_selector}}) {
    if (!j.contains(field)) continue;
    auto s = selector_field(j, field);
    if (!s) return std::unexpected(s.error());
    *target = std::move(*s);
  }
  auto nets = prefixes(j, "nets");
  if (!nets) return std::unexpected(nets.error());
  auto not_nets = prefixes(j, "notNets");
  if (!not_nets) return std::unexpected(not_nets.error());
  p.nets = std::move(*nets);
  p.not_nets = std::move(*not_nets);
  return p;
}

Result<uint16_t> port_field(const Json& j, std::string_view field) {
  auto v = json_int(j, field);
  if (!v) return std::unexpected(v.error());
  if (*v < 0 || *v > 65535) return fail(Errc::invalid_argument, field, " is not a port");
  return static_cast<uint16_t>(*v);
}

Result<uint8_t> byte_field(const Json& j, std::string_view field) {
  auto v = json_int(j, field);
  if (!v) return std::unexpected(v.error());
  if (*v < 0 || *v > 255) return fail(Errc::invalid_argument, field, " is out of range");
  return static_cast<uint8_t>(*v);
}

Result<Rule> decode_rule(const Json& j) {
  if (!j.is_object()) return fail(Errc::invalid_argument, "rule is not an object");
  Rule r;
  auto name = json_string(j, "name");
  auto action = json_string(j, "action");
  if (!name) return std::unexpected(name.error());
  if (!action) return std::unexpected(action.error());
  r.name = *name;
  auto a = parse_action(*action);
  if (!a) return fail(Errc::invalid_argument, "bad action '", *action, "'");
  r.action = *a;
  if (j.contains("protocol")) {
    auto p = json_string(j, "protocol");
    if (!p) return std::unexpected(p.error());
    r.protocol = parse_protocol(*p);
    if (!r.protocol) return fail(Errc::invalid_argument, "bad protocol '", *p, "'");
  }
  if (j.contains("ports")) {
    if (!j["ports"].is_array()) return fail(Errc::invalid_argument, "ports is not a list");
    for (const auto& p : j["ports"]) {
      if (!p.is_object()) return fail(Errc::invalid_argument, "port is not an object");
      if (p.contains("name")) {
        auto n = json_string(p, "name");
        if (!n) return std::unexpected(n.error());
        r.ports.push_back(PortRange{.name = *n});
        continue;
      }
      auto first = port_field(p, "first");
      auto last = port_field(p, "last");
      if (!first) return std::unexpected(first.error());
      if (!last) return std::unexpected(last.error());
      r.ports.push_back(PortRange{.first = *first, .last = *last});
    }
  }
  if (j.contains("icmp")) {
    const Json& i = j["icmp"];
    if (!i.is_object()) return fail(Errc::invalid_argument, "icmp is not an object");
    Icmp icmp;
    if (i.contains("type")) {
      auto t = byte_field(i, "type");
      if (!t) return std::unexpected(t.error());
      icmp.type = *t;
    }
    if (i.contains("code")) {
      auto c = byte_field(i, "code");
      if (!c) return std::unexpected(c.error());
      icmp.code = *c;
    }
    r.icmp = icmp;
  }
  if (!j.contains("peer")) return fail(Errc::invalid_argument, "rule has no peer");
  auto peer = decode_peer(j["peer"]);
  if (!peer) return std::unexpected(peer.error());
  r.peer = std::move(*peer);
  return r;
}

Result<std::vector<Rule>> decode_rules(const Json& j, std::string_view field) {
  std::vector<Rule> out;
  if (!j.contains(field)) return out;
  if (!j[field].is_array()) return fail(Errc::invalid_argument, field, " is not a list");
  for (const auto& item : j[field]) {
    auto r = decode_rule(item);
    if (!r) return fail(Errc::invalid_argument, field, ": ", r.error().message);
    out.push_back(std::move(*r));
  }
  return out;
}

Result<Policy> decode(const Json& j) {
  if (!j.is_object()) return fail(Errc::invalid_argument, "not an object");
  Policy p;
  auto kind = json_string(j, "kind");
  if (!kind) return std::unexpected(kind.error());
  if (*kind == "NetworkPolicy") p.origin = Origin::kubernetes;
  else if (*kind == "Policy") p.origin = Origin::namespaced;
  else if (*kind == "GlobalPolicy") p.origin = Origin::global;
  else return fail(Errc::invalid_argument, "bad kind '", *kind, "'");
  auto ns = json_string_or(j, "namespace", "");
  auto name = json_string(j, "name");
  if (!ns) return std::unexpected(ns.error());
  if (!name) return std::unexpected(name.error());
  p.namespace_name = *ns;
  p.name = *name;
  if (!j.contains("order") || !j["order"].is_number()) return fail(Errc::invalid_argument, "order is not a number");
  p.order = j["order"].get<double>();
  auto selector = selector_field(j, "selector");
  if (!selector) return std::unexpected(selector.error());
  p.selector = std::move(*selector);
  auto types = json_string_list(j, "types");
  if (!types) return std::unexpected(types.error());
  for (const auto& t : *types) {
    if (t == "Ingress") p.ingress_applies = true;
    else if (t == "Egress") p.egress_applies = true;
    else return fail(Errc::invalid_argument, "bad type '", t, "'");
  }
  auto ingress = decode_rules(j, "ingress");
  if (!ingress) return std::unexpected(ingress.error());
  auto egress = decode_rules(j, "egress");
  if (!egress) return std::unexpected(egress.error());
  p.ingress = std::move(*ingress);
  p.egress = std::move(*egress);
  return p;
}

}  // namespace

Json encode(const Policy& p) {
  Json types = Json::array();
  if (p.ingress_applies) types.push_back("Ingress");
  if (p.egress_applies) types.push_back("Egress");
  Json ingress = Json::array(), egress = Json::array();
  for (const auto& r : p.ingress) ingress.push_back(encode_rule(r));
  for (const auto& r : p.egress) egress.push_back(encode_rule(r));
  Json j = {{"kind", to_string(p.origin)}, {"name", p.name},       {"order", p.order},     {"selector", to_string(p.selector)},
            {"types", types},             {"ingress", ingress},    {"egress", egress}};
  if (!p.namespace_name.empty()) j["namespace"] = p.namespace_name;
  return j;
}

Result<Policy> decode_policy(std::string_view key, std::string_view json_text) {
  auto j = parse_json(json_text);
  if (!j) return fail(Errc::corrupt, "policy ", key, ": ", j.error().message);
  auto p = decode(*j);
  if (!p) return fail(Errc::corrupt, "policy ", key, ": ", p.error().message);
  return p;
}

}  // namespace weft::policy
