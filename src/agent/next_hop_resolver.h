// Which BGP next hops this node can use, and how it reaches them (RFC 4271 §9.1.2.1).
//
// The speaker asks usable() for every next hop it receives (per UPDATE): a route whose next hop
// this node cannot reach is left out of the decision, so a usable path from another peer wins
// (e.g. a node on another segment advertises its underlay link-local IPv6 address, which only a
// neighbour on that segment can use; the fabric router's path for the same block is taken
// instead). The reconcile then asks resolve() how to reach the next hops of the learned routes.
//
// - IPv4 next hop on the underlay subnet: on-link. IPv6 link-local: usable when the peer that
//   sent it is on the underlay subnet (the link the address belongs to), or directly connected
//   on another link (a router on its own link): then reached on that link's device.
// - Any other next hop: the kernel's route to it (dataplane/next_hops.h), recursively, e.g. a
//   router on its own point-to-point link, or a node on another segment via the underlay's gateway.
// - Never an address inside a pool: a next hop is never reached through the pod network.
//
// Kernel lookups are cached for one reconcile round (new_round() clears them): the answers
// follow route changes within a round, not within a packet.
#pragma once

#include <map>
#include <optional>
#include <vector>

#include "dataplane/desired_state.h"
#include "kernel/kernel_ops.h"

namespace weft::agent {

class NextHopResolver {
 public:
  explicit NextHopResolver(kernel::KernelOps& kernel) : kernel_(kernel) {}

  void new_round(const model::InterfaceAddress& underlay, const model::ClusterModel& model);
  bool usable(const IpAddress& hop, const IpAddress& from);
  // How every next hop of `learned` is reached that is neither on the underlay subnet nor a
  // link-local address of the underlay's link.
  std::map<IpAddress, dataplane::ResolvedHop> resolve(const dataplane::LearnedRoutes& learned);

 private:
  const std::optional<dataplane::ResolvedHop>& lookup(const IpAddress& hop);

  kernel::KernelOps& kernel_;
  model::InterfaceAddress underlay_;
  std::vector<Prefix> pools_;
  std::map<IpAddress, std::optional<dataplane::ResolvedHop>> cache_;
  // Link-local next hops from peers on links other than the underlay, by the device of that link
  // (from usable(), which sees the peer; kept across rounds, as the routes are).
  std::map<IpAddress, std::string> link_local_devices_;
};

}  // namespace weft::agent
