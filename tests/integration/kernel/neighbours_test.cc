// Permanent neighbour entries and VXLAN FDB entries round-trip.
#include "kernel/addresses.h"
#include "kernel/neighbours.h"
#include "kernel_fixture.h"

namespace weft::kernel::testing {
namespace {

class Neighbours : public KernelTest {
 protected:
  void SetUp() override {
    KernelTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    underlay_ = veth_with_address("n", "u0", "u1", "198.18.0.1/24");
    auto vxlan = create_vxlan(sock("n"), VxlanSpec{.name = "weft.1", .vni = 1, .port = 8472,
                                                   .local = ip("198.18.0.1"), .underlay = underlay_.index,
                                                   .mac = mac("0e:00:00:00:00:01")});
    ASSERT_TRUE(vxlan.has_value()) << vxlan.error().describe();
    vxlan_ = *vxlan;
    ASSERT_TRUE(set_link_up(sock("n"), vxlan_.index, true).has_value());
  }
  NetlinkSocket& s() { return sock("n"); }
  LinkInfo underlay_;
  LinkInfo vxlan_;
};

TEST_F(Neighbours, PermanentNeighbourRoundTrip) {
  Neighbour v4{vxlan_.index, ip("198.19.2.0"), mac("0e:00:00:00:00:02")};
  Neighbour v6{vxlan_.index, ip("2001:db8:2::"), mac("0e:00:00:00:00:02")};
  ASSERT_TRUE(add_neighbour(s(), v4).has_value());
  ASSERT_TRUE(add_neighbour(s(), v6).has_value());
  auto listed = list_neighbours(s(), vxlan_.index);
  ASSERT_TRUE(listed.has_value());
  EXPECT_THAT(*listed, ::testing::UnorderedElementsAre(v4, v6));
  EXPECT_NE(ip_in("n", "neigh show dev weft.1 198.19.2.0").find("PERMANENT"), std::string::npos);

  auto duplicate = add_neighbour(s(), v4);
  ASSERT_FALSE(duplicate.has_value());
  EXPECT_EQ(duplicate.error().code, Errc::already_exists);
  EXPECT_NE(duplicate.error().message.find("adding neighbour 198.19.2.0 lladdr 0e:00:00:00:00:02 dev weft.1"),
            std::string::npos)
      << duplicate.error().message;

  v4.mac = mac("0e:00:00:00:00:03");
  ASSERT_TRUE(replace_neighbour(s(), v4).has_value());
  EXPECT_THAT(*list_neighbours(s(), vxlan_.index), ::testing::UnorderedElementsAre(v4, v6));

  ASSERT_TRUE(delete_neighbour(s(), v4).has_value());
  ASSERT_TRUE(delete_neighbour(s(), v6).has_value());
  EXPECT_TRUE(list_neighbours(s(), vxlan_.index)->empty());
  EXPECT_EQ(delete_neighbour(s(), v4).error().code, Errc::not_found);
  EXPECT_EQ(add_neighbour(s(), Neighbour{vxlan_.index, ip("198.19.3.0"), std::nullopt}).error().code,
            Errc::invalid_argument);
}

TEST_F(Neighbours, VxlanFdbRoundTrip) {
  FdbEntry entry{vxlan_.index, mac("0e:00:00:00:00:02"), ip("198.18.0.2")};
  auto added = add_fdb(s(), entry);
  ASSERT_TRUE(added.has_value()) << added.error().describe();
  auto listed = list_fdb(s(), vxlan_.index);
  ASSERT_TRUE(listed.has_value());
  EXPECT_EQ(*listed, std::vector<FdbEntry>{entry});

  auto fdb_probe = run_command("bridge -n " + netns("n") + " fdb show dev weft.1");
  ASSERT_EQ(fdb_probe.exit_code, 0) << fdb_probe.out;
  const std::string& fdb = fdb_probe.out;
  EXPECT_NE(fdb.find("0e:00:00:00:00:02 dst 198.18.0.2 self permanent"), std::string::npos) << fdb;

  auto duplicate = add_fdb(s(), entry);
  ASSERT_FALSE(duplicate.has_value());
  EXPECT_EQ(duplicate.error().code, Errc::already_exists);

  FdbEntry moved = entry;
  moved.remote = ip("198.18.0.3");
  ASSERT_TRUE(replace_fdb(s(), moved).has_value());
  EXPECT_EQ(*list_fdb(s(), vxlan_.index), std::vector<FdbEntry>{moved});

  ASSERT_TRUE(delete_fdb(s(), moved).has_value());
  EXPECT_TRUE(list_fdb(s(), vxlan_.index)->empty());
  auto gone = delete_fdb(s(), moved);
  ASSERT_FALSE(gone.has_value());
  EXPECT_EQ(gone.error().code, Errc::not_found);
  EXPECT_NE(gone.error().message.find("deleting fdb entry 0e:00:00:00:00:02 dst 198.18.0.3 dev weft.1"),
            std::string::npos)
      << gone.error().message;
}

}  // namespace
}  // namespace weft::kernel::testing
