// weft lab check --tcp P,... [--udp P,...]: a listener on those ports in every pod, a real
// connection for every ordered pair of pods (a pod to itself included) and port
// (cli/lab/port_probe.h), and the matrix the Kubernetes network-policy test tools print: one per
// protocol and port, rows "from", columns "to", '.' allowed and 'X' blocked. It reports what the
// network does; it judges nothing, so it exits 0 whenever the probes ran.
#include <unistd.h>

#include <iostream>

#include "cli/lab/commands.h"
#include "cli/lab/port_matrix.h"
#include "cli/lab/port_probe.h"

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

  // probes are laid out from-major, then to, then port: the matrix's order.
  PortMatrix matrix;
  for (const auto& pod : pods) matrix.pods.push_back(pod.pod->name);
  for (const auto& spec : ports) matrix.ports.push_back({std::string(to_string(spec.protocol)), spec.port});
  for (const auto& p : probes) matrix.allowed.push_back(p.allowed);
  if (ctx.json()) {
    auto out = port_matrix_json(matrix);
    out["summary"]["timeoutMs"] = options.timeout.count();
    std::cout << out.dump(2) << '\n';
  } else {
    print_port_matrix(matrix, std::cout);
  }
  return exit_ok;
}

}  // namespace weft::cli::lab
