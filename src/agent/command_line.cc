#include "agent/command_line.h"

#include <CLI/CLI.hpp>

namespace weft::agent {

Result<CommandLine> parse_command_line(int argc, const char* const* argv, const std::string& default_node_name) {
  AgentConfig config;
  config.node_name = default_node_name;

  CLI::App app{"weftd: the weft node agent"};
  std::string config_file, lease_ttl, reconcile_interval;
  std::vector<std::string> labels;
  app.add_option("--config", config_file, "YAML config file (flags override it)");
  // Options are parsed into temporaries first so that the file can be applied underneath them.
  AgentConfig flags;
  auto* store = app.add_option("--store", flags.store_url, "etcd://HOST:PORT[,...] or file:PATH");
  auto* node = app.add_option("--node-name", flags.node_name, "this node's name (default: host name)");
  auto* iface = app.add_option("--interface", flags.interface, "the underlay device");
  auto* reach = app.add_option("--can-reach", flags.can_reach, "choose the underlay by the route to this address");
  auto* state = app.add_option("--state-dir", flags.state_dir, "local state directory");
  auto* socket = app.add_option("--socket", flags.socket_path, "IPAM socket for weft-cni");
  auto* metrics = app.add_option("--metrics-address", flags.metrics_address, "HOST:PORT, unix:PATH or none");
  app.add_option("--lease-ttl", lease_ttl, "block lease TTL (e.g. 24h, 60s)");
  app.add_option("--reconcile-interval", reconcile_interval, "periodic reconcile (e.g. 10s)");
  auto* vni = app.add_option("--vxlan-vni", flags.vxlan_vni, "VXLAN network identifier");
  auto* port = app.add_option("--vxlan-port", flags.vxlan_port, "VXLAN UDP port");
  auto* dataplane = app.add_option("--dataplane", flags.dataplane, "IPIP data plane: auto, kernel (tunl0) or ebpf");
  auto* bpf_dir = app.add_option("--bpf-dir", flags.bpf_dir, "where eBPF maps and programs are pinned (a bpffs path)");
  app.add_option("--label", labels, "node label KEY=VALUE (repeatable)");
  auto* level = app.add_option("--log-level", flags.log_level, "trace, debug, info, warn, error");
  auto* tls_ca = app.add_option("--tls-ca", flags.tls_ca, "etcd CA certificate");
  auto* tls_cert = app.add_option("--tls-cert", flags.tls_cert, "etcd client certificate");
  auto* tls_key = app.add_option("--tls-key", flags.tls_key, "etcd client key");
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {  // --help
    app.exit(e);
    return CommandLine{config, 0};
  } catch (const CLI::ParseError& e) {
    return fail(Errc::invalid_argument, e.what());
  }

  if (!config_file.empty()) {
    // Unreadable or malformed: a usage error like a bad flag (weftd exits 2).
    if (auto r = load_config_file(config_file, config); !r) return fail(Errc::invalid_argument, r.error().message);
  }
  auto take = [](CLI::Option* opt, auto& into, const auto& from) {
    if (opt->count() > 0) into = from;
  };
  take(store, config.store_url, flags.store_url);
  take(node, config.node_name, flags.node_name);
  take(iface, config.interface, flags.interface);
  take(reach, config.can_reach, flags.can_reach);
  take(state, config.state_dir, flags.state_dir);
  take(socket, config.socket_path, flags.socket_path);
  take(metrics, config.metrics_address, flags.metrics_address);
  take(vni, config.vxlan_vni, flags.vxlan_vni);
  take(port, config.vxlan_port, flags.vxlan_port);
  take(level, config.log_level, flags.log_level);
  take(dataplane, config.dataplane, flags.dataplane);
  take(bpf_dir, config.bpf_dir, flags.bpf_dir);
  take(tls_ca, config.tls_ca, flags.tls_ca);
  take(tls_cert, config.tls_cert, flags.tls_cert);
  take(tls_key, config.tls_key, flags.tls_key);
  for (const auto& label : labels) {
    auto eq = label.find('=');
    if (eq == std::string::npos) return fail(Errc::invalid_argument, "--label ", label, ": expected KEY=VALUE");
    config.labels[label.substr(0, eq)] = label.substr(eq + 1);
  }
  for (auto [text, seconds] : {std::pair{&lease_ttl, true}, std::pair{&reconcile_interval, false}}) {
    if (text->empty()) continue;
    auto d = parse_duration(*text);
    if (!d) return std::unexpected(d.error());
    if (seconds) {
      config.lease_ttl_seconds = std::chrono::duration_cast<std::chrono::seconds>(*d).count();
    } else {
      config.reconcile_interval = *d;
    }
  }
  if (auto r = validate(config); !r) return std::unexpected(r.error());
  return CommandLine{config, std::nullopt};
}

}  // namespace weft::agent
