// Endpoint: a workload's interface as recorded in the store, the "handle" of its allocations
// (DESIGN.md "The model": node, container id, ifname, addresses, labels).
//
//   /weft/v1/endpoints/<node>/<containerId>-<ifname>   {"node": "h1", "containerId": "c1",
//        "ifname": "eth0", "netns": "/run/netns/x", "network": "weft", "podNamespace": "ns",
//        "podName": "p", "labels": {"app": "web"},
//        "ports": [{"name": "http", "port": 80, "protocol": "TCP"}], "hostVeth": "weft0123456789a",
//        "addresses": [{"address": "198.19.1.5", "pool": "lab", "block": "198.19.1.0/24"}],
//        "createdAt": 1700000000}
//
// Written in the same transaction as the allocations it names and deleted with them, so the two
// never disagree; no lease (it must survive its agent until DEL or garbage collection). The key
// is unambiguous because container ids and interface names are validated (ipam_protocol.h) and
// the value repeats both. decode_endpoint returns Errc::corrupt naming what is wrong.
//
// Identity for policy (issue 11): podNamespace (weft-cni fills in "default" when the runtime
// names none), podName, labels (model/labels.h rules) and named ports (model/named_port.h).
// Records written before any of these existed decode with them empty.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/ip.h"
#include "base/json.h"
#include "base/result.h"
#include "model/labels.h"
#include "model/named_port.h"

namespace weft::model {

struct EndpointAddress {
  IpAddress address;
  std::string pool;
  Prefix block;
  friend bool operator==(const EndpointAddress&, const EndpointAddress&) = default;
};

struct Endpoint {
  std::string node;
  std::string container_id;
  std::string ifname;
  std::string netns;
  std::string network;
  std::string pod_namespace;
  std::string pod_name;
  Labels labels;
  std::vector<NamedPort> ports;
  std::string host_veth;
  std::vector<EndpointAddress> addresses;
  int64_t created_at_unix = 0;
  friend bool operator==(const Endpoint&, const Endpoint&) = default;
};


Json encode(const Endpoint& endpoint);
// `key` names the record in messages.
Result<Endpoint> decode_endpoint(std::string_view key, std::string_view json_text);

}  // namespace weft::model
