#include "model/endpoint.h"

#include <tuple>

#include "model/keys.h"

namespace weft::model {


Json encode(const Endpoint& e) {
  Json addresses = Json::array();
  for (const auto& a : e.addresses) {
    addresses.push_back({{"address", a.address.to_string()}, {"pool", a.pool}, {"block", a.block.to_string()}});
  }
  return Json{{"node", e.node},
              {"containerId", e.container_id},
              {"ifname", e.ifname},
              {"netns", e.netns},
              {"network", e.network},
              {"podNamespace", e.pod_namespace},
              {"podName", e.pod_name},
              {"labels", e.labels},
              {"ports", encode_ports(e.ports)},
              {"hostVeth", e.host_veth},
              {"addresses", std::move(addresses)},
              {"createdAt", e.created_at_unix}};
}

Result<Endpoint> decode_endpoint(std::string_view key, std::string_view json_text) {
  auto corrupt = [key](std::string_view what) { return fail(Errc::corrupt, key, ": ", what); };
  auto json = parse_json(json_text);
  if (!json) return corrupt(json.error().message);
  if (!json->is_object()) return corrupt("value is not a JSON object");
  Endpoint e;
  for (auto [field, into, required] :
       {std::tuple{"node", &e.node, true}, std::tuple{"containerId", &e.container_id, true},
        std::tuple{"ifname", &e.ifname, true}, std::tuple{"netns", &e.netns, false},
        std::tuple{"network", &e.network, false}, std::tuple{"podNamespace", &e.pod_namespace, false},
        std::tuple{"podName", &e.pod_name, false}, std::tuple{"hostVeth", &e.host_veth, false}}) {
    auto s = required ? json_string(*json, field) : json_string_or(*json, field, "");
    if (!s) return corrupt(s.error().message);
    *into = std::move(*s);
  }
  auto created = json_int_or(*json, "createdAt", 0);
  if (!created) return corrupt(created.error().message);
  e.created_at_unix = *created;
  if (auto it = json->find("labels"); it != json->end() && !it->is_null()) {
    if (!it->is_object()) return corrupt("field 'labels' must be an object");
    for (const auto& item : it->items()) {
      if (!item.value().is_string()) return corrupt("label values must be strings");
      e.labels[item.key()] = item.value().get<std::string>();
    }
  }
  if (auto it = json->find("ports"); it != json->end()) {
    auto ports = decode_ports(*it);
    if (!ports) return corrupt(ports.error().message);
    e.ports = std::move(*ports);
  }
  auto it = json->find("addresses");
  if (it == json->end() || !it->is_array()) return corrupt("field 'addresses' must be a list");
  for (const auto& item : *it) {
    auto address = json_string(item, "address");
    auto pool = json_string(item, "pool");
    auto block = json_string(item, "block");
    for (const auto* r : {&address, &pool, &block}) {
      if (!*r) return corrupt(r->error().message);
    }
    auto ip = IpAddress::parse(*address);
    if (!ip) return corrupt(ip.error().message);
    auto prefix = Prefix::parse(*block);
    if (!prefix) return corrupt(prefix.error().message);
    if (!prefix->contains(*ip)) return corrupt(*address + " is outside its block " + *block);
    e.addresses.push_back({*ip, *pool, *prefix});
  }
  return e;
}

}  // namespace weft::model
