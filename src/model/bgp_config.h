// BGP settings kept in the store for pools with `routes: bgp` (DESIGN.md "The model"), and the
// session status each weftd publishes. Pure values and JSON codecs; decode_* return Errc::corrupt
// naming what is wrong, validate_* return Errc::invalid_argument with a message for the operator.
//
//   /weft/v1/bgp/config           BgpGlobal: the cluster's AS number, node-to-node mesh on/off
//   /weft/v1/bgp/nodes/<node>     BgpNodeConfig: a node's own AS number (overrides the global one)
//   /weft/v1/bgp/peers/<name>     BgpPeer: an external peer (a top-of-rack router, a reflector)
//   /weft/v1/bgp/status/<node>    BgpNodeStatus: written by that node's weftd, attached to its
//                                 lease (it vanishes with the node)
//
// Which nodes reflect: those labelled kRouteReflectorLabel=true (weftd --label). When there are
// any, the other nodes peer only with them; otherwise every node peers with every other one.
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

inline constexpr uint32_t kDefaultAsNumber = 64512;
inline constexpr std::string_view kRouteReflectorLabel = "weft.io/route-reflector";

struct BgpGlobal {
  uint32_t as_number = kDefaultAsNumber;
  bool node_mesh = true;  // false: nodes peer only with the external peers configured for them
  // TCP MD5 (RFC 2385) on every node-to-node session; "" none. Stored as is (the store's access
  // control protects it); never printed by the CLI or logged.
  std::string node_mesh_password;
  friend bool operator==(const BgpGlobal&, const BgpGlobal&) = default;
};

struct BgpNodeConfig {
  std::string node;
  uint32_t as_number = 0;
  friend bool operator==(const BgpNodeConfig&, const BgpNodeConfig&) = default;
};

// A label selector: every term must hold. Terms: `key=value`, `key!=value`, `key` (has the
// label), `!key` (lacks it); separated by commas.
struct LabelTerm {
  enum class Op { equals, not_equals, exists, absent };
  std::string key;
  Op op = Op::equals;
  std::string value;
  friend bool operator==(const LabelTerm&, const LabelTerm&) = default;
};
using LabelSelector = std::vector<LabelTerm>;
Result<LabelSelector> parse_selector(std::string_view text);
// A TCP MD5 key as Linux takes it: at most 80 bytes (TCP_MD5SIG_MAXKEYLEN), printable ASCII here.
Result<void> validate_md5_password(std::string_view password);
bool matches(const LabelSelector& selector, const std::map<std::string, std::string>& labels);

// Which learned routes an external peer gets besides this node's own blocks (which always go).
enum class ExportMode {
  pools,  // every route inside a bgp pool, learned ones too, with this node as next hop (Calico's)
  own,    // only the node's own blocks (and the peer's `exports`)
};
std::string_view to_string(ExportMode mode);
Result<ExportMode> parse_export_mode(std::string_view text);

struct BgpPeer {
  std::string name;
  IpAddress address;
  uint32_t as_number = 0;
  std::string node;           // only this node peers with it; or
  std::string node_selector;  // the nodes whose labels match; neither: every node
  std::string password;       // TCP MD5 (RFC 2385); stored as is, readable by whoever reads the store
  std::vector<Prefix> accept; // prefixes accepted from it besides the pools
  // The session's own end: the source address of the connection (default: the kernel's choice
  // by route, i.e. the node's address on the link towards the peer).
  std::optional<IpAddress> local_address;
  // The NEXT_HOP advertised, at most one per family (default: the session's local address for
  // IPv4 routes, the node's underlay link-local address for IPv6 routes).
  std::vector<IpAddress> next_hop_self;
  // IP TTL of the session's packets; 0: 1 for eBGP (directly connected, as BIRD and FRR expect),
  // the system default for iBGP. Multihop eBGP needs more (`--multihop` is 255).
  uint8_t ttl = 0;
  ExportMode export_mode = ExportMode::pools;
  std::vector<Prefix> exports;  // learned routes inside these are exported to it too
  friend bool operator==(const BgpPeer&, const BgpPeer&) = default;
};

// The default name of a peer: its address with '.' and ':' as '-' ("198-18-0-1").
std::string default_peer_name(const IpAddress& address);

// AS numbers 1..4294967295 except 23456 (AS_TRANS, RFC 6793).
Result<void> validate_as_number(int64_t as_number);
Result<void> validate(const BgpPeer& peer);

// The last NOTIFICATION a session sent or received (RFC 4271 §4.5), in numbers and in words.
struct BgpNotificationStatus {
  std::string direction;     // "sent" or "received"
  uint8_t code = 0;
  uint8_t subcode = 0;
  std::string text;          // "Cease / Administrative Shutdown", with a shutdown message if any
  int64_t at_unix = 0;
  friend bool operator==(const BgpNotificationStatus&, const BgpNotificationStatus&) = default;
};

struct BgpSessionStatus {
  std::string peer;          // the node or external peer name
  std::string kind;          // "mesh", "reflector", "rr-client", "external"
  IpAddress address;
  uint32_t as_number = 0;
  std::string state;         // RFC 4271 state name: Idle, Connect, Active, OpenSent, OpenConfirm, Established
  int64_t established_at_unix = 0;  // 0 while not established
  uint64_t received = 0;     // prefixes it announces
  // Of those, the ones in the RIB (inside the import filter, usable next hop). Records from a
  // weftd before this field counted only these as received: they decode with accepted = received.
  uint64_t accepted = 0;
  uint64_t advertised = 0;   // prefixes sent to it
  std::string last_error;
  std::optional<BgpNotificationStatus> last_notification;
  friend bool operator==(const BgpSessionStatus&, const BgpSessionStatus&) = default;
};

struct BgpNodeStatus {
  std::string node;
  uint32_t as_number = 0;
  std::string router_id;
  bool route_reflector = false;
  int64_t updated_at_unix = 0;
  std::vector<BgpSessionStatus> sessions;
  friend bool operator==(const BgpNodeStatus&, const BgpNodeStatus&) = default;
};

Json encode(const BgpGlobal& global);
Json encode(const BgpNodeConfig& config);
Json encode(const BgpPeer& peer);
Json encode(const BgpNodeStatus& status);
Result<BgpGlobal> decode_bgp_global(std::string_view json_text);
Result<BgpNodeConfig> decode_bgp_node_config(std::string_view json_text);
Result<BgpPeer> decode_bgp_peer(std::string_view json_text);
Result<BgpNodeStatus> decode_bgp_status(std::string_view json_text);

}  // namespace weft::model
