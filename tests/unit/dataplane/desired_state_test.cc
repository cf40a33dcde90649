// The desired kernel state as a pure function of the cluster model: every mode, tables of
// nodes on and off this node's segment, and the problems reported where a mode cannot connect.
#include "dataplane/desired_state.h"

#include <gtest/gtest.h>

#include "dataplane/nat.h"
#include "kernel/nft_table.h"
#include "model/keys.h"

namespace weft::dataplane {
namespace {

using model::Encapsulate;
using model::Encapsulation;

constexpr int kEth0 = 2;
constexpr int kVxlan = 9;

struct Cluster {
  model::ClusterModel model;

  Cluster& pool(const char* name, const char* cidr, int block, Encapsulation e,
                Encapsulate when = Encapsulate::always) {
    model::Pool p;
    p.name = name;
    p.cidr = *Prefix::parse(cidr);
    p.block_length = block;
    p.encapsulation = e;
    p.encapsulate = when;
    model.pools[name] = p;
    return *this;
  }
  Cluster& node(const char* name, const char* underlay, const char* mac) {
    model.nodes[name] = model::Node{name, {*model::InterfaceAddress::parse(underlay)}, {}, std::nullopt, mac, 0, {}};
    return *this;
  }
  Cluster& block(const char* pool, const char* cidr, const char* node) {
    auto b = *Prefix::parse(cidr);
    model.blocks[model::keys::block(pool, b)] = model::BlockAffinity{pool, b, node, false, 0};
    return *this;
  }
};

LocalFacts h1_facts() {
  return LocalFacts{.node = "h1",
                    .underlay = *model::InterfaceAddress::parse("198.18.1.11/24"),
                    .underlay_device = "eth0",
                    .underlay_ifindex = kEth0,
                    .underlay_mtu = 1500,
                    .vtep_mac = *kernel::MacAddress::parse("02:00:00:00:00:01")};
}

// Two nodes on h1's segment, one across the router.
Cluster three_nodes(Encapsulation e, Encapsulate when = Encapsulate::always) {
  Cluster c;
  c.pool("lab", "198.19.0.0/16", 24, e, when)
      .node("h1", "198.18.1.11/24", "02:00:00:00:00:01")
      .node("h2", "198.18.1.12/24", "02:00:00:00:00:02")
      .node("h3", "198.18.2.13/24", "02:00:00:00:00:03")
      .block("lab", "198.19.1.0/24", "h1")
      .block("lab", "198.19.2.0/24", "h2")
      .block("lab", "198.19.3.0/24", "h3");
  return c;
}

// The route to `cidr` with its device names resolved as the reconciler would (eth0 = kEth0,
// weft.vxlan = kVxlan), or nullopt.
std::optional<kernel::Route> route_to(const DesiredState& s, const char* cidr) {
  for (const auto& d : s.routes) {
    if (d.route.destination != *Prefix::parse(cidr)) continue;
    kernel::Route r = d.route;
    for (auto& nh : r.nexthops) nh.ifindex = d.device == "eth0" ? kEth0 : d.device == std::string(kVxlanDevice) ? kVxlan : -1;
    return r;
  }
  return std::nullopt;
}

TEST(DesiredState, DirectRoutesToNodesOnTheSegmentAndAProblemForOthers) {
  auto s = compute_desired(three_nodes(Encapsulation::none).model, h1_facts());
  EXPECT_FALSE(s.vxlan);
  EXPECT_EQ(s.workload_mtu, 1500u);
  ASSERT_NE(route_to(s, "198.19.1.0/24"), std::nullopt);
  EXPECT_EQ(route_to(s, "198.19.1.0/24")->type, kernel::RouteType::blackhole);
  EXPECT_EQ(*route_to(s, "198.19.2.0/24"),
            kernel::Route::via_gateway(*Prefix::parse("198.19.2.0/24"), *IpAddress::parse("198.18.1.12"), kEth0));
  EXPECT_EQ(route_to(s, "198.19.3.0/24"), std::nullopt);
  ASSERT_EQ(s.problems.size(), 1u);
  EXPECT_NE(s.problems[0].find("h3 (198.18.2.13) is not on-link"), std::string::npos) << s.problems[0];
  EXPECT_TRUE(s.neighbours.empty());
  EXPECT_TRUE(s.fdb.empty());
}

TEST(DesiredState, VxlanAlwaysTunnelsToEveryNode) {
  auto s = compute_desired(three_nodes(Encapsulation::vxlan).model, h1_facts());
  ASSERT_TRUE(s.vxlan);
  EXPECT_EQ(s.vxlan->spec.vni, 4096u);
  EXPECT_EQ(s.vxlan->spec.port, 4789);
  EXPECT_EQ(s.vxlan->spec.local, *IpAddress::parse("198.18.1.11"));
  EXPECT_FALSE(s.vxlan->spec.learning);
  EXPECT_EQ(s.vxlan->spec.mtu, 1450u);
  EXPECT_EQ(s.workload_mtu, 1450u);
  EXPECT_EQ(s.vxlan->addresses, std::vector<Prefix>{*Prefix::parse("198.19.1.0/32")});
  for (const char* remote : {"198.19.2.0/24", "198.19.3.0/24"}) {
    auto dest = *Prefix::parse(remote);
    ASSERT_NE(route_to(s, remote), std::nullopt) << remote;
    EXPECT_EQ(*route_to(s, remote), kernel::Route::via_gateway(dest, dest.address(), kVxlan, true));
  }
  EXPECT_TRUE(s.problems.empty());
  ASSERT_EQ(s.neighbours.size(), 2u);
  // L2 entries are on the VXLAN device: ifindex 0 until the reconciler resolves it.
  EXPECT_EQ(s.neighbours[0], (kernel::Neighbour{0, *IpAddress::parse("198.19.2.0"),
                                                *kernel::MacAddress::parse("02:00:00:00:00:02"), true}));
  ASSERT_EQ(s.fdb.size(), 2u);
  EXPECT_EQ(s.fdb[1], (kernel::FdbEntry{0, *kernel::MacAddress::parse("02:00:00:00:00:03"),
                                        *IpAddress::parse("198.18.2.13")}));
}

TEST(DesiredState, CrossSubnetIsDirectOnTheSegmentAndTunnelledAcross) {
  auto s = compute_desired(three_nodes(Encapsulation::vxlan, Encapsulate::cross_subnet).model, h1_facts());
  EXPECT_EQ(*route_to(s, "198.19.2.0/24"),
            kernel::Route::via_gateway(*Prefix::parse("198.19.2.0/24"), *IpAddress::parse("198.18.1.12"), kEth0));
  EXPECT_EQ(*route_to(s, "198.19.3.0/24"),
            kernel::Route::via_gateway(*Prefix::parse("198.19.3.0/24"), *IpAddress::parse("198.19.3.0"), kVxlan, true));
  ASSERT_EQ(s.fdb.size(), 1u) << "only the node across the router needs the tunnel";
  EXPECT_EQ(s.fdb[0].remote, *IpAddress::parse("198.18.2.13"));
  EXPECT_TRUE(s.problems.empty());
}

TEST(DesiredState, VxlanRoutesNameTheDeviceSoOneComputationSuffices) {
  auto s = compute_desired(three_nodes(Encapsulation::vxlan).model, h1_facts());
  ASSERT_TRUE(s.vxlan) << "the device is wanted";
  ASSERT_EQ(s.routes.size(), 3u) << "the local blackhole and both tunnelled blocks, before the device exists";
  EXPECT_EQ(s.routes[1].device, kVxlanDevice);
  EXPECT_EQ(s.routes[0].device, "") << "a blackhole has no device";
}

TEST(DesiredState, DualStackBlocksOverAnIpv4Underlay) {
  auto c = three_nodes(Encapsulation::vxlan);
  c.pool("lab6", "fd00:198:19::/48", 120, Encapsulation::vxlan)
      .block("lab6", "fd00:198:19::100/120", "h1")
      .block("lab6", "fd00:198:19::200/120", "h2");
  auto s = compute_desired(c.model, h1_facts());
  EXPECT_EQ(s.vxlan->addresses.size(), 2u);
  EXPECT_EQ(*route_to(s, "fd00:198:19::200/120"),
            kernel::Route::via_gateway(*Prefix::parse("fd00:198:19::200/120"), *IpAddress::parse("fd00:198:19::200"),
                                       kVxlan, true));
  EXPECT_EQ(route_to(s, "fd00:198:19::100/120")->type, kernel::RouteType::blackhole);
  // One FDB entry per remote node, whatever its number of blocks and families.
  EXPECT_EQ(s.fdb.size(), 2u);
  EXPECT_EQ(s.neighbours.size(), 3u);
}

TEST(DesiredState, DirectIpv6RoutesUseTheNodesLinkLocalAddress) {
  auto c = three_nodes(Encapsulation::none);
  c.pool("lab6", "fd00:198:19::/48", 120, Encapsulation::none)
      .block("lab6", "fd00:198:19::200/120", "h2")
      .block("lab6", "fd00:198:19::300/120", "h3");
  auto without = compute_desired(c.model, h1_facts());
  EXPECT_EQ(route_to(without, "fd00:198:19::200/120"), std::nullopt);
  c.model.nodes["h2"].underlay_link_local = *IpAddress::parse("fe80::2");
  c.model.nodes["h3"].underlay_link_local = *IpAddress::parse("fe80::3");
  auto s = compute_desired(c.model, h1_facts());
  ASSERT_NE(route_to(s, "fd00:198:19::200/120"), std::nullopt);
  EXPECT_EQ(*route_to(s, "fd00:198:19::200/120"),
            kernel::Route::via_gateway(*Prefix::parse("fd00:198:19::200/120"), *IpAddress::parse("fe80::2"), kEth0));
  EXPECT_EQ(route_to(s, "fd00:198:19::300/120"), std::nullopt) << "h3 is across the router";
}

TEST(DesiredState, MissingFactsAreProblemsNotCrashes) {
  auto c = three_nodes(Encapsulation::vxlan);
  c.model.nodes["h2"].vtep_mac = "";
  c.model.nodes.erase("h3");
  auto s = compute_desired(c.model, h1_facts());
  EXPECT_EQ(route_to(s, "198.19.2.0/24"), std::nullopt);
  EXPECT_EQ(route_to(s, "198.19.3.0/24"), std::nullopt);
  EXPECT_EQ(s.problems.size(), 2u);
  // A block of a pool that was deleted is not routed.
  c.model.pools.clear();
  EXPECT_TRUE(compute_desired(c.model, h1_facts()).routes.empty());
}

TEST(DesiredState, NatOutgoingListsThePoolsThatAskForIt) {
  auto c = three_nodes(Encapsulation::none);
  c.model.pools["lab"].nat_outgoing = true;
  c.pool("other", "198.19.128.0/17", 24, Encapsulation::none);
  c.model.pools.erase("lab");
  c.pool("lab", "198.19.0.0/17", 24, Encapsulation::none);
  c.model.pools["lab"].nat_outgoing = true;
  auto s = compute_desired(c.model, h1_facts());
  EXPECT_EQ(s.nat_outgoing, std::vector<Prefix>{*Prefix::parse("198.19.0.0/17")});
  EXPECT_EQ(s.pools.size(), 2u);
}

TEST(ClusterModel, FollowsWatchEventsAndDropsGarbage) {
  model::ClusterModel m;
  store::WatchBatch batch;
  batch.revision = 5;
  batch.events.push_back({store::WatchEvent::Type::put, {model::keys::node("h1"), R"({"name":"h1"})"}});
  batch.events.push_back({store::WatchEvent::Type::put, {model::keys::node("h2"), "garbage"}});
  batch.events.push_back({store::WatchEvent::Type::put,
                          {model::keys::block("lab", *Prefix::parse("198.19.1.0/24")), R"({"node":"h1"})"}});
  EXPECT_TRUE(m.apply(batch));
  EXPECT_EQ(m.nodes.size(), 1u);
  EXPECT_EQ(m.blocks.size(), 1u);
  EXPECT_EQ(m.skipped.count(model::keys::node("h2")), 1u);
  EXPECT_EQ(m.revision, 5);

  store::WatchBatch removal;
  removal.revision = 6;
  removal.events.push_back({store::WatchEvent::Type::remove, {model::keys::node("h1"), ""}});
  EXPECT_TRUE(m.apply(removal));
  EXPECT_TRUE(m.nodes.empty());

  store::WatchBatch resync;
  resync.resync = true;
  resync.revision = 9;
  resync.events.push_back({store::WatchEvent::Type::put, {model::keys::node("h3"), R"({"name":"h3"})"}});
  EXPECT_TRUE(m.apply(resync));
  EXPECT_EQ(m.nodes.size(), 1u);
  EXPECT_TRUE(m.blocks.empty()) << "a resync drops what the listing no longer has";
}

}  // namespace
}  // namespace weft::dataplane

