#include "bgp/mesh_plan.h"

#include <algorithm>

#include "model/keys.h"

namespace weft::bgp {
namespace {

bool is_reflector(const model::Node& node) {
  auto it = node.labels.find(std::string(model::kRouteReflectorLabel));
  return it != node.labels.end() && it->second == "true";
}

bool applies_to(const model::BgpPeer& peer, const model::Node& self) {
  if (!peer.node.empty()) return peer.node == self.name;
  if (peer.node_selector.empty()) return true;
  auto selector = model::parse_selector(peer.node_selector);
  return selector && model::matches(*selector, self.labels);
}

// A router's session: from the node's address on the link towards it (the kernel's choice unless
// configured), so that next hop self is an address the router can reach (RFC 4271 §5.1.3); TTL
// 1 for eBGP unless multihop; learned pool routes exported to it (mode pools) with next hop self.
PeerConfig external_session(const model::BgpPeer& peer, const BgpPlan& plan) {
  PeerConfig c;
  c.address = peer.address;
  c.peer_as = peer.as_number;
  c.local_address = peer.local_address;
  c.md5_password = peer.password;
  c.import_allow = peer.accept;
  // IPv6 next hop: configured, else the link-local address of the session's own link
  // (SpeakerConfig::link_local_of), which is the underlay's only for a router on the underlay.
  for (const auto& hop : peer.next_hop_self) (hop.is_v4() ? c.next_hop_v4 : c.next_hop_v6) = hop;
  const bool ebgp = peer.as_number != plan.local_as;
  c.ttl = peer.ttl != 0 ? peer.ttl : ebgp ? 1 : 0;
  if (peer.export_mode == model::ExportMode::pools) c.export_allow = plan.allowed;
  c.export_allow.insert(c.export_allow.end(), peer.exports.begin(), peer.exports.end());
  return c;
}

}  // namespace

BgpPlan plan_bgp(const model::ClusterModel& model, const std::string& self) {
  BgpPlan plan;
  for (const auto& [name, pool] : model.pools) {
    if (model::routed_by_bgp(pool)) plan.allowed.push_back(pool.cidr);
  }
  if (plan.allowed.empty()) return plan;
  auto self_it = model.nodes.find(self);
  if (self_it == model.nodes.end()) {
    plan.problems.push_back("bgp: node " + self + " has no node record yet");
    return plan;
  }
  const model::Node& me = self_it->second;
  const auto my_address = model::underlay_v4(me);
  if (!my_address) {
    plan.problems.push_back("bgp: node " + self + " has no IPv4 underlay address for its router id");
    return plan;
  }
  if (auto bad = model.skipped.find(model::keys::bgp_config()); bad != model.skipped.end()) {
    plan.problems.push_back("bgp: " + bad->first + " is unreadable (" + bad->second +
                            "): using the last good settings");
  }
  plan.enabled = true;
  plan.local_as = model.as_number_of(self);
  plan.router_id = my_address->v4_host_order();
  plan.route_reflector = is_reflector(me);
  for (const auto& block : model.blocks_of(self)) {
    const auto* pool = model.pool_of(block);
    if (pool != nullptr && model::routed_by_bgp(*pool)) plan.announce.push_back(block.block);
  }
  std::sort(plan.announce.begin(), plan.announce.end());

  auto session = [&](const IpAddress& address, uint32_t peer_as) {
    PeerConfig c;
    c.address = address;
    c.peer_as = peer_as;
    if (address.is_v4()) c.local_address = *my_address;
    c.next_hop_v6 = me.underlay_link_local;
    return c;
  };
  if (model.bgp.node_mesh) {
    bool any_reflector = false;
    for (const auto& [name, node] : model.nodes) any_reflector |= is_reflector(node);
    for (const auto& [name, node] : model.nodes) {
      if (name == self) continue;
      const bool reflector = is_reflector(node);
      if (any_reflector && !plan.route_reflector && !reflector) continue;
      auto address = model::underlay_v4(node);
      if (!address) {
        plan.problems.push_back("bgp: node " + name + " has no IPv4 underlay address: no session");
        continue;
      }
      auto twin = std::find_if(plan.peers.begin(), plan.peers.end(),
                               [&](const PlannedPeer& p) { return p.config.address == *address; });
      if (*address == *my_address || twin != plan.peers.end()) {
        // E.g. a host re-registered under a new name while its old record lingers.
        plan.problems.push_back("bgp: node " + name + " shares address " + address->to_string() + " with " +
                                (*address == *my_address ? self : twin->name) + ": no session to it");
        continue;
      }
      PlannedPeer p{name, "mesh", session(*address, model.as_number_of(name))};
      p.config.md5_password = model.bgp.node_mesh_password;
      // One side connects, the other waits: when both connect at once, collision resolution can
      // dump a connection one side already counts as Established, and both then wait out the
      // connect-retry timer. The lower address connects.
      p.config.passive = *my_address > *address;
      // The other node may not know this one yet (its store watch lags) and refuse the first
      // attempt; on a LAN a second try one second later costs nothing.
      p.config.connect_retry_time = Seconds(1);
      if (any_reflector) {
        p.kind = reflector ? "reflector" : "rr-client";
        p.config.rr_client = plan.route_reflector && !reflector;
      }
      plan.peers.push_back(std::move(p));
    }
  }
  for (const auto& [name, peer] : model.bgp_peers) {
    if (!applies_to(peer, me)) continue;
    auto clash = std::find_if(plan.peers.begin(), plan.peers.end(),
                              [&](const PlannedPeer& p) { return p.config.address == peer.address; });
    if (clash != plan.peers.end()) {
      plan.problems.push_back("bgp: peer " + name + " (" + peer.address.to_string() + ") is also " + clash->name +
                              "'s session: ignored");
      continue;
    }
    if (peer.address == *my_address) continue;  // a peer for the others, e.g. a reflector node's own entry
    plan.peers.push_back(PlannedPeer{name, "external", external_session(peer, plan)});
  }
  std::sort(plan.peers.begin(), plan.peers.end(),
            [](const PlannedPeer& a, const PlannedPeer& b) { return a.config.address < b.config.address; });
  return plan;
}

bool same_session(const PeerConfig& a, const PeerConfig& b) {
  return a.address == b.address && a.peer_as == b.peer_as && a.port == b.port && a.passive == b.passive &&
         a.md5_password == b.md5_password && a.rr_client == b.rr_client && a.hold_time == b.hold_time &&
         a.local_address == b.local_address && a.next_hop_v4 == b.next_hop_v4 && a.next_hop_v6 == b.next_hop_v6 &&
         a.ttl == b.ttl;
}

}  // namespace weft::bgp
