#include "policy/cluster_view.h"

#include <algorithm>

namespace weft::policy {

Labels namespace_labels(const ClusterView& view, const std::string& namespace_name) {
  Labels out;
  if (auto it = view.namespaces.find(namespace_name); it != view.namespaces.end()) out = it->second;
  out[std::string(kNamespaceNameLabel)] = namespace_name;
  return out;
}

bool selects(const Policy& policy, const EndpointInfo& endpoint) {
  if (policy.origin != Origin::global && policy.namespace_name != endpoint.namespace_name) return false;
  return matches(policy.selector, endpoint.labels);
}

bool peer_admits_endpoint(const ClusterView& view, const Policy& policy, const Peer& peer, const EndpointInfo& endpoint) {
  if (!peer.matches_endpoints_only()) return true;
  return peer_admits_endpoint(policy, peer, endpoint, namespace_labels(view, endpoint.namespace_name));
}

bool peer_admits_endpoint(const Policy& policy, const Peer& peer, const EndpointInfo& endpoint, const Labels& endpoint_namespace_labels) {
  if (!peer.matches_endpoints_only()) return true;
  if (peer.namespace_selector) {
    if (!matches(*peer.namespace_selector, endpoint_namespace_labels)) return false;
  } else if (policy.origin != Origin::global && endpoint.namespace_name != policy.namespace_name) {
    return false;
  }
  return !peer.selector || matches(*peer.selector, endpoint.labels);
}

bool peer_admits_address(const Peer& peer, const IpAddress& address) {
  const auto in = [&](const Prefix& p) { return p.contains(address); };
  if (!peer.nets.empty() && std::none_of(peer.nets.begin(), peer.nets.end(), in)) return false;
  return std::none_of(peer.not_nets.begin(), peer.not_nets.end(), in);
}

std::optional<uint16_t> resolve_named_port(const EndpointInfo& endpoint, const std::string& name, Protocol protocol) {
  for (const auto& p : endpoint.ports) {
    if (p.name == name && p.protocol == protocol) return p.port;
  }
  return std::nullopt;
}

}  // namespace weft::policy
