// NetlinkKernel, the real KernelOps, inside a namespace of the test's own: it acts on the
// namespace it was opened for whatever thread calls it, and an nftables table written from a
// value reads back as the same value (so the NAT backend's diff finds nothing to do on a second
// round).
#include "kernel/netlink_kernel.h"

#include "dataplane/nat.h"
#include "kernel_fixture.h"

namespace weft::kernel::testing {
namespace {

class NetlinkKernelTest : public KernelTest {};

TEST_F(NetlinkKernelTest, ActsInItsNamespaceForRoutesSysctlsAndTables) {
  const std::string name = netns("nk");
  auto fd = NetnsFd::open(name);
  ASSERT_TRUE(fd) << fd.error().describe();
  auto k = open_netlink_kernel(*fd);
  ASSERT_TRUE(k) << k.error().describe();
  auto link = veth_with_address("nk", "nk0", "nk1", "198.18.7.1/24");

  ASSERT_TRUE((*k)->replace_route(Route::via_gateway(pfx("198.19.7.0/24"), ip("198.18.7.2"), link.index)));
  auto routes = (*k)->list_routes();
  ASSERT_TRUE(routes);
  ASSERT_EQ(routes->size(), 1u);
  EXPECT_EQ(routes->front().destination, pfx("198.19.7.0/24"));
  EXPECT_NE(ip_in("nk", "route show proto 247").find("198.19.7.0/24 via 198.18.7.2"), std::string::npos);

  for (const char* value : {"0", "1"}) {  // both ways: the namespace may have inherited either
    ASSERT_TRUE((*k)->write_sysctl("net.ipv4.ip_forward", value));
    EXPECT_EQ(run_command("ip netns exec " + name + " cat /proc/sys/net/ipv4/ip_forward").out, std::string(value) + "\n");
  }

  auto table = dataplane::nat_table({pfx("198.19.0.0/16"), pfx("fd00:198:19::/48")}, {pfx("198.19.0.0/16")});
  ASSERT_TRUE(table);
  auto none = (*k)->nft_get_table("inet", "weft");
  ASSERT_TRUE(none) << none.error().describe();
  EXPECT_FALSE(*none) << "no table yet";
  ASSERT_TRUE((*k)->nft_replace_table(*table));
  auto back = (*k)->nft_get_table("inet", "weft");
  ASSERT_TRUE(back) << back.error().describe();
  ASSERT_TRUE(*back);
  EXPECT_TRUE(dataplane::same_nat_table(**back, *table))
      << "read back:\n" << replace_script(**back) << "written:\n" << replace_script(*table);
  // Absent from the root namespace: nft must answer, and answer "no such table".
  const auto root = run_command("nft list table inet weft");
  EXPECT_NE(root.exit_code, 0);
  EXPECT_NE(root.out.find("No such file or directory"), std::string::npos)
      << "the probe itself failed, or the table is in the root namespace: " << root.out;
  ASSERT_TRUE((*k)->nft_delete_table("inet", "weft"));
  EXPECT_FALSE(*(*k)->nft_get_table("inet", "weft"));
}

}  // namespace
}  // namespace weft::kernel::testing