namespace weft::dataplane {
namespace {

TEST(NatTable, MasqueradesOnlyPoolsThatAskAndOnlyTrafficLeavingThePools) {
  EXPECT_FALSE(nat_table({*Prefix::parse("198.19.0.0/16")}, {})) << "no NAT: the table is removed";
  auto t = nat_table({*Prefix::parse("198.19.0.0/16"), *Prefix::parse("fd00:198:19::/48")},
                     {*Prefix::parse("198.19.0.0/16")});
  ASSERT_TRUE(t);
  const auto s = kernel::replace_script(*t);
  EXPECT_EQ(s.rfind("table inet weft\ndelete table inet weft\ntable inet weft {", 0), 0u)
      << "one atomic replacement of weft's own table:\n" << s;
  EXPECT_NE(s.find("set pools4 { type ipv4_addr; flags interval; elements = { 198.19.0.0/16 } }"), std::string::npos) << s;
  EXPECT_NE(s.find("set nat6 { type ipv6_addr; flags interval; }"), std::string::npos) << "empty sets have no elements";
  EXPECT_NE(s.find("ip saddr @nat4 ip daddr != @pools4 counter masquerade"), std::string::npos);
  EXPECT_NE(s.find("type nat hook postrouting priority srcnat"), std::string::npos);
}

}  // namespace
}  // namespace weft::dataplane

