// The BGP plan as a pure function of the cluster model: full mesh, route reflectors, the mesh
// switched off, external peers by node and selector, what is announced and accepted.
#include "bgp/mesh_plan.h"

#include <gtest/gtest.h>

#include "model/keys.h"

namespace weft::bgp {
namespace {

struct Cluster {
  model::ClusterModel model;

  Cluster& pool(const char* name, const char* cidr, model::RouteSource routes) {
    model::Pool p;
    p.name = name;
    p.cidr = *Prefix::parse(cidr);
    p.block_length = 24;
    p.routes = routes;
    model.pools[name] = p;
    return *this;
  }
  Cluster& node(const char* name, const char* underlay, std::map<std::string, std::string> labels = {}) {
    model.nodes[name] = model::Node{name, {*model::InterfaceAddress::parse(underlay)}, labels,
                                   *IpAddress::parse("fe80::1"), "", 0, {}};
    return *this;
  }
  Cluster& block(const char* pool, const char* cidr, const char* node) {
    auto b = *Prefix::parse(cidr);
    model.blocks[model::keys::block(pool, b)] = model::BlockAffinity{pool, b, node, false, 0};
    return *this;
  }
  Cluster& peer(model::BgpPeer p) {
    model.bgp_peers[p.name] = p;
    return *this;
  }
};

Cluster four_nodes() {
  Cluster c;
  c.pool("lab", "198.19.0.0/16", model::RouteSource::bgp)
      .pool("flat", "10.9.0.0/16", model::RouteSource::store)
      .node("h1", "198.18.1.11/24")
      .node("h2", "198.18.1.12/24")
      .node("h3", "198.18.1.13/24")
      .node("h4", "198.18.1.14/24")
      .block("lab", "198.19.1.0/24", "h1")
      .block("lab", "198.19.2.0/24", "h2")
      .block("flat", "10.9.1.0/24", "h1");
  return c;
}

model::BgpPeer external(const char* name, const char* address, uint32_t as, const char* node = "",
                        const char* selector = "") {
  return model::BgpPeer{.name = name, .address = *IpAddress::parse(address), .as_number = as, .node = node,
                        .node_selector = selector};
}

std::vector<std::string> names(const BgpPlan& plan) {
  std::vector<std::string> out;
  for (const auto& p : plan.peers) out.push_back(p.name + ":" + p.kind);
  return out;
}

TEST(MeshPlan, OffWithoutABgpPool) {
  auto c = four_nodes();
  c.model.pools.erase("lab");
  auto plan = plan_bgp(c.model, "h1");
  EXPECT_FALSE(plan.enabled);
  EXPECT_TRUE(plan.peers.empty());
}

TEST(MeshPlan, FullMeshAnnouncesOwnBgpBlocksOnly) {
  auto plan = plan_bgp(four_nodes().model, "h1");
  ASSERT_TRUE(plan.enabled);
  EXPECT_EQ(plan.local_as, 64512u);
  EXPECT_EQ(IpAddress::v4(plan.router_id).to_string(), "198.18.1.11");
  EXPECT_EQ(names(plan), (std::vector<std::string>{"h2:mesh", "h3:mesh", "h4:mesh"}));
  EXPECT_EQ(plan.announce, (std::vector<Prefix>{*Prefix::parse("198.19.1.0/24")}));
  EXPECT_EQ(plan.allowed, (std::vector<Prefix>{*Prefix::parse("198.19.0.0/16")}));
  const auto& h2 = plan.peers[0].config;
  EXPECT_EQ(h2.address, *IpAddress::parse("198.18.1.12"));
  EXPECT_EQ(h2.local_address, *IpAddress::parse("198.18.1.11"));
  EXPECT_EQ(h2.next_hop_v6, *IpAddress::parse("fe80::1")) << "IPv6 routes go via the underlay link-local address";
  EXPECT_FALSE(h2.rr_client);
}

TEST(MeshPlan, TheNodeMeshPasswordGoesOnEveryMeshSession) {
  auto c = four_nodes();
  c.model.bgp.node_mesh_password = "mesh secret";
  auto plan = plan_bgp(c.model, "h1");
  ASSERT_EQ(plan.peers.size(), 3u);
  for (const auto& p : plan.peers) EXPECT_EQ(p.config.md5_password, "mesh secret") << p.name;
  EXPECT_EQ(plan_bgp(four_nodes().model, "h1").peers[0].config.md5_password, "");
}

TEST(MeshPlan, TheLowerAddressConnectsTheHigherWaits) {
  auto h1 = plan_bgp(four_nodes().model, "h1");
  auto h3 = plan_bgp(four_nodes().model, "h3");
  EXPECT_FALSE(h1.peers[1].config.passive);  // h1 -> h3
  EXPECT_TRUE(h3.peers[0].config.passive);   // h3 <- h1
  EXPECT_FALSE(h3.peers[2].config.passive);  // h3 -> h4
}

TEST(MeshPlan, ReflectorsPeerWithEveryoneClientsOnlyWithReflectors) {
  auto c = four_nodes();
  c.node("h1", "198.18.1.11/24", {{"weft.io/route-reflector", "true"}});
  c.node("h4", "198.18.1.14/24", {{"weft.io/route-reflector", "true"}});
  auto rr = plan_bgp(c.model, "h1");
  EXPECT_TRUE(rr.route_reflector);
  EXPECT_EQ(names(rr), (std::vector<std::string>{"h2:rr-client", "h3:rr-client", "h4:reflector"}));
  EXPECT_TRUE(rr.peers[0].config.rr_client);
  EXPECT_FALSE(rr.peers[2].config.rr_client) << "reflectors are plain iBGP peers of each other";
  auto client = plan_bgp(c.model, "h2");
  EXPECT_FALSE(client.route_reflector);
  EXPECT_EQ(names(client), (std::vector<std::string>{"h1:reflector", "h4:reflector"}));
  EXPECT_FALSE(client.peers[0].config.rr_client);
}

TEST(MeshPlan, ExternalPeersByNodeSelectorOrAll) {
  auto c = four_nodes();
  c.node("h2", "198.18.1.12/24", {{"rack", "a"}});
  c.model.bgp.node_mesh = false;
  c.model.bgp_nodes["h2"] = model::BgpNodeConfig{"h2", 65002};
  auto tor = external("tor-a", "198.18.1.1", 65000, "", "rack=a");
  tor.password = "pw";
  tor.accept = {*Prefix::parse("0.0.0.0/0")};
  c.peer(tor);
  c.peer(external("rs", "198.18.0.5", 65100));
  c.peer(external("only-h3", "198.18.1.2", 65000, "h3"));
  auto h2 = plan_bgp(c.model, "h2");
  EXPECT_EQ(h2.local_as, 65002u);
  EXPECT_EQ(names(h2), (std::vector<std::string>{"rs:external", "tor-a:external"}));
  EXPECT_EQ(h2.peers[1].config.md5_password, "pw");
  EXPECT_EQ(h2.peers[1].config.import_allow, (std::vector<Prefix>{*Prefix::parse("0.0.0.0/0")}));
  EXPECT_EQ(h2.peers[1].config.peer_as, 65000u);
  EXPECT_EQ(names(plan_bgp(c.model, "h3")), (std::vector<std::string>{"rs:external", "only-h3:external"}));
}

// A router on its own link: the session leaves from the node's address on that link (the
// kernel's choice, not the underlay address), so that next hop self is on the shared subnet;
// eBGP is single-hop unless told; the pools' learned routes are exported to it.
TEST(MeshPlan, AnExternalEbgpPeerGetsThePoolsFromTheSessionsOwnAddress) {
  auto c = four_nodes();
  c.peer(external("tor", "198.18.100.2", 65100, "h1"));
  auto plan = plan_bgp(c.model, "h1");
  ASSERT_EQ(names(plan).back(), "tor:external");
  const PeerConfig& tor = plan.peers.back().config;
  EXPECT_FALSE(tor.local_address) << "the kernel picks the source on the router's link";
  EXPECT_FALSE(tor.next_hop_v4) << "next hop self is the session's local address";
  EXPECT_EQ(tor.ttl, 1);
  EXPECT_EQ(tor.export_allow, (std::vector<Prefix>{*Prefix::parse("198.19.0.0/16")})) << "the bgp pool, not the store one";
  // Mesh sessions keep the underlay address (both ends know each other by it).
  EXPECT_EQ(plan.peers.front().config.local_address, IpAddress::parse("198.18.1.11").value());
  EXPECT_EQ(plan.peers.front().config.ttl, 0);
}

TEST(MeshPlan, AnExternalPeersSessionSettingsAndExportModeOwn) {
  auto c = four_nodes();
  auto tor = external("tor", "198.18.100.2", 65100, "h1");
  tor.local_address = *IpAddress::parse("198.18.100.1");
  tor.next_hop_self = {*IpAddress::parse("198.18.50.1"), *IpAddress::parse("fd00::50:1")};
  tor.ttl = 4;
  tor.export_mode = model::ExportMode::own;
  tor.exports = {*Prefix::parse("10.96.0.0/12")};
  c.peer(tor);
  c.peer(external("ibgp-rr", "198.18.7.7", 64512));
  auto plan = plan_bgp(c.model, "h1");
  const PeerConfig* got = nullptr;
  const PeerConfig* ibgp = nullptr;
  for (const auto& p : plan.peers) {
    if (p.name == "tor") got = &p.config;
    if (p.name == "ibgp-rr") ibgp = &p.config;
  }
  ASSERT_TRUE(got && ibgp);
  EXPECT_EQ(got->local_address, IpAddress::parse("198.18.100.1").value());
  EXPECT_EQ(got->next_hop_v4, IpAddress::parse("198.18.50.1").value());
  EXPECT_EQ(got->next_hop_v6, IpAddress::parse("fd00::50:1").value());
  EXPECT_EQ(got->ttl, 4);
  EXPECT_EQ(got->export_allow, (std::vector<Prefix>{*Prefix::parse("10.96.0.0/12")})) << "own: only --export";
  EXPECT_EQ(ibgp->ttl, 0) << "iBGP keeps the system's TTL";
}

TEST(MeshPlan, AnExternalPeerOnANodesAddressIsReportedNotDoubled) {
  auto c = four_nodes();
  c.peer(external("dup", "198.18.1.12", 65000));
  auto plan = plan_bgp(c.model, "h1");
  EXPECT_EQ(names(plan), (std::vector<std::string>{"h2:mesh", "h3:mesh", "h4:mesh"}));
  ASSERT_EQ(plan.problems.size(), 1u);
  EXPECT_NE(plan.problems[0].find("peer dup (198.18.1.12) is also h2's session"), std::string::npos) << plan.problems[0];
}

TEST(MeshPlan, ANodeWithoutRecordOrIPv4UnderlayIsAProblem) {
  auto c = four_nodes();
  auto missing = plan_bgp(c.model, "h9");
  EXPECT_FALSE(missing.enabled);
  ASSERT_EQ(missing.problems.size(), 1u);
  c.model.nodes["h3"].addresses = {*model::InterfaceAddress::parse("2001:db8::3/64")};
  auto plan = plan_bgp(c.model, "h1");
  EXPECT_EQ(names(plan), (std::vector<std::string>{"h2:mesh", "h4:mesh"}));
  ASSERT_EQ(plan.problems.size(), 1u);
  EXPECT_NE(plan.problems[0].find("h3 has no IPv4 underlay"), std::string::npos);
}

TEST(MeshPlan, NodesSharingAnAddressAreAProblemNotTwoSessions) {
  auto c = four_nodes();
  c.node("h2-old", "198.18.1.12/24");
  auto plan = plan_bgp(c.model, "h1");
  EXPECT_EQ(names(plan), (std::vector<std::string>{"h2:mesh", "h3:mesh", "h4:mesh"}));
  ASSERT_EQ(plan.problems.size(), 1u);
  EXPECT_NE(plan.problems[0].find("node h2-old shares address 198.18.1.12 with h2"), std::string::npos)
      << plan.problems[0];
}

TEST(MeshPlan, AnUnreadableClusterSettingIsReported) {
  auto c = four_nodes();
  c.model.skipped[model::keys::bgp_config()] = "asNumber out of range";
  auto plan = plan_bgp(c.model, "h1");
  EXPECT_TRUE(plan.enabled);
  ASSERT_EQ(plan.problems.size(), 1u);
  EXPECT_NE(plan.problems[0].find("using the last good settings"), std::string::npos) << plan.problems[0];
}

TEST(MeshPlan, SameSessionComparesWhatTheSessionIsMadeOf) {
  auto plan = plan_bgp(four_nodes().model, "h1");
  PeerConfig a = plan.peers[0].config, b = a;
  EXPECT_TRUE(same_session(a, b));
  b.md5_password = "new";
  EXPECT_FALSE(same_session(a, b));
  b = a;
  b.peer_as = 65000;
  EXPECT_FALSE(same_session(a, b));
  b = a;
  b.import_allow = {*Prefix::parse("0.0.0.0/0")};
  EXPECT_TRUE(same_session(a, b)) << "accepted prefixes change on the running session";
  b.export_allow = {*Prefix::parse("10.0.0.0/8")};
  EXPECT_TRUE(same_session(a, b)) << "exported prefixes change on the running session";
  b = a;
  b.ttl = 255;
  EXPECT_FALSE(same_session(a, b));
  b = a;
  b.next_hop_v4 = *IpAddress::parse("198.18.9.9");
  EXPECT_FALSE(same_session(a, b));
}

}  // namespace
}  // namespace weft::bgp
