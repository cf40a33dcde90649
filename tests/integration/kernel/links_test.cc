// Veth pairs across namespaces, bridges, VXLAN devices and device attributes.
#include "kernel/addresses.h"
#include "kernel/netns.h"
#include "kernel/routes.h"
#include "kernel_fixture.h"

namespace weft::kernel::testing {
namespace {

using Links = KernelTest;

TEST_F(Links, VethAcrossTwoNamespaces) {
  NetlinkSocket& a = sock("a");
  NetlinkSocket& b = sock("b");
  auto b_fd = NetnsFd::open(netns("b"));
  ASSERT_TRUE(b_fd.has_value());

  auto local = create_veth(a, VethSpec{.name = "wa0",
                                       .peer_name = "wb0",
                                       .peer_netns_fd = b_fd->get(),
                                       .mtu = 1400,
                                       .mac = mac("02:00:00:00:0a:01"),
                                       .peer_mac = mac("02:00:00:00:0b:01")});
  ASSERT_TRUE(local.has_value()) << local.error().describe();
  EXPECT_EQ(local->kind, "veth");
  EXPECT_EQ(local->mtu, 1400u);
  EXPECT_EQ(local->mac, mac("02:00:00:00:0a:01"));

  auto peer = find_link(b, "wb0");
  ASSERT_TRUE(peer.has_value()) << peer.error().describe();
  EXPECT_EQ(peer->mtu, 1400u);
  EXPECT_EQ(peer->mac, mac("02:00:00:00:0b:01"));
  EXPECT_EQ(find_link(a, "wb0").error().code, Errc::not_found);  // not on this side

  ASSERT_TRUE(set_link_up(a, local->index, true).has_value());
  ASSERT_TRUE(set_link_up(b, peer->index, true).has_value());
  ASSERT_TRUE(add_address(a, {local->index, ip("198.18.0.1"), 24}).has_value());
  ASSERT_TRUE(add_address(b, {peer->index, ip("198.18.0.2"), 24}).has_value());

  // Ping-free check: each side routes the other's address straight out of its veth.
  auto route = lookup_route(a, ip("198.18.0.2"));
  ASSERT_TRUE(route.has_value()) << route.error().describe();
  ASSERT_EQ(route->nexthops.size(), 1u);
  EXPECT_EQ(route->nexthops[0].ifindex, local->index);
  EXPECT_FALSE(route->nexthops[0].gateway.has_value());
  EXPECT_EQ(route->source, ip("198.18.0.1"));
  auto back = lookup_route(b, ip("198.18.0.1"));
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->nexthops.at(0).ifindex, peer->index);
  // And the connected routes the kernel made are listed (protocol kernel), not as weft's.
  auto connected = list_routes(a, RouteFilter{.family = Family::v4, .protocol = 2 /* RTPROT_KERNEL */});
  ASSERT_TRUE(connected.has_value());
  ASSERT_EQ(connected->size(), 1u);
  EXPECT_EQ(connected->front().destination, pfx("198.18.0.0/24"));
  EXPECT_TRUE(list_routes(a)->empty());
  // Nothing routes the pod range.
  auto none = lookup_route(a, ip("198.19.0.1"));
  ASSERT_FALSE(none.has_value());
  EXPECT_EQ(none.error().code, Errc::not_found);
  EXPECT_NE(none.error().message.find("looking up the route to 198.19.0.1: Network is unreachable (errno 101"),
            std::string::npos)
      << none.error().message;

