#include "model/namespace.h"

namespace weft::model {

bool valid_namespace_name(std::string_view name) { return valid_dns_label(name); }

Labels namespace_labels(std::string_view name, Labels labels) {
  labels[std::string(kNamespaceNameLabel)] = std::string(name);
  return labels;
}

Json encode(const Namespace& ns) {
  Json labels = Json::object();
  for (const auto& [k, v] : ns.labels) {
    if (k != kNamespaceNameLabel) labels[k] = v;
  }
  return Json{{"name", ns.name}, {"labels", std::move(labels)}};
}

Result<Namespace> decode_namespace(std::string_view json_text) {
  auto corrupt = [](std::string_view what) { return fail(Errc::corrupt, "namespace: ", what); };
  auto j = parse_json(json_text);
  if (!j) return corrupt(j.error().message);
  if (!j->is_object()) return corrupt("value is not a JSON object");
  auto name = json_string(*j, "name");
  if (!name) return corrupt(name.error().message);
  if (!valid_namespace_name(*name)) return corrupt("name '" + *name + "' is not a DNS label");
  Namespace ns{*name, {}};
  if (auto it = j->find("labels"); it != j->end() && !it->is_null()) {
    if (!it->is_object()) return corrupt("field 'labels' must be an object");
    for (const auto& [k, v] : it->items()) {
      if (!v.is_string()) return corrupt("label '" + k + "' is not a string");
      ns.labels[k] = v.get<std::string>();
    }
  }
  if (auto r = validate_labels(ns.labels); !r) return corrupt(r.error().message);
  ns.labels = namespace_labels(ns.name, std::move(ns.labels));
  return ns;
}

}  // namespace weft::model
