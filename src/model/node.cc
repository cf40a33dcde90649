#include "model/node.h"

#include <charconv>

namespace weft::model {

std::string InterfaceAddress::to_string() const {
  return address.to_string() + "/" + std::to_string(prefix_length);
}

Result<InterfaceAddress> InterfaceAddress::parse(std::string_view text) {
  auto slash = text.find('/');
  if (slash == std::string_view::npos) {
    return fail(Errc::invalid_argument, "interface address '", text, "' needs a prefix length");
  }
  auto address = IpAddress::parse(text.substr(0, slash));
  if (!address) return std::unexpected(address.error());
  auto length_text = text.substr(slash + 1);
  int length = -1;
  auto [end, ec] = std::from_chars(length_text.data(), length_text.data() + length_text.size(), length);
  if (ec != std::errc() || end != length_text.data() + length_text.size() || length < 0 ||
      length > address->bit_width()) {
    return fail(Errc::invalid_argument, "interface address '", text, "' has a bad prefix length");
  }
  return InterfaceAddress{*address, length};
}

std::optional<IpAddress> underlay_v4(const Node& node) {
  for (const auto& a : node.addresses) {
    if (a.address.is_v4()) return a.address;
  }
  return std::nullopt;
}

bool valid_node_name(std::string_view name) {
  if (name.empty() || name.size() > 253 || name.front() == '-' || name.front() == '.') return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '.' || c == '_';
    if (!ok) return false;
  }
  return true;
}

Json encode(const Node& node) {
  Json addresses = Json::array();
  for (const auto& a : node.addresses) addresses.push_back(a.to_string());
  Json labels = Json::object();
  for (const auto& [k, v] : node.labels) labels[k] = v;
  Json j = {{"name", node.name}, {"addresses", addresses}, {"labels", labels}};
  if (node.underlay_link_local) j["underlayLinkLocal"] = node.underlay_link_local->to_string();
  if (!node.vtep_mac.empty()) j["vtepMac"] = node.vtep_mac;
  if (node.mtu != 0) j["mtu"] = node.mtu;
  if (!node.problems.empty()) j["problems"] = node.problems;
  if (!node.dataplane.empty()) j["dataplane"] = node.dataplane;
  return j;
}

Result<Node> decode_node(std::string_view json_text) {
  auto corrupt = [](std::string_view what) { return fail(Errc::corrupt, "node: ", what); };
  auto j = parse_json(json_text);
  if (!j) return corrupt(j.error().message);
  auto name = json_string(*j, "name");
  if (!name) return corrupt(name.error().message);
  if (!valid_node_name(*name)) return corrupt("name '" + *name + "' is not a host name");
  Node node{*name, {}, {}};
  if (auto it = j->find("addresses"); it != j->end() && !it->is_null()) {
    if (!it->is_array()) return corrupt("field 'addresses' must be a list");
    for (const auto& a : *it) {
      if (!a.is_string()) return corrupt("an address is not a string");
      auto parsed = InterfaceAddress::parse(a.get<std::string>());
      if (!parsed) return corrupt(parsed.error().message);
      node.addresses.push_back(*parsed);
    }
  }
  if (auto it = j->find("labels"); it != j->end() && !it->is_null()) {
    if (!it->is_object()) return corrupt("field 'labels' must be an object");
    for (const auto& [k, v] : it->items()) {
      if (!v.is_string()) return corrupt("label '" + k + "' is not a string");
      node.labels[k] = v.get<std::string>();
    }
  }
  auto link_local = json_string_or(*j, "underlayLinkLocal", "");
  if (!link_local) return corrupt(link_local.error().message);
  if (!link_local->empty()) {
    auto a = IpAddress::parse(*link_local);
    if (!a || a->is_v4()) return corrupt("field 'underlayLinkLocal' must be an IPv6 address");
    node.underlay_link_local = *a;
  }
  auto vtep_mac = json_string_or(*j, "vtepMac", "");
  if (!vtep_mac) return corrupt(vtep_mac.error().message);
  node.vtep_mac = *vtep_mac;
  auto mtu = json_int_or(*j, "mtu", 0);
  if (!mtu || *mtu < 0 || *mtu > 65535) return corrupt("field 'mtu' must be 0..65535");
  node.mtu = static_cast<int>(*mtu);
  auto dataplane = json_string_or(*j, "dataplane", "");
  if (!dataplane) return corrupt(dataplane.error().message);
  node.dataplane = *dataplane;
  if (auto it = j->find("problems"); it != j->end() && !it->is_null()) {
    if (!it->is_array()) return corrupt("field 'problems' must be a list");
    for (const auto& p : *it) {
      if (!p.is_string()) return corrupt("a problem is not a string");
      node.problems.push_back(p.get<std::string>());
    }
  }
  return node;
}

Json encode(const NodeLiveness& l) {
  return {{"node", l.node},
          {"leaseId", l.lease_id},
          {"ttlSeconds", l.ttl_seconds},
          {"renewedAt", l.renewed_at_unix}};
}

Result<NodeLiveness> decode_liveness(std::string_view json_text) {
  auto j = parse_json(json_text);
  if (!j) return fail(Errc::corrupt, "liveness: ", j.error().message);
  auto node = json_string(*j, "node");
  auto lease = json_int(*j, "leaseId");
  auto ttl = json_int(*j, "ttlSeconds");
  auto renewed = json_int(*j, "renewedAt");
  for (const Error* e : {node ? nullptr : &node.error(), lease ? nullptr : &lease.error(),
                         ttl ? nullptr : &ttl.error(), renewed ? nullptr : &renewed.error()}) {
    if (e != nullptr) return fail(Errc::corrupt, "liveness: ", e->message);
  }
  return NodeLiveness{*node, *lease, *ttl, *renewed};
}

}  // namespace weft::model
