// What a container runtime hands weft-cni: the CNI_* environment and the network configuration
// on stdin (CNI spec 1.0.0, plus GC and STATUS of 1.1.0), parsed into plain values. Pure: no
// kernel, no socket; unit-tested with tables.
//
// Contract: every failure is a CniError carrying the spec's well-known code:
//   1 incompatible cniVersion, 4 invalid or missing CNI_* variable (the message names it),
//   6 stdin is not decodable JSON, 7 a field of the network configuration is wrong (named).
// Nothing here throws.
//
// Network configuration fields weft-cni reads (others are ignored, as the spec asks):
//   cniVersion, name, type                  required
//   socket      weftd's IPAM socket          default /run/weft/weftd.sock
//   mtu         the workload MTU             default: the node's, from weftd
//   pools       ["pool", ...]                default: every pool of each family
//   timeoutSeconds  for weftd's answer       default 30
//   gcGraceSeconds  GC spares younger attachments (default: weftd's)
//   args.cni.labels [{"key":..,"value":..}]  and runtimeConfig.labels ({..} or the same list):
//                                            recorded in the endpoint (Kubernetes label syntax)
//   args.cni.ports [{"name":..,"port":..,"protocol":..}]  and runtimeConfig.portMappings entries
//                                            that carry a "name" (containerPort is the port):
//                                            the workload's named ports, recorded in the endpoint
//
// CNI_ARGS K8S_POD_NAMESPACE (default "default") and K8S_POD_NAME name the workload; on ADD the
// namespace must be a DNS label and the name a DNS subdomain (code 4 otherwise).
//   prevResult (DEL, CHECK), cni.dev/valid-attachments (GC; libcni's older name
//   cni.dev/attachments too)
#pragma once

#include <cstdint>
#include <expected>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/json.h"
#include "ipam/ipam_protocol.h"
#include "model/named_port.h"

namespace weft::cni {

// The spec's well-known error codes.
namespace code {
inline constexpr int kIncompatibleVersion = 1;
inline constexpr int kUnsupportedField = 2;
inline constexpr int kUnknownContainer = 3;
inline constexpr int kInvalidEnvironment = 4;
inline constexpr int kIoFailure = 5;
inline constexpr int kDecodeFailure = 6;
inline constexpr int kInvalidConfig = 7;
inline constexpr int kTryAgainLater = 11;
inline constexpr int kPluginUnavailable = 50;  // STATUS (1.1.0)
inline constexpr int kOther = 999;
}  // namespace code

struct CniError {
  int code = code::kOther;
  std::string msg;
  std::string details{};
};

template <class T>
using CniResult = std::expected<T, CniError>;

enum class Command { add, del, check, version, gc, status };

// Oldest first. 0.3.0 brought the result type weft-cni emits; 1.1.0 added GC and STATUS.
inline constexpr std::string_view kSupportedVersions[] = {"0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"};
bool version_supported(std::string_view version);
// <0, 0, >0 like strcmp, for dotted versions ("0.4.0" < "1.0.0"); unparsable parts count as 0.
int compare_versions(std::string_view a, std::string_view b);

struct Environment {
  Command command = Command::version;
  std::string container_id{};
  std::string netns{};
  std::string ifname{};
  std::map<std::string, std::string> args{};  // CNI_ARGS
  std::string pod_namespace{"default"};       // K8S_POD_NAMESPACE
  std::string pod_name{};                     // K8S_POD_NAME
};

using Getenv = std::function<std::optional<std::string>(std::string_view name)>;

// Checks what the command needs: ADD and CHECK need CNI_CONTAINERID, CNI_NETNS, CNI_IFNAME; DEL
// needs CNI_CONTAINERID and CNI_IFNAME (the namespace may be gone already); VERSION, GC and
// STATUS need none.
CniResult<Environment> parse_environment(const Getenv& getenv);

struct NetConf {
  std::string cni_version;
  std::string name;
  std::string type;
  std::string socket{ipam::protocol::kDefaultSocketPath};
  uint32_t mtu = 0;
  std::vector<std::string> pools{};
  std::map<std::string, std::string> labels{};
  std::vector<model::NamedPort> ports{};
  int timeout_seconds = 30;
  int64_t gc_grace_seconds = -1;
  std::optional<Json> prev_result{};
  std::vector<ipam::protocol::Attachment> valid_attachments{};
};

CniResult<NetConf> parse_netconf(std::string_view stdin_text);

// The version a VERSION request names on stdin ("" when stdin is empty or has none).
std::string requested_version(std::string_view stdin_text);

}  // namespace weft::cni