  // Deleting one end deletes the pair.
  ASSERT_TRUE(delete_link(a, local->index).has_value());
  EXPECT_EQ(find_link(b, "wb0").error().code, Errc::not_found);
}

TEST_F(Links, BridgeMasterAndAttributes) {
  NetlinkSocket& s = sock("br");
  auto bridge = create_bridge(s, BridgeSpec{.name = "wbr0", .mtu = 1450, .mac = mac("02:00:00:00:0c:01")});
  ASSERT_TRUE(bridge.has_value()) << bridge.error().describe();
  EXPECT_EQ(bridge->kind, "bridge");
  EXPECT_EQ(bridge->mac, mac("02:00:00:00:0c:01"));
  LinkInfo port = veth_with_address("br", "wp0", "wp1");

  ASSERT_TRUE(set_link_master(s, port.index, bridge->index).has_value());
  EXPECT_EQ(get_link(s, port.index)->master, bridge->index);
  EXPECT_NE(ip_in("br", "link show wp0").find("master wbr0"), std::string::npos);
  ASSERT_TRUE(set_link_master(s, port.index, 0).has_value());
  EXPECT_EQ(get_link(s, port.index)->master, 0);

  ASSERT_TRUE(set_link_up(s, bridge->index, true).has_value());
  EXPECT_TRUE(get_link(s, bridge->index)->up);
  ASSERT_TRUE(set_link_up(s, bridge->index, false).has_value());
  EXPECT_FALSE(get_link(s, bridge->index)->up);
  ASSERT_TRUE(set_link_mtu(s, port.index, 1300).has_value());
  ASSERT_TRUE(set_link_mac(s, port.index, mac("02:00:00:00:0d:01")).has_value());
  auto changed = find_link(s, "wp0");
  ASSERT_TRUE(changed.has_value());
  EXPECT_EQ(changed->mtu, 1300u);
  EXPECT_EQ(changed->mac, mac("02:00:00:00:0d:01"));
  EXPECT_TRUE(changed->up);  // MTU and MAC changes kept the device up

  auto all = list_links(s);
  ASSERT_TRUE(all.has_value());
  std::vector<std::string> names;
  for (const LinkInfo& link : *all) names.push_back(link.name);
  EXPECT_THAT(names, ::testing::UnorderedElementsAre("lo", "wbr0", "wp0", "wp1"));

  auto duplicate = create_bridge(s, BridgeSpec{.name = "wbr0"});
  ASSERT_FALSE(duplicate.has_value());
  EXPECT_EQ(duplicate.error().code, Errc::already_exists);
  EXPECT_EQ(duplicate.error().message, "creating bridge wbr0: File exists (errno 17)");

  ASSERT_TRUE(delete_link(s, bridge->index).has_value());
  EXPECT_EQ(get_link(s, bridge->index).error().code, Errc::not_found);
}

TEST_F(Links, VxlanDeviceAttributes) {
  NetlinkSocket& s = sock("vx");
  LinkInfo underlay = veth_with_address("vx", "u0", "u1", "198.18.0.1/24");
  auto vxlan = create_vxlan(s, VxlanSpec{.name = "weft.1",
                                         .vni = 4097,
                                         .port = 8472,
                                         .local = ip("198.18.0.1"),
                                         .underlay = underlay.index,
                                         .learning = false,
                                         .mtu = 1450,
                                         .mac = mac("0e:00:00:00:01:01")});
  ASSERT_TRUE(vxlan.has_value()) << vxlan.error().describe();
  EXPECT_EQ(vxlan->kind, "vxlan");
  EXPECT_EQ(vxlan->mtu, 1450u);
  EXPECT_EQ(vxlan->mac, mac("0e:00:00:00:01:01"));
  ASSERT_TRUE(vxlan->vxlan.has_value());
  EXPECT_EQ(*vxlan->vxlan, (VxlanInfo{.vni = 4097, .port = 8472, .local = ip("198.18.0.1"),
                                      .underlay = underlay.index, .learning = false}));

  // Cross-check with iproute2's own decoding.
  Json shown = ip_json("vx", "-d link show weft.1");
  ASSERT_TRUE(shown.is_array() && shown.size() == 1) << shown.dump();
  const Json& link = shown[0];
  EXPECT_EQ(link["mtu"], 1450);
  EXPECT_EQ(link["address"], "0e:00:00:00:01:01");
  const Json& info = link["linkinfo"];
  EXPECT_EQ(info["info_kind"], "vxlan");
  EXPECT_EQ(info["info_data"]["id"], 4097);
  EXPECT_EQ(info["info_data"]["port"], 8472);
  EXPECT_EQ(info["info_data"]["local"], "198.18.0.1");
  EXPECT_EQ(info["info_data"]["link"], "u0");
  EXPECT_EQ(info["info_data"]["learning"], false);

  auto again = create_vxlan(s, VxlanSpec{.name = "weft.1", .vni = 4097});
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().code, Errc::already_exists);
  EXPECT_NE(again.error().message.find("creating vxlan weft.1 (vni 4097, port 4789)"), std::string::npos)
      << again.error().message;
  EXPECT_EQ(create_vxlan(s, VxlanSpec{.name = "weft.2", .vni = 1u << 24}).error().code, Errc::invalid_argument);
}

TEST_F(Links, MoveToAnotherNamespace) {
  NetlinkSocket& a = sock("ma");
  NetlinkSocket& b = sock("mb");
  LinkInfo end = veth_with_address("ma", "m0", "m1");
  auto peer = find_link(a, "m1");
  ASSERT_TRUE(peer.has_value());
  auto b_fd = NetnsFd::open(netns("mb"));
  ASSERT_TRUE(b_fd.has_value());
  ASSERT_TRUE(move_link_to_netns(a, peer->index, b_fd->get()).has_value());
  EXPECT_EQ(find_link(a, "m1").error().code, Errc::not_found);
  auto moved = find_link(b, "m1");
  ASSERT_TRUE(moved.has_value());
  EXPECT_EQ(moved->kind, "veth");
  EXPECT_FALSE(moved->up);  // moving a device takes it down
  EXPECT_TRUE(get_link(a, end.index).has_value());
}

TEST_F(Links, Errors) {
  NetlinkSocket& s = sock("e");
  auto missing = find_link(s, "nope0");
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code, Errc::not_found);
  EXPECT_EQ(missing.error().message, "getting device nope0: No such device (errno 19)");
  EXPECT_EQ(find_link(s, "a/b").error().code, Errc::invalid_argument);
  EXPECT_EQ(find_link(s, "sixteen-chars-xx").error().code, Errc::invalid_argument);
  LinkInfo veth = veth_with_address("e", "e0", "e1");
  auto mtu = set_link_mtu(s, veth.index, 10);  // below ETH_MIN_MTU
  ASSERT_FALSE(mtu.has_value());
  EXPECT_EQ(mtu.error().code, Errc::invalid_argument);
  EXPECT_NE(mtu.error().message.find("setting mtu 10 on e0: Invalid argument (errno 22"), std::string::npos)
      << mtu.error().message;
  EXPECT_EQ(delete_link(s, 9999).error().code, Errc::not_found);
}

}  // namespace
}  // namespace weft::kernel::testing
