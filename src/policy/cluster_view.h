// What the evaluator and the compiler need to know of the cluster besides the policies: the
// namespaces with their labels, and the endpoints with their identity, labels, addresses, named
// ports, host and host-side interface. The agent and the CLI build it from the store's records
// (model::Endpoint and the namespaces); the policy code never reads the store.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/ip.h"
#include "policy/policy.h"

namespace weft::policy {

// The label every namespace carries implicitly, as in Kubernetes.
inline constexpr std::string_view kNamespaceNameLabel = "kubernetes.io/metadata.name";

struct NamedPort {
  std::string name{};
  Protocol protocol = Protocol::tcp;
  uint16_t port = 0;
  friend bool operator==(const NamedPort&, const NamedPort&) = default;
};

struct EndpointInfo {
  std::string name{};            // the pod name (unique within its namespace)
  std::string namespace_name{};  // "default" when the runtime gave none
  Labels labels{};
  std::vector<IpAddress> addresses{};
  std::vector<NamedPort> ports{};
  std::string host{};       // the node it runs on
  std::string interface{};  // its host-side veth (what the compiler matches on)
  friend bool operator==(const EndpointInfo&, const EndpointInfo&) = default;
};

struct ClusterView {
  std::vector<Policy> policies{};
  std::map<std::string, Labels> namespaces{};  // name -> labels; a missing namespace has no labels
  std::vector<EndpointInfo> endpoints{};
  std::map<std::string, std::vector<IpAddress>> host_addresses{};  // node -> its own addresses
};

// A namespace's labels including the implicit name label.
Labels namespace_labels(const ClusterView& view, const std::string& namespace_name);
// Does `policy` apply to `endpoint` (its namespace, or any for a GlobalPolicy, and its selector)?
bool selects(const Policy& policy, const EndpointInfo& endpoint);
// Does the peer's endpoint part (selector, namespace selector) admit `endpoint`? True for a peer
// without selectors.
bool peer_admits_endpoint(const ClusterView& view, const Policy& policy, const Peer& peer, const EndpointInfo& endpoint);
// The same with the endpoint's namespace labels (namespace_labels()) already at hand.
bool peer_admits_endpoint(const Policy& policy, const Peer& peer, const EndpointInfo& endpoint, const Labels& endpoint_namespace_labels);
// Do the peer's nets and notNets admit `address`?
bool peer_admits_address(const Peer& peer, const IpAddress& address);
// The port a named port resolves to on `endpoint` for `protocol`.
std::optional<uint16_t> resolve_named_port(const EndpointInfo& endpoint, const std::string& name, Protocol protocol);

}  // namespace weft::policy
