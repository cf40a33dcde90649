#include "policy/model_view.h"

#include "policy/policy_codec.h"

namespace weft::policy {
namespace {

Protocol port_protocol(const std::string& name) {
  // model::NamedPort validates its protocol to TCP, UDP or SCTP.
  return parse_protocol(name).value_or(Protocol::tcp);
}

}  // namespace

EndpointInfo endpoint_info(const model::Endpoint& e) {
  EndpointInfo info{.name = e.pod_name.empty() ? e.container_id : e.pod_name,
                            .namespace_name = e.pod_namespace.empty() ? "default" : e.pod_namespace,
                            .labels = e.labels,
                            .host = e.node,
                            .interface = e.host_veth};
  for (const auto& a : e.addresses) info.addresses.push_back(a.address);
  for (const auto& p : e.ports) info.ports.push_back({.name = p.name, .protocol = port_protocol(p.protocol), .port = p.port});
  return info;
}

PolicyInputs policy_inputs(const model::ClusterModel& model) {
  PolicyInputs in;
  for (const auto& [key, text] : model.policy_records) {
    auto p = decode_policy(key, text);
    if (!p) {
      in.problems.push_back("policy " + key + ": " + p.error().message);
      continue;
    }
    in.view.policies.push_back(std::move(*p));
  }
  for (const auto& [name, ns] : model.namespaces) in.view.namespaces[name] = ns.labels;
  for (const auto& [key, e] : model.endpoints) in.view.endpoints.push_back(endpoint_info(e));
  for (const auto& [name, node] : model.nodes) {
    auto& own = in.view.host_addresses[name];
    for (const auto& a : node.addresses) own.push_back(a.address);
  }
  return in;
}

HostPolicy host_policy(const model::ClusterModel& model, const CompileOptions& options) {
  if (model.policy_records.empty()) return {};
  auto inputs = policy_inputs(model);
  return {.table = compile(inputs.view, options), .problems = std::move(inputs.problems)};
}

}  // namespace weft::policy
