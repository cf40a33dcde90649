// Which BGP next hops a node uses and how it reaches them, against the recording fake kernel:
// on the underlay subnet as is, elsewhere through the kernel's route (its gateway and device),
// never through weft's own devices nor into a pool, IPv6 link-local only from a directly
// connected peer.
#include "agent/next_hop_resolver.h"

#include <gtest/gtest.h>

#include "dataplane/next_hops.h"
#include "kernel/fake_kernel.h"

namespace weft::agent {
namespace {

IpAddress ip(const char* text) { return *IpAddress::parse(text); }
Prefix pfx(const char* text) { return *Prefix::parse(text); }

struct Host {
  kernel::FakeKernel kernel;
  NextHopResolver resolver{kernel};
  Host() {
    const int eth0 = kernel.add_device({.name = "eth0", .kind = "veth", .mtu = 1500, .up = true}).index;
    const int tor0 = kernel.add_device({.name = "tor0", .kind = "veth", .mtu = 1500, .up = true}).index;
    const int vxlan = kernel.add_device({.name = "weft.vxlan", .kind = "vxlan", .mtu = 1450, .up = true}).index;
    kernel.add_route_silently(kernel::Route::via_device(pfx("198.18.1.0/24"), eth0));
    kernel.add_route_silently(kernel::Route::via_gateway(pfx("0.0.0.0/0"), ip("198.18.1.1"), eth0));
    kernel.add_route_silently(kernel::Route::via_device(pfx("198.18.200.0/30"), tor0));
    kernel.add_address_silently({.ifindex = eth0, .address = ip("198.18.1.11"), .prefix_length = 24});
    kernel.add_address_silently({.ifindex = tor0, .address = ip("198.18.200.2"), .prefix_length = 30});
    kernel.add_address_silently({.ifindex = tor0, .address = ip("fe80::a"), .prefix_length = 64});
    kernel.add_route_silently(kernel::Route::via_device(pfx("10.5.0.0/16"), vxlan));
    kernel.add_route_silently(kernel::Route::blackhole(pfx("10.6.0.0/16")));
    model::ClusterModel model;
    model::Pool pool;
    pool.name = "lab";
    pool.cidr = pfx("198.19.0.0/16");
    model.pools["lab"] = pool;
    resolver.new_round(*model::InterfaceAddress::parse("198.18.1.11/24"), model);
  }
};

TEST(NextHopResolver, UsableNextHopsAndWhereTheyLeave) {
  Host h;
  const IpAddress neighbour = ip("198.18.1.12"), far_node = ip("198.18.2.13"), tor = ip("198.18.200.1");
  EXPECT_TRUE(h.resolver.usable(neighbour, neighbour)) << "on the underlay subnet";
  EXPECT_TRUE(h.resolver.usable(far_node, far_node)) << "another segment, through the default gateway";
  EXPECT_TRUE(h.resolver.usable(tor, tor)) << "a router on its own link";
  EXPECT_FALSE(h.resolver.usable(ip("10.5.0.1"), tor)) << "only through weft's own device";
  EXPECT_FALSE(h.resolver.usable(ip("10.6.0.1"), tor)) << "a blackhole";
  EXPECT_FALSE(h.resolver.usable(ip("198.19.3.1"), neighbour)) << "inside a pool";

  const dataplane::LearnedRoutes learned{{pfx("198.19.3.0/24"), {far_node}},
                                         {pfx("198.19.2.0/24"), {neighbour}},
                                         {pfx("10.99.0.0/24"), {tor}}};
  const auto hops = h.resolver.resolve(learned);
  ASSERT_EQ(hops.size(), 2u) << "the on-link neighbour needs no resolution";
  EXPECT_EQ(hops.at(far_node), (dataplane::ResolvedHop{ip("198.18.1.1"), "eth0"}));
  EXPECT_EQ(hops.at(tor), (dataplane::ResolvedHop{tor, "tor0"}));
}

// A link-local next hop is on the link of the peer that sent it: the underlay's, or a router's
// own directly connected link (then routed out of that device); never through a gateway.
TEST(NextHopResolver, LinkLocalNextHopsFromADirectlyConnectedPeerOnly) {
  Host h;
  EXPECT_TRUE(h.resolver.usable(ip("fe80::2"), ip("198.18.1.12")));
  EXPECT_FALSE(h.resolver.usable(ip("fe80::3"), ip("198.18.2.13"))) << "its link is another segment";
  EXPECT_TRUE(h.resolver.usable(ip("fe80::4"), ip("198.18.200.1"))) << "the router's own link";
  EXPECT_TRUE(h.resolver.usable(ip("fe80::5"), ip("fe80::5"))) << "a session over link-local addresses";
  const dataplane::LearnedRoutes learned{{pfx("198.19.2.0/24"), {ip("fe80::2")}}, {pfx("10.99.0.0/24"), {ip("fe80::4")}}};
  const auto hops = h.resolver.resolve(learned);
  ASSERT_EQ(hops.size(), 1u) << "the underlay's link-local next hop needs no resolution";
  EXPECT_EQ(hops.at(ip("fe80::4")), (dataplane::ResolvedHop{ip("fe80::4"), "tor0"}));
}

// The IPv6 next hop self of a session over IPv4: the link-local address of the session's link.
TEST(NextHopResolver, ASessionsIpv6NextHopIsTheLinkLocalAddressOfItsLink) {
  Host h;
  EXPECT_EQ(dataplane::link_local_of(ip("198.18.200.2"), h.kernel), ip("fe80::a"));
  EXPECT_EQ(dataplane::link_local_of(ip("198.18.1.11"), h.kernel), std::nullopt) << "eth0 has none here";
  EXPECT_EQ(dataplane::link_local_of(ip("198.18.9.9"), h.kernel), std::nullopt) << "not ours";
}

// Lookups are kept for one round: a route added later counts from the next round on.
TEST(NextHopResolver, KernelAnswersAreKeptForOneRound) {
  Host h;
  const IpAddress loopback = ip("10.7.0.1");
  EXPECT_TRUE(h.resolver.usable(loopback, loopback)) << "via the default route";
  h.kernel.clear_calls();
  EXPECT_TRUE(h.resolver.usable(loopback, loopback));
  EXPECT_TRUE(h.kernel.calls().empty()) << "answered from this round's cache";
  h.resolver.new_round(*model::InterfaceAddress::parse("198.18.1.11/24"), {});
  EXPECT_TRUE(h.resolver.usable(loopback, loopback));
  EXPECT_EQ(h.kernel.calls().size(), 2u) << "looked up again: the route, then its device";
}

}  // namespace
}  // namespace weft::agent
