#include "agent/config.h"

#include <yaml-cpp/yaml.h>

#include <charconv>
#include <fstream>
#include <optional>
#include <sstream>

#include "model/node.h"

namespace weft::agent {

Result<std::chrono::milliseconds> parse_duration(std::string_view text) {
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || value < 0) return fail(Errc::invalid_argument, "bad duration '", text, "'");
  std::string_view unit(end, static_cast<size_t>(text.data() + text.size() - end));
  int64_t ms_per_unit = 0;
  if (unit.empty() || unit == "s") ms_per_unit = 1000;
  else if (unit == "ms") ms_per_unit = 1;
  else if (unit == "m") ms_per_unit = 60 * 1000;
  else if (unit == "h") ms_per_unit = 3600 * 1000;
  else return fail(Errc::invalid_argument, "bad duration '", text, "' (units: ms, s, m, h)");
  // Bounded so that no unit conversion overflows, here (found by agent_config_fuzz: "leaseTtl:
  // 1359313031279935488s") or where a timer turns the interval into nanoseconds.
  constexpr int64_t kMaxMs = int64_t{100} * 365 * 24 * 3600 * 1000;
  if (value > kMaxMs / ms_per_unit) return fail(Errc::invalid_argument, "duration '", text, "' is over 100 years");
  return std::chrono::milliseconds(value * ms_per_unit);
}

namespace {

// yaml-cpp reports type errors by throwing; they are caught here, inside the module, and turned
// into a Result naming the field.
Result<void> read_fields(const YAML::Node& root, AgentConfig& c) {
  auto str = [&](const char* field, std::string& out) -> Result<void> {
    if (!root[field]) return {};
    if (!root[field].IsScalar()) return fail(Errc::invalid_argument, "config field '", field, "' must be a string");
    out = root[field].as<std::string>();
    return {};
  };
  auto duration = [&](const char* field) -> Result<std::optional<std::chrono::milliseconds>> {
    if (!root[field]) return std::nullopt;
    auto d = parse_duration(root[field].as<std::string>());
    if (!d) return fail(Errc::invalid_argument, "config field '", field, "': ", d.error().message);
    return *d;
  };
  for (auto [field, target] : std::initializer_list<std::pair<const char*, std::string*>>{
           {"store", &c.store_url}, {"tlsCa", &c.tls_ca}, {"tlsCert", &c.tls_cert}, {"tlsKey", &c.tls_key},
           {"nodeName", &c.node_name}, {"interface", &c.interface}, {"canReach", &c.can_reach},
           {"stateDir", &c.state_dir}, {"socket", &c.socket_path}, {"metricsAddress", &c.metrics_address},
           {"logLevel", &c.log_level}, {"dataplane", &c.dataplane}, {"bpfDir", &c.bpf_dir}}) {
    if (auto r = str(field, *target); !r) return r;
  }
  auto ttl = duration("leaseTtl");
  if (!ttl) return std::unexpected(ttl.error());
  if (*ttl) c.lease_ttl_seconds = std::chrono::duration_cast<std::chrono::seconds>(**ttl).count();
  auto interval = duration("reconcileInterval");
  if (!interval) return std::unexpected(interval.error());
  if (*interval) c.reconcile_interval = **interval;
  if (const auto vxlan = root["vxlan"]) {
    if (vxlan["vni"]) c.vxlan_vni = vxlan["vni"].as<uint32_t>();
    if (vxlan["port"]) c.vxlan_port = vxlan["port"].as<uint16_t>();
  }
  if (const auto labels = root["labels"]) {
    if (!labels.IsMap()) return fail(Errc::invalid_argument, "config field 'labels' must be a map");
    for (const auto& kv : labels) c.labels[kv.first.as<std::string>()] = kv.second.as<std::string>();
  }
  return {};
}

}  // namespace

Result<void> parse_config(std::string_view text, AgentConfig& config) {
  try {
    const YAML::Node root = YAML::Load(std::string(text));
    if (!root.IsMap()) return fail(Errc::invalid_argument, "expected a map of settings");
    return read_fields(root, config);
  } catch (const YAML::Exception& e) {
    return fail(Errc::invalid_argument, e.what());
  }
}

Result<void> load_config_file(const std::string& path, AgentConfig& config) {
  std::ifstream in(path);
  std::stringstream text;
  if (in) text << in.rdbuf();
  if (!in || in.bad()) return fail(Errc::io, "config ", path, ": cannot read the file");
  if (auto r = parse_config(text.str(), config); !r) return wrap(r.error(), "config " + path);
  return {};
}

Result<void> validate(const AgentConfig& c) {
  if (!model::valid_node_name(c.node_name)) {
    return fail(Errc::invalid_argument, "node name '", c.node_name, "' is not a host name");
  }
  if (c.interface.empty() == c.can_reach.empty()) {
    return fail(Errc::invalid_argument, "give exactly one of --interface and --can-reach to choose the underlay");
  }
  if (c.lease_ttl_seconds < 2) return fail(Errc::invalid_argument, "lease TTL must be at least 2 s");
  if (c.reconcile_interval < std::chrono::milliseconds(100)) {
    return fail(Errc::invalid_argument, "reconcile interval must be at least 100 ms");
  }
  if (c.vxlan_vni == 0 || c.vxlan_vni >= (1u << 24)) return fail(Errc::invalid_argument, "VXLAN VNI must be 1..16777215");
  if (c.vxlan_port == 0) return fail(Errc::invalid_argument, "VXLAN port must not be 0");
  if (c.dataplane != "auto" && c.dataplane != "kernel" && c.dataplane != "ebpf") {
    return fail(Errc::invalid_argument, "dataplane must be auto, kernel or ebpf, not '", c.dataplane, "'");
  }
  if (!c.bpf_dir.starts_with("/")) return fail(Errc::invalid_argument, "the BPF directory must be an absolute path");
  return {};
}

}  // namespace weft::agent
