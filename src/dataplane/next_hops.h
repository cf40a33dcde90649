// Where a BGP next hop is reached from this node (RFC 4271 §9.1.2.1, next hop resolvability):
// the kernel's route to it, as BIRD's "gateway recursive" does. A next hop on a connected subnet
// (the underlay's, or a point-to-point link to a router) is its own gateway on that link's
// device; one beyond (another segment's node, a multihop router's loopback) goes to the gateway
// of the kernel's route towards it. weft's own devices (weft.vxlan, tunl0, workload veths) and
// blackholes never resolve a next hop, nor do pool addresses (the caller's check): that would
// loop traffic into the pod network.
#pragma once

#include <optional>
#include <string>

#include "base/ip.h"
#include "dataplane/desired_state.h"
#include "kernel/kernel_ops.h"

namespace weft::dataplane {

// nullopt: no usable route to `hop` (none, not unicast, or through one of weft's devices).
std::optional<ResolvedHop> resolve_next_hop(const IpAddress& hop, kernel::KernelOps& kernel);

// An IPv6 link-local address (fe80::/10): on-link by definition, on the link it came from.
bool link_local_v6(const IpAddress& address);

// The IPv6 link-local address of the device that holds `local` (a session's own address), for
// IPv6 routes advertised over an IPv4 session (RFC 2545 §3); nullopt when none.
std::optional<IpAddress> link_local_of(const IpAddress& local, kernel::KernelOps& kernel);

}  // namespace weft::dataplane
