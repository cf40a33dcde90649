// Node: a host running weftd, as recorded in the store, and its liveness record.
// Pure values and JSON codecs; decode_* return Errc::corrupt naming what is wrong.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/ip.h"
#include "base/json.h"
#include "base/result.h"

namespace weft::model {

// An address on an interface together with its on-link prefix length ("198.18.1.2/24").
struct InterfaceAddress {
  IpAddress address;
  int prefix_length = 32;

  Prefix subnet() const { return Prefix(address, prefix_length); }
  std::string to_string() const;
  static Result<InterfaceAddress> parse(std::string_view text);
  friend bool operator==(const InterfaceAddress&, const InterfaceAddress&) = default;
};

struct Node {
  std::string name;
  std::vector<InterfaceAddress> addresses;  // underlay addresses
  std::map<std::string, std::string> labels;
  // The IPv6 link-local address of its underlay device: the next hop of direct IPv6 routes to
  // its blocks from nodes on the same segment (an IPv6 route cannot have an IPv4 next hop).
  std::optional<IpAddress> underlay_link_local;
  std::string vtep_mac;  // the MAC of its VXLAN device ("" when it has none); kept across restarts
  int mtu = 0;           // the MTU its workloads get (underlay MTU less encapsulation); 0: unknown
  // Problems its agent reports, e.g. "h3 (198.18.2.12) is not on-link: no direct route".
  std::vector<std::string> problems;
  std::string dataplane;  // how its agent carries IPIP: "kernel" or "ebpf" ("" from older agents)
  friend bool operator==(const Node&, const Node&) = default;
};

// Node names are host names: 1-253 of letters, digits, '-', '.', '_'; not starting with '-' or '.'.
bool valid_node_name(std::string_view name);

// The node's first IPv4 underlay address: where other nodes route to it (direct and VXLAN next
// hop, BGP router id and session address); nullopt when it has none.
std::optional<IpAddress> underlay_v4(const Node& node);

Json encode(const Node& node);
Result<Node> decode_node(std::string_view json_text);

// What /weft/v1/liveness/<node> holds: the lease its blocks hang on and when it was last renewed,
// so that listing every lease's expiry takes one read instead of one lease query per node.
struct NodeLiveness {
  std::string node;
  int64_t lease_id = 0;
  int64_t ttl_seconds = 0;
  int64_t renewed_at_unix = 0;  // seconds since the epoch, by the node's clock

  int64_t expires_at_unix() const { return renewed_at_unix + ttl_seconds; }
};

Json encode(const NodeLiveness& liveness);
Result<NodeLiveness> decode_liveness(std::string_view json_text);

}  // namespace weft::model
