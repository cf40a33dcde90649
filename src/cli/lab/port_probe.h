// Real connections between pods for `weft lab check --tcp/--udp`: listeners in every pod and one
// probe per (from, to, protocol, port), all driven from this process by one poll() loop.
//
// Sockets belong to the network namespace their creating thread was in, so the calling thread
// enters each pod's namespace only to open a socket (kernel::NetnsGuard) and serves and probes
// them all from where it started: no helper processes, nothing left running after the check.
//   - a TCP listener accepts and closes; a probe is "allowed" when its connect completes;
//   - a UDP listener echoes every datagram back to its sender; a probe sends a datagram (again
//     every 200 ms, as UDP may drop the first while a neighbour resolves) and is "allowed" when
//     the echo comes back;
//   - anything else before the deadline (refused, unreachable, silence) is "blocked".
// At most `max_open` probes are in flight at once (each holds a socket); every batch takes at
// most `timeout`, so the whole run is bounded by ceil(probes / max_open) * timeout.
// IPv4 only.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "base/ip.h"
#include "base/result.h"

namespace weft::cli::lab {

enum class ProbeProtocol { tcp, udp };
std::string_view to_string(ProbeProtocol protocol);  // "tcp", "udp"

struct Listener {
  std::string netns;
  ProbeProtocol protocol = ProbeProtocol::tcp;
  uint16_t port = 0;
};

struct Probe {
  std::string from_netns;
  IpAddress to;
  ProbeProtocol protocol = ProbeProtocol::tcp;
  uint16_t port = 0;
  bool allowed = false;  // the result
};

struct ProbeOptions {
  std::chrono::milliseconds timeout{2000};  // per batch; a SYN is retransmitted after 1 s
  size_t max_open = 512;
};

// Opens every listener (an error names the one that could not be opened, e.g. a port in use),
// then runs every probe and fills in `allowed`. Listeners are closed on return.
Result<void> run_probes(const std::vector<Listener>& listeners, std::vector<Probe>& probes, const ProbeOptions& options);

}  // namespace weft::cli::lab
