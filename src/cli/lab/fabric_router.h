// `weft lab up --router bgp`: the router between the segments speaks BGP, as a top-of-rack or
// spine router does in Calico's fabric deployments.
//
// BIRD 2 runs in weft-lab-router as an iBGP route reflector inside the cluster's AS (64512), one
// session per host (`rr client`, directly connected on the host's segment). Why iBGP with a
// reflector and not eBGP with one AS per segment: the hosts keep one AS as in every other lab
// mode (the node mesh, when on, stays iBGP next to it), and IPv4 next hops pass through the
// reflector unchanged, so the router carries only what it must: it installs every pod block into
// its kernel (via the owning host) and hosts on another segment reach a block's owner through
// their default gateway, the router. The hosts have no IPv6 underlay address, so the reflector
// puts itself as the IPv6 next hop (its link-local address on the host's segment).
//
// Why BIRD rather than FRR: one process with one config file and a control socket that runs
// as root inside a namespace as is; FRR needs zebra plus bgpd under their own user and socket
// directories. Both are tested as external peers (tests/e2e/fabric_interop_test.cc).
#pragma once

#include <string>

#include "base/result.h"
#include "cli/lab/lab_state.h"
#include "cli/lab/topology.h"

namespace weft::cli::lab {

inline constexpr std::string_view kFabricRouterId = "198.18.0.1";

// BIRD's configuration for the topology's router (pure).
std::string fabric_bird_config(const Topology& topology);

// Where the router's files live: <state-dir>/router/{bird.conf,bird.ctl,bird.log}.
std::string fabric_dir(const std::string& state_dir);

// The BIRD command line for the lab (`recover`: after a restart, keep the kernel routes until the
// BGP sessions recovered, BIRD's -R).
std::vector<std::string> fabric_bird_argv(const std::string& state_dir, bool recover = false);

// Writes the config and starts BIRD in weft-lab-router; returns once it runs. The returned record has role "bird" (stopped by `weft lab down`).
Result<ProcessRecord> start_fabric_router(const std::string& state_dir, const Topology& topology);

}  // namespace weft::cli::lab
