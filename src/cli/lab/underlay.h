// Building and removing the lab's namespaces and underlay links.
//
// Namespaces are created and deleted with src/kernel/netns.h (bind mounts under /run/netns, as
// iproute2 keeps them, so `ip netns` sees them). Links, addresses and routes are made with
// iproute2 (`ip -n NS ...`, run through base/process.h, no shell), every link created directly
// inside a lab namespace (a veth's peer is created with `netns`), so the root namespace never
// holds a lab link even for a moment. Sysctls are written by the calling thread while it is in
// the namespace (processes.h). The src/kernel netlink library can replace the `ip` calls later;
// their error messages name exactly what failed.
#pragma once

#include <string>
#include <vector>

#include "base/result.h"
#include "cli/lab/topology.h"

namespace weft::cli::lab {

// Runs `ip -n NETNS ARGS...`; refuses a namespace outside the lab's prefix. Its error names the
// command and what it printed.
Result<void> lab_ip(const std::string& netns, std::vector<std::string> args);

// Creates the named namespace (kernel/netns.h, as `ip netns add` does) and sets `lo` up; refuses
// names outside the lab's prefix.
Result<void> create_netns(const std::string& name);
// Sysctls every lab namespace of that kind gets (forwarding, no IPv6 DAD).
Result<void> configure_router_netns();
Result<void> configure_host_netns(const Host& host);
Result<void> configure_pod_netns(const std::string& netns);

// Bridges, router legs, the etcd leg and every host's eth0 with its address and default route.
Result<void> build_underlay(const Topology& topology);

// Every namespace under /run/netns whose name starts with "weft-lab-", sorted.
std::vector<std::string> lab_namespaces();
// Deletes a lab namespace (kernel/netns.h, as `ip netns del` does); refuses any other name.
Result<void> delete_netns(const std::string& name);

}  // namespace weft::cli::lab
