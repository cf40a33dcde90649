// Pods through weft-cni, exactly as a container runtime does it: a conflist per host (the path
// `weft lab status` shows as cniConfig, so any runtime or test on that host can use the same
// file), then the plugin run in the host's namespace with CNI_COMMAND=ADD, CNI_CONTAINERID,
// CNI_NETNS, CNI_IFNAME and CNI_PATH in its environment and the network config on stdin.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "cli/lab/lab_state.h"
#include "model/labels.h"
#include "model/named_port.h"

namespace weft::cli::lab {

// <state dir>/<host>/cni/weft.conflist
std::string cni_conflist_path(const LabState& state, const Host& host);

// The weft-cni binary: $WEFT_CNI, else <dir of weftd>/../cni/weft-cni (the build tree), else
// weft-cni on PATH, else /opt/cni/bin/weft-cni.
std::optional<std::string> resolve_cni(const std::string& weftd);

// Writes the host's conflist: weft-cni, talking to that host's weftd socket.
Result<void> write_conflist(const std::string& path, const std::string& weftd_socket);

struct CniAttachment {
  std::vector<std::string> addresses;  // "198.19.7.1", "fd00:...:1"
  std::string host_veth;
};

// Who the pod is, as a runtime tells the plugin: CNI_ARGS K8S_POD_NAMESPACE and K8S_POD_NAME,
// args.cni.labels and args.cni.ports in the network configuration (cni/cni_config.h).
struct PodIdentity {
  std::string pod_namespace = "default";
  std::string pod_name;
  model::Labels labels;
  std::vector<model::NamedPort> ports;
};

// ADD for container `container_id` whose network namespace is `pod_netns`; errors carry the
// plugin's CNI error message.
Result<CniAttachment> cni_add(const std::string& plugin, const std::string& conflist, const std::string& host_netns,
                              const std::string& container_id, const std::string& pod_netns,
                              const PodIdentity& identity = {});
// DEL of that attachment (the addresses go back to weftd, the veth is removed).
Result<void> cni_del(const std::string& plugin, const std::string& conflist, const std::string& host_netns,
                     const std::string& container_id, const std::string& pod_netns);

}  // namespace weft::cli::lab
