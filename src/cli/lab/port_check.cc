// weft lab check --tcp P,... [--udp P,...]: a listener on those ports in every pod, a real
// connection for every ordered pair of pods (a pod to itself included) and port
// (cli/lab/port_probe.h), and the matrix the Kubernetes network-policy test tools print: one per
// protocol and port, rows "from", columns "to", '.' allowed and 'X' blocked. It reports what the
// network does; it judges nothing, so it exits 0 whenever the probes ran.
#include <unistd.h>

#include <iostream>
#include <map>
#include <tuple>

#include "cli/lab/commands.h"
#include "cli/lab/port_probe.h"
#include "cli/table.h"

namespace weft::cli::lab {
namespace {

struct PodTarget {
  const PodRecord* pod;
  IpAddress v4;
};

std::vector<PodTarget> v4_pods(const LabState& state) {
  std::vector<PodTarget> out;
  for (const auto& pod : state.pods) {
    for (const auto& a : pod.addresses) {
      auto ip = IpAddress::parse(a);
      if (ip && ip->is_v4()) {
        out.push_back({&pod, *ip});
        break;
      }
    }
  }
  return out;
}

struct PortSpec {
  ProbeProtocol protocol;
  uint16_t port;
};

void print_matrices(const std::vector<PodTarget>& pods, const std::vector<PortSpec>& ports, const std::vector<Probe>& probes) {
  // probes are laid out from-major, then to, then port (see port_check below).
  const size_t n = pods.size(), k = ports.size();
  for (size_t pi = 0; pi < k; ++pi) {
    std::vector<std::string> header{std::string(to_string(ports[pi].protocol)) + "/" + std::to_string(ports[pi].port)};
    for (const auto& to : pods) header.push_back(to.pod->name);
    Table table(header);
    for (size_t f = 0; f < n; ++f) {
      std::vector<std::string> row{pods[f].pod->name};
      for (size_t t = 0; t < n; ++t) row.push_back(probes[(f * n + t) * k + pi].allowed ? "." : "X");
      table.add(std::move(row));
    }
    table.print(std::cout);
    std::cout << '\n';
  }
}

}  // namespace

int port_check(const std::string& state_dir, const CheckOptions& options, Context& ctx) {
  if (::geteuid() != 0) {
    return report(Error{Errc::invalid_argument, "weft lab check needs root (it enters the pods' namespaces)"});
  }
  auto state = load_existing_lab(state_dir);
  if (!state) return report(state.error());
  const auto pods = v4_pods(*state);
  if (pods.empty()) return report(Error{Errc::not_found, "the lab has no pod with an IPv4 address: nothing to check"});

  std::vector<PortSpec> ports;
  for (int p : options.tcp) ports.push_back({ProbeProtocol::tcp, static_cast<uint16_t>(p)});
  for (int p : options.udp) ports.push_back({ProbeProtocol::udp, static_cast<uint16_t>(p)});
  std::vector<Listener> listeners;
  for (const auto& pod : pods) {
    for (const auto& spec : ports) listeners.push_back({pod.pod->netns, spec.protocol, spec.port});
  }
  std::vector<Probe> probes;
  for (const auto& from : pods) {
    for (const auto& to : pods) {
      for (const auto& spec : ports) probes.push_back({from.pod->netns, to.v4, spec.protocol, spec.port});
    }
  }
  const ProbeOptions probe_options{.timeout = options.timeout};
  if (auto r = run_probes(listeners, probes, probe_options); !r) return report(r.error());

  size_t allowed = 0;
  for (const auto& p : probes) allowed += p.allowed ? 1 : 0;
  if (ctx.json()) {
    Json out{{"probes", Json::array()}};
    const size_t n = pods.size(), k = ports.size();
    for (size_t f = 0; f < n; ++f) {
      for (size_t t = 0; t < n; ++t) {
        for (size_t pi = 0; pi < k; ++pi) {
          const Probe& p = probes[(f * n + t) * k + pi];
          out["probes"].push_back({{"from", pods[f].pod->name}, {"to", pods[t].pod->name},
                                   {"protocol", to_string(p.protocol)}, {"port", p.port},
                                   {"result", p.allowed ? "allowed" : "blocked"}});
        }
      }
    }
    out["summary"] = {{"probes", probes.size()}, {"allowed", allowed}, {"blocked", probes.size() - allowed},
                      {"timeoutMs", options.timeout.count()}};
    std::cout << out.dump(2) << '\n';
  } else {
    print_matrices(pods, ports, probes);
    std::cout << ".: allowed, X: blocked (rows: from, columns: to); " << allowed << "/" << probes.size()
              << " probes allowed\n";
  }
  return exit_ok;
}

}  // namespace weft::cli::lab
