// The JSON weft-cni prints: the ADD result, errors and VERSION, as the CNI spec lays them out for
// the configuration's cniVersion, and the reading back of a prevResult (CHECK). Pure.
//
// Result (1.0.0):
//   {"cniVersion": "1.0.0",
//    "interfaces": [{"name": "weft0123456789a", "mac": "ee:ee:ee:ee:ee:ee"},          host side
//                   {"name": "eth0", "mac": "..", "sandbox": "/run/netns/x"}],       container
//    "ips": [{"address": "198.19.1.5/32", "gateway": "169.254.1.1", "interface": 1}, ...],
//    "routes": [{"dst": "0.0.0.0/0", "gw": "169.254.1.1"}, {"dst": "::/0", "gw": "fe80::1"}],
//    "dns": {}}
// Chained plugins rely on it: portmap reads the container's ips, bandwidth finds the host side
// as the interface without a sandbox. For 0.3.x and 0.4.0 every ip also carries "version" ("4"
// or "6"), which those versions require; 1.1.0 adds the interfaces' "mtu".
// Errors: {"cniVersion": V, "code": N, "msg": "...", "details": "..."} on stdout, exit code 1.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/ip.h"
#include "base/json.h"
#include "cni/cni_config.h"

namespace weft::cni {

struct ResultInterface {
  std::string name;
  std::string mac;
  std::string sandbox{};  // empty: a host interface
  uint32_t mtu = 0;
  friend bool operator==(const ResultInterface&, const ResultInterface&) = default;
};

struct ResultIp {
  IpAddress address;
  int prefix_length = 32;
  std::optional<IpAddress> gateway = std::nullopt;
  int interface = -1;  // index into interfaces; -1: none
  friend bool operator==(const ResultIp&, const ResultIp&) = default;
};

struct ResultRoute {
  Prefix dst;
  std::optional<IpAddress> gw = std::nullopt;
  friend bool operator==(const ResultRoute&, const ResultRoute&) = default;
};

struct CniOutput {
  std::vector<ResultInterface> interfaces;
  std::vector<ResultIp> ips;
  std::vector<ResultRoute> routes;
  friend bool operator==(const CniOutput&, const CniOutput&) = default;
};

Json encode_result(const CniOutput& result, std::string_view cni_version);
// Reads a prevResult of any supported version; invalid_argument naming the field.
Result<CniOutput> decode_result(const Json& json);

Json encode_error(const CniError& error, std::string_view cni_version);
// {"cniVersion": V, "supportedVersions": [...]}; V is the requested version when supported.
Json encode_version_info(std::string_view requested);

}  // namespace weft::cni