namespace weft::dataplane {
namespace {

// routes: bgp -- remote blocks come from the speaker, not from the store.
Cluster bgp_cluster() {
  auto c = three_nodes(Encapsulation::none);
  c.model.pools["lab"].routes = model::RouteSource::bgp;
  c.pool("lab6", "fd00:198:19::/48", 120, Encapsulation::none);
  c.model.pools["lab6"].routes = model::RouteSource::bgp;
  return c;
}

TEST(DesiredStateBgp, RoutesComeFromWhatBgpLearnedNotFromTheStore) {
  auto c = bgp_cluster();
  auto none = compute_desired(c.model, h1_facts());
  ASSERT_EQ(none.routes.size(), 1u) << "only the blackhole of h1's own block";
  EXPECT_TRUE(none.problems.empty()) << "h3 off-link is BGP's business now";

  const LearnedRoutes learned = {
      {*Prefix::parse("198.19.2.0/24"), {*IpAddress::parse("198.18.1.12")}},
      {*Prefix::parse("198.19.9.0/24"), {*IpAddress::parse("198.18.1.12"), *IpAddress::parse("198.18.1.13")}},
      {*Prefix::parse("fd00:198:19::200/120"), {*IpAddress::parse("fe80::2")}},
      {*Prefix::parse("198.19.1.0/24"), {*IpAddress::parse("198.18.1.12")}},  // our own block, reflected back
  };
  auto s = compute_desired(c.model, h1_facts(), learned);
  EXPECT_EQ(*route_to(s, "198.19.2.0/24"),
            kernel::Route::via_gateway(*Prefix::parse("198.19.2.0/24"), *IpAddress::parse("198.18.1.12"), kEth0));
  EXPECT_EQ(*route_to(s, "198.19.9.0/24"),
            kernel::Route::multipath(*Prefix::parse("198.19.9.0/24"),
                                     {kernel::Nexthop{.gateway = *IpAddress::parse("198.18.1.12"), .ifindex = kEth0},
                                      kernel::Nexthop{.gateway = *IpAddress::parse("198.18.1.13"), .ifindex = kEth0}}))
      << "equal paths: one ECMP route";
  EXPECT_EQ(*route_to(s, "fd00:198:19::200/120"),
            kernel::Route::via_gateway(*Prefix::parse("fd00:198:19::200/120"), *IpAddress::parse("fe80::2"), kEth0));
  EXPECT_EQ(route_to(s, "198.19.1.0/24")->type, kernel::RouteType::blackhole) << "our own block stays a blackhole";
  EXPECT_TRUE(s.problems.empty());
}

TEST(DesiredStateBgp, NextHopsTheKernelCannotReachAreProblems) {
  const LearnedRoutes learned = {
      {*Prefix::parse("198.19.3.0/24"), {*IpAddress::parse("198.18.2.13")}},
      {*Prefix::parse("198.19.4.0/24"), {*IpAddress::parse("198.18.2.13"), *IpAddress::parse("198.18.1.12")}},
      {*Prefix::parse("fd00:198:19::300/120"), {*IpAddress::parse("2001:db8::3")}},
      {*Prefix::parse("fd00:198:19::400/120"), {*IpAddress::parse("198.18.1.12")}},
  };
  auto s = compute_desired(bgp_cluster().model, h1_facts(), learned);
  EXPECT_EQ(route_to(s, "198.19.3.0/24"), std::nullopt);
  EXPECT_EQ(*route_to(s, "198.19.4.0/24"),
            kernel::Route::via_gateway(*Prefix::parse("198.19.4.0/24"), *IpAddress::parse("198.18.1.12"), kEth0))
      << "the on-link next hop stays";
  EXPECT_EQ(route_to(s, "fd00:198:19::300/120"), std::nullopt);
  EXPECT_EQ(route_to(s, "fd00:198:19::400/120"), std::nullopt);
  ASSERT_EQ(s.problems.size(), 4u);
  EXPECT_NE(s.problems[0].find("next hop 198.18.2.13 of 198.19.3.0/24 is not reachable from here"),
            std::string::npos) << s.problems[0];
  EXPECT_NE(s.problems[3].find("of the other family"), std::string::npos) << s.problems[3];
}

// Next hops off the underlay subnet go the way the kernel reaches them (weftd resolves them into
// LocalFacts::bgp_next_hops): another segment's node through the underlay gateway, a router on
// its own link through that link. One route keeps one device.
TEST(DesiredStateBgp, NextHopsTheKernelReachesAreRoutedThroughTheirGatewayAndDevice) {
  auto facts = h1_facts();
  const auto gw = *IpAddress::parse("198.18.1.1"), tor = *IpAddress::parse("198.18.200.1");
  facts.bgp_next_hops = {{*IpAddress::parse("198.18.2.13"), ResolvedHop{gw, "eth0"}},
                         {tor, ResolvedHop{tor, "tor0"}}};
  const LearnedRoutes learned = {
      {*Prefix::parse("198.19.3.0/24"), {*IpAddress::parse("198.18.2.13")}},
      {*Prefix::parse("10.99.0.0/24"), {tor}},
      {*Prefix::parse("198.19.5.0/24"), {tor, *IpAddress::parse("198.18.2.13")}},
  };
  auto s = compute_desired(bgp_cluster().model, facts, learned);
  EXPECT_EQ(*route_to(s, "198.19.3.0/24"), kernel::Route::via_gateway(*Prefix::parse("198.19.3.0/24"), gw, kEth0));
  auto to_tor = std::find_if(s.routes.begin(), s.routes.end(),
                             [](const DesiredRoute& r) { return r.route.destination.to_string() == "10.99.0.0/24"; });
  ASSERT_NE(to_tor, s.routes.end());
  EXPECT_EQ(to_tor->device, "tor0");
  auto mixed = std::find_if(s.routes.begin(), s.routes.end(),
                            [](const DesiredRoute& r) { return r.route.destination.to_string() == "198.19.5.0/24"; });
  ASSERT_NE(mixed, s.routes.end());
  EXPECT_EQ(mixed->device, "tor0") << "the first usable next hop's device; the other link's hop is left out";
  EXPECT_TRUE(s.problems.empty());
}

TEST(DesiredStateBgp, AnIpipPoolTunnelsLearnedRoutesAlwaysOrOnlyAcrossSegments) {
  auto c = bgp_cluster();
  c.model.pools["lab"].encapsulation = Encapsulation::ipip;
  auto facts = h1_facts();
  facts.underlay_next_hops = {{*IpAddress::parse("198.18.2.13"), *IpAddress::parse("198.18.1.1")}};
  const LearnedRoutes learned{{*Prefix::parse("198.19.2.0/24"), {*IpAddress::parse("198.18.1.12")}},
                              {*Prefix::parse("198.19.3.0/24"), {*IpAddress::parse("198.18.2.13")}}};
  // always: both through the tunnel (eBPF: plain routes out of eth0 plus a tunnel entry each).
  auto s = compute_desired(c.model, facts, learned);
  EXPECT_EQ(s.ipip.tunnels.size(), 2u);
  ASSERT_TRUE(route_to(s, "198.19.3.0/24"));
  EXPECT_EQ(route_to(s, "198.19.3.0/24")->nexthops.at(0).gateway, IpAddress::parse("198.18.1.1").value())
      << "off the segment: via the underlay's gateway";
  EXPECT_EQ(s.workload_mtu, 1480u);
  // cross-subnet: the next hop on the segment is routed directly, only the other is tunnelled.
  c.model.pools["lab"].encapsulate = Encapsulate::cross_subnet;
  s = compute_desired(c.model, facts, learned);
  ASSERT_EQ(s.ipip.tunnels.size(), 1u);
  EXPECT_EQ(route_to(s, "198.19.2.0/24")->nexthops.at(0).gateway, IpAddress::parse("198.18.1.12").value());
}

}  // namespace
}  // namespace weft::dataplane
