// The recording fake behaves like the kernel where weft relies on it, records every call, and
// fails exactly the call it was told to.
#include "kernel/fake_kernel.h"

#include <gtest/gtest.h>

#include <cerrno>
#include "parse.h"

namespace weft::kernel {
namespace {

using weft::testing::ip;
using weft::testing::pfx;


TEST(FakeKernel, ReplaceIsKeyedByDestinationAndDeleteMatchesProtocol) {
  FakeKernel k;
  auto eth0 = k.add_device({.name = "eth0"});
  ASSERT_TRUE(k.replace_route(Route::via_gateway(pfx("198.19.2.0/24"), ip("198.18.1.12"), eth0.index)));
  ASSERT_TRUE(k.replace_route(Route::via_gateway(pfx("198.19.2.0/24"), ip("198.18.1.13"), eth0.index)));
  ASSERT_EQ(k.routes().size(), 1u) << "same destination, table and metric: replaced";
  EXPECT_EQ(*k.routes()[0].nexthops[0].gateway, ip("198.18.1.13"));
  auto other = k.routes()[0];
  other.protocol = 4;
  auto gone = k.delete_route(other);
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().code, Errc::not_found) << "another owner's route of that destination is not ours to delete";
  EXPECT_EQ(k.list_routes({.protocol = 4})->size(), 0u);
  EXPECT_EQ(k.list_routes()->size(), 1u);
}

TEST(FakeKernel, DeletingADeviceTakesItsAddressesRoutesAndPeer) {
  FakeKernel k;
  auto veth = k.create_veth({.name = "weft1", .peer_name = "eth0"});
  ASSERT_TRUE(veth);
  ASSERT_TRUE(k.add_address({veth->index, ip("198.18.1.1"), 24}));
  ASSERT_TRUE(k.replace_route(Route::via_device(pfx("198.19.1.5/32"), veth->index)));
  ASSERT_TRUE(k.delete_link(veth->index));
  EXPECT_TRUE(k.list_links()->empty()) << "both ends of the veth";
  EXPECT_TRUE(k.list_addresses(0)->empty());
  EXPECT_TRUE(k.routes().empty());
}

TEST(FakeKernel, FailsTheNthCallWithTheChosenErrnoAndChangesNothing) {
  FakeKernel k;
  auto eth0 = k.add_device({.name = "eth0"});
  k.fail_call(2, EBUSY);
  EXPECT_TRUE(k.find_link("eth0"));
  auto r = k.set_link_mtu(eth0.index, 9000);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::in_use);
  EXPECT_NE(r.error().message.find("set_link_mtu dev #1 9000"), std::string::npos) << r.error().message;
  EXPECT_EQ(k.get_link(eth0.index)->mtu, 1500u);
  EXPECT_TRUE(k.set_link_mtu(eth0.index, 9000)) << "only that one call";
  EXPECT_EQ(k.calls(), (std::vector<std::string>{"find_link eth0", "set_link_mtu dev #1 9000", "get_link dev #1",
                                                 "set_link_mtu dev #1 9000"}));
  EXPECT_EQ(k.writes().size(), 2u);
}

TEST(FakeKernel, LookupIsLongestPrefixMatch) {
  FakeKernel k;
  auto eth0 = k.add_device({.name = "eth0"});
  auto eth1 = k.add_device({.name = "eth1"});
  k.add_route_silently(Route::via_gateway(pfx("0.0.0.0/0"), ip("198.18.1.1"), eth0.index));
  k.add_route_silently(Route::via_device(pfx("198.18.2.0/24"), eth1.index));
  EXPECT_EQ(k.lookup_route(ip("198.18.2.7"))->nexthops[0].ifindex, eth1.index);
  EXPECT_EQ(k.lookup_route(ip("8.8.8.8"))->nexthops[0].ifindex, eth0.index);
  EXPECT_FALSE(k.lookup_route(ip("2001:db8::1")));
}

}  // namespace
}  // namespace weft::kernel
