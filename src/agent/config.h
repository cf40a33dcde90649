// weftd's configuration: a YAML file (--config) overridden by flags. Every field has a named
// default here; parse errors name the field and what was expected.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "base/result.h"

namespace weft::agent {

struct AgentConfig {
  std::string store_url = "etcd://127.0.0.1:2379";
  std::string tls_ca, tls_cert, tls_key;
  std::string node_name;                 // default: the host name
  std::string interface;                 // the underlay device, or
  std::string can_reach;                 // an address whose route picks the underlay device
  std::string state_dir = "/var/lib/weft";
  std::string socket_path = "/run/weft/weftd.sock";
  std::string metrics_address = "127.0.0.1:9099";  // HOST:PORT, unix:PATH, or "none"
  int64_t lease_ttl_seconds = 24 * 3600;
  std::chrono::milliseconds reconcile_interval{10000};
  uint32_t vxlan_vni = 4096;
  uint16_t vxlan_port = 4789;
  // How IPIP pools are carried: "kernel" (the ipip module's tunl0), "ebpf" (weft's tc programs),
  // or "auto" (kernel when tunl0 exists, else ebpf).
  std::string dataplane = "auto";
  std::string bpf_dir = "/sys/fs/bpf/weft";  // where the eBPF data path's maps and programs are pinned
  std::map<std::string, std::string> labels;
  std::string log_level = "info";
};

// Reads a YAML config file into `config` (fields absent from the file keep their values).
// Errc::io when the file cannot be read; invalid_argument, prefixed "config PATH: ", otherwise.
Result<void> load_config_file(const std::string& path, AgentConfig& config);

// The same for the file's text (what the file reader and the fuzz target share). Never throws:
// any YAML or type error is Errc::invalid_argument naming the field or the line. On error,
// fields read before the bad one may already be set.
Result<void> parse_config(std::string_view text, AgentConfig& config);

// Parses "30", "30s", "5m", "24h", "500ms" into a duration of at most 100 years;
// invalid_argument otherwise.
Result<std::chrono::milliseconds> parse_duration(std::string_view text);

// Checks the assembled configuration (after file and flags).
Result<void> validate(const AgentConfig& config);

}  // namespace weft::agent
