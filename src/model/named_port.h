// NamedPort: a port a workload serves under a name ("http" = 80/TCP), so that a policy can allow
// "http" wherever each workload serves it (Kubernetes' named ports). Recorded in the endpoint,
// carried from weft-cni to weftd on the IPAM socket; one codec for both.
//
// Rules (Kubernetes'): a name is 1-15 characters of lower-case letters, digits and '-', with at
// least one letter, no '-' at either end and no "--"; the port is 1-65535; the protocol is TCP,
// UDP or SCTP (read in any case, kept upper-case). Names are unique within one workload.
// Errors are Errc::invalid_argument naming the offending value.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/json.h"
#include "base/result.h"

namespace weft::model {

struct NamedPort {
  std::string name;
  uint16_t port = 0;
  std::string protocol = "TCP";
  friend bool operator==(const NamedPort&, const NamedPort&) = default;
};

bool valid_port_name(std::string_view name);
// "tcp", "TCP", "Udp", ... -> "TCP" | "UDP" | "SCTP".
Result<std::string> parse_protocol(std::string_view text);
// "http=80/tcp" or "http=80" (TCP), as the lab's --port takes it.
Result<NamedPort> parse_named_port(std::string_view text);
// Checks each port and that names are unique.
Result<void> validate_ports(const std::vector<NamedPort>& ports);

// [{"name":"http","port":80,"protocol":"TCP"}]
Json encode_ports(const std::vector<NamedPort>& ports);
// The same list (protocol optional, default TCP); null reads as empty. Validated.
Result<std::vector<NamedPort>> decode_ports(const Json& list);

}  // namespace weft::model
