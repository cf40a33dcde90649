// The IPAM socket's protocol: what weft-cni asks weftd over its Unix socket, and the answers.
// Shared by both ends (DESIGN.md: the CNI plugin links no store code, so this library depends on
// base only).
//
// Transport: one request and one response per connection, each a single line of compact JSON
// ended by '\n' (JSON text never holds a raw newline), at most kMaxMessageBytes including the
// newline. The client writes its request and reads until the server closes the connection.
// That makes the socket usable by hand: `echo '{"v":1,"op":"status"}' | socat - UNIX:PATH`.
//
//   request  {"v":1,"op":"add","containerId":"c1","ifname":"eth0","netns":"/run/netns/x",
//             "network":"weft","podNamespace":"ns","podName":"p","labels":{"app":"web"},
//             "ports":[{"name":"http","port":80,"protocol":"TCP"}],"pools":["lab"]}
//            {"v":1,"op":"gc","validAttachments":[{"containerId":"c1","ifname":"eth0"}],
//             "graceSeconds":30}
//   response {"ok":true,"node":"h1","mtu":1450,"addresses":[{"address":"198.19.1.5",
//             "pool":"lab","block":"198.19.1.0/24"}]}
//            {"ok":false,"error":{"code":"exhausted","message":"pool lab has no free block"}}
//
// Contract: decode_* never throw and never accept what encode_* would not produce: unknown
// versions and ops, missing or mistyped fields, a container id or interface name that the CNI
// spec forbids (they become store key elements, so '/' and the like must never get through), and
// oversized messages are Errc::invalid_argument naming the field. Unknown fields are ignored
// (a newer peer may add some). Error codes travel as the names of weft::Errc ("not_found").
#pragma once

#include <compare>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/ip.h"
#include "base/result.h"
#include "model/named_port.h"

namespace weft::ipam::protocol {

inline constexpr int kVersion = 1;
inline constexpr size_t kMaxMessageBytes = size_t{4} << 20;  // a GC list of ~40k attachments
inline constexpr std::string_view kDefaultSocketPath = "/run/weft/weftd.sock";

enum class Op { add, del, check, gc, status };
std::string_view to_string(Op op);

struct Attachment {
  std::string container_id;
  std::string ifname;
  friend auto operator<=>(const Attachment&, const Attachment&) = default;
  friend bool operator==(const Attachment&, const Attachment&) = default;
};

struct Request {
  Op op = Op::status;
  // add, del, check: the attachment, keyed as the CNI spec keys state.
  std::string container_id{};
  std::string ifname{};
  // add: recorded in the endpoint.
  std::string netns{};
  std::string network{};
  std::string pod_namespace{};
  std::string pod_name{};
  std::map<std::string, std::string> labels{};
  std::vector<model::NamedPort> ports{};
  std::vector<std::string> pools{};  // add: only these pools (empty: every pool)
  // gc: every attachment the runtime still has; the node's others are released.
  std::vector<Attachment> valid_attachments{};
  int64_t grace_seconds = -1;  // gc: spare allocations younger than this; -1: weftd's default
  friend bool operator==(const Request&, const Request&) = default;
};

struct AssignedAddress {
  IpAddress address{};
  std::string pool{};
  Prefix block{};
  friend bool operator==(const AssignedAddress&, const AssignedAddress&) = default;
};

struct Response {
  std::optional<Error> error = std::nullopt;  // set: the request failed
  std::string node{};
  uint32_t mtu = 0;                           // add, check: the node's workload MTU (0: unknown)
  std::vector<AssignedAddress> addresses{};   // add, check: at most one per family
  std::vector<Attachment> released{};         // gc: what was released
  bool ready = false;                         // status
  std::string detail{};                       // status: why not ready, or a summary

  bool ok() const { return !error.has_value(); }
  static Response failure(Error e) { return Response{.error = std::move(e)}; }
};

// Each returns one line ending in '\n'.
std::string encode(const Request& request);
std::string encode(const Response& response);
Result<Request> decode_request(std::string_view line);
Result<Response> decode_response(std::string_view line);

// The Errc a code name stands for ("not_found"); nullopt for an unknown name.
std::optional<Errc> parse_errc(std::string_view name);
std::string_view errc_name(Errc code);

// The CNI spec's rules: a container id starts with an alphanumeric character followed by
// alphanumerics, '_', '.' or '-' (we also cap it at 256 bytes); an interface name is 1-15 bytes,
// not "." or "..", without '/', ':' or whitespace.
bool valid_container_id(std::string_view id);
bool valid_ifname(std::string_view name);

// The host side of an attachment's veth: "weft" + 11 hex digits of a 64-bit FNV-1a hash of
// container id, a NUL and ifname. 15 characters (IFNAMSIZ-1), stable across runs and builds, so
// that DEL, GC and weftd's sweeper find the device from the attachment alone.
std::string host_veth_name(std::string_view container_id, std::string_view ifname);

}  // namespace weft::ipam::protocol
