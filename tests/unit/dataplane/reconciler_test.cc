// The reconciler against the recording FakeKernel: the order of a VXLAN path's objects, a second
// round that changes nothing, failures that are reported and mended by the next round, NAT as a
// proper diff, and routes that are not weft's left alone. No root, no kernel.
#include "dataplane/reconciler.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>

#include "dataplane/nat.h"
#include "kernel/fake_kernel.h"
#include "model/keys.h"
#include "parse.h"

namespace weft::dataplane {
namespace {

using weft::testing::ip;
using weft::testing::pfx;

using model::Encapsulate;
using model::Encapsulation;


struct Node {
  model::ClusterModel model;
  kernel::FakeKernel kernel;
  LocalFacts self;

  Node() {
    auto eth0 = kernel.add_device({.name = "eth0", .kind = "veth", .mtu = 1500, .up = true});
    self = LocalFacts{.node = "h1",
                      .underlay = *model::InterfaceAddress::parse("198.18.1.11/24"),
                      .underlay_device = "eth0",
                      .underlay_ifindex = eth0.index,
                      .underlay_mtu = 1500,
                      .vtep_mac = *kernel::MacAddress::parse("02:00:00:00:00:01")};
    node("h1", "198.18.1.11/24", "02:00:00:00:00:01");
  }
  void pool(const char* name, const char* cidr, Encapsulation e, Encapsulate when = Encapsulate::always) {
    model::Pool p;
    p.name = name;
    p.cidr = pfx(cidr);
    p.block_length = 24;
    p.encapsulation = e;
    p.encapsulate = when;
    model.pools[name] = p;
  }
  void node(const char* name, const char* underlay, const char* mac) {
    model.nodes[name] = model::Node{name, {*model::InterfaceAddress::parse(underlay)}, {}, std::nullopt, mac, 0, {}};
  }
  void block(const char* pool, const char* cidr, const char* holder) {
    model.blocks[model::keys::block(pool, pfx(cidr))] = model::BlockAffinity{pool, pfx(cidr), holder, false, 0};
  }
  DesiredState desired() const { return compute_desired(model, self); }
};

// Index of the first write starting with `prefix`, or -1.
int position(const std::vector<std::string>& writes, const std::string& prefix) {
  for (size_t i = 0; i < writes.size(); ++i) {
    if (writes[i].rfind(prefix, 0) == 0) return static_cast<int>(i);
  }
  return -1;
}

std::string joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

TEST(Reconciler, VxlanAddsNeighbourThenFdbThenRouteAndRemovesInReverse) {
  Node n;
  n.pool("lab", "198.19.0.0/16", Encapsulation::vxlan);
  n.node("h3", "198.18.2.13/24", "02:00:00:00:00:03");
  n.block("lab", "198.19.1.0/24", "h1");
  n.block("lab", "198.19.3.0/24", "h3");
  Reconciler reconciler(n.kernel);
  auto report = reconciler.apply(n.desired());
  ASSERT_TRUE(report.ok()) << report.errors.front().describe();
  auto writes = n.kernel.writes();
  const int device = position(writes, "create_vxlan weft.vxlan");
  const int neighbour = position(writes, "replace_neighbour 198.19.3.0 lladdr 02:00:00:00:00:03");
  const int fdb = position(writes, "replace_fdb 02:00:00:00:00:03 dst 198.18.2.13");
  const int route = position(writes, "replace_route 198.19.3.0/24 via 198.19.3.0");
  ASSERT_GE(device, 0) << joined(writes);
  ASSERT_GE(neighbour, 0) << joined(writes);
  ASSERT_GE(fdb, 0) << joined(writes);
  ASSERT_GE(route, 0) << joined(writes);
  EXPECT_LT(device, neighbour);
  EXPECT_LT(neighbour, fdb) << joined(writes);
  EXPECT_LT(fdb, route) << "the route comes last, so its first packet finds the L2 path:\n" << joined(writes);

  // h3 leaves: the route goes first, then the FDB entry, then the neighbour.
  n.model.blocks.erase(model::keys::block("lab", pfx("198.19.3.0/24")));
  n.kernel.clear_calls();
  report = reconciler.apply(n.desired());
  ASSERT_TRUE(report.ok()) << report.errors.front().describe();
  writes = n.kernel.writes();
  const int route_gone = position(writes, "delete_route 198.19.3.0/24");
  const int fdb_gone = position(writes, "delete_fdb 02:00:00:00:00:03");
  const int neighbour_gone = position(writes, "delete_neighbour 198.19.3.0");
  ASSERT_GE(route_gone, 0) << joined(writes);
  EXPECT_LT(route_gone, fdb_gone) << joined(writes);
  EXPECT_LT(fdb_gone, neighbour_gone) << joined(writes);
}

TEST(Reconciler, ASecondRoundMakesNoWriteAtAll) {
  Node n;
  n.pool("lab", "198.19.0.0/16", Encapsulation::vxlan, Encapsulate::cross_subnet);
  n.model.pools["lab"].nat_outgoing = true;
  n.pool("lab6", "fd00:198:19::/48", Encapsulation::vxlan);
  n.node("h2", "198.18.1.12/24", "02:00:00:00:00:02");
  n.node("h3", "198.18.2.13/24", "02:00:00:00:00:03");
  n.block("lab", "198.19.1.0/24", "h1");
  n.block("lab", "198.19.2.0/24", "h2");
  n.block("lab", "198.19.3.0/24", "h3");
  n.block("lab6", "fd00:198:19::300/120", "h3");
  Reconciler reconciler(n.kernel);
  auto first = reconciler.apply(n.desired());
  ASSERT_TRUE(first.ok()) << first.errors.front().describe();
  EXPECT_FALSE(first.changes.empty());

  n.kernel.clear_calls();
  auto second = reconciler.apply(n.desired());
  EXPECT_TRUE(second.ok());
  EXPECT_TRUE(second.changes.empty()) << joined(second.changes);
  EXPECT_TRUE(n.kernel.writes().empty()) << "only reads in a round with nothing to do:\n" << joined(n.kernel.writes());
  const auto calls = n.kernel.calls();
  EXPECT_EQ(std::count(calls.begin(), calls.end(), std::string("find_link weft.vxlan")), 1)
      << "the VXLAN device is looked up once per round:\n" << joined(calls);
}

void direct_node_with_two_remotes(Node& n) {
  n.pool("lab", "198.19.0.0/16", Encapsulation::none);
  n.node("h2", "198.18.1.12/24", "02:00:00:00:00:02");
  n.node("h4", "198.18.1.14/24", "02:00:00:00:00:04");
  n.block("lab", "198.19.1.0/24", "h1");
  n.block("lab", "198.19.2.0/24", "h2");
  n.block("lab", "198.19.4.0/24", "h4");
}

TEST(Reconciler, TheThirdCallFailingIsReportedAndTheNextRoundCompletes) {
  Node n;
  direct_node_with_two_remotes(n);
  Reconciler reconciler(n.kernel);
  // This round's calls: find_link weft.vxlan (is there a stale device?), find_link eth0 (the
  // routes' device), list_routes — the 3rd — then the route writes.
  n.kernel.fail_call(3, EIO);
  auto report = reconciler.apply(n.desired());
  ASSERT_EQ(report.errors.size(), 1u) << joined(n.kernel.calls());
  EXPECT_EQ(n.kernel.calls()[2], "list_routes");
  EXPECT_NE(report.errors[0].message.find("list_routes: Input/output error (errno 5)"), std::string::npos)
      << report.errors[0].message;
  EXPECT_TRUE(n.kernel.routes().empty()) << "without the listing no route is written blind";

  auto next = reconciler.apply(n.desired());
  EXPECT_TRUE(next.ok());
  EXPECT_EQ(next.changes.size(), 3u) << joined(next.changes);
  EXPECT_EQ(n.kernel.routes().size(), 3u);
}

TEST(Reconciler, AFailedWriteDoesNotStopTheRestOfTheRound) {
  Node n;
  direct_node_with_two_remotes(n);
  Reconciler reconciler(n.kernel);
  n.kernel.fail_call(4, ENETUNREACH);  // the first route write
  auto report = reconciler.apply(n.desired());
  ASSERT_EQ(report.errors.size(), 1u) << joined(n.kernel.calls());
  EXPECT_NE(report.errors[0].message.find("Network is unreachable (errno 101)"), std::string::npos)
      << report.errors[0].message;
  EXPECT_EQ(report.changes.size(), 2u) << "the rest of the round went on";
  EXPECT_EQ(n.kernel.routes().size(), 2u);

  auto next = reconciler.apply(n.desired());
  EXPECT_TRUE(next.ok());
  EXPECT_EQ(next.changes.size(), 1u) << joined(next.changes);
  EXPECT_EQ(n.kernel.routes().size(), 3u);
}

TEST(Reconciler, RoutesOfOtherOwnersAreNeverTouched) {
  Node n;
  n.pool("lab", "198.19.0.0/16", Encapsulation::none);
  n.block("lab", "198.19.1.0/24", "h1");
  kernel::Route theirs = kernel::Route::via_gateway(pfx("198.19.200.0/24"), ip("198.18.1.1"), 1);
  theirs.protocol = 4;  // an administrator's route, inside the pool even
  kernel::Route stray = kernel::Route::via_gateway(pfx("198.19.9.0/24"), ip("198.18.1.9"), 1);  // weft's, unwanted
  n.kernel.add_route_silently(theirs);
  n.kernel.add_route_silently(stray);
  Reconciler reconciler(n.kernel);
  auto report = reconciler.apply(n.desired());
  ASSERT_TRUE(report.ok());
  const auto routes = n.kernel.routes();
  EXPECT_NE(std::find(routes.begin(), routes.end(), theirs), routes.end()) << "protocol 4 is not weft's";
  EXPECT_EQ(std::find(routes.begin(), routes.end(), stray), routes.end()) << "a weft route nobody wants goes";
}

TEST(Reconciler, NatIsDiffedSoAPoolTakenOutOfNatOutgoingStopsBeingMasqueraded) {
  Node n;
  n.pool("a", "198.19.0.0/17", Encapsulation::none);
  n.pool("b", "198.19.128.0/17", Encapsulation::none);
  n.model.pools["a"].nat_outgoing = true;
  n.model.pools["b"].nat_outgoing = true;
  Reconciler reconciler(n.kernel);
  ASSERT_TRUE(reconciler.apply(n.desired()).ok());
  auto table = n.kernel.nft_get_table(kNatFamily, kNatTableName);
  ASSERT_TRUE(table && *table);
  EXPECT_EQ((*table)->sets[2].elements, (std::vector<std::string>{"198.19.0.0/17", "198.19.128.0/17"}));

  n.model.pools["b"].nat_outgoing = false;
  auto report = reconciler.apply(n.desired());
  ASSERT_EQ(report.changes.size(), 1u) << joined(report.changes);
  table = n.kernel.nft_get_table(kNatFamily, kNatTableName);
  ASSERT_TRUE(table && *table);
  EXPECT_EQ((*table)->sets[2].elements, std::vector<std::string>{"198.19.0.0/17"})
      << "b still listed in the pools set, no longer in nat4";

  n.model.pools["a"].nat_outgoing = false;
  report = reconciler.apply(n.desired());
  EXPECT_EQ(joined(report.changes), "nftables delete table inet weft (no pool asks for NAT)\n");
  table = n.kernel.nft_get_table(kNatFamily, kNatTableName);
  ASSERT_TRUE(table);
  EXPECT_FALSE(*table);
}

TEST(Reconciler, ARouteWhoseDeviceIsMissingIsNeitherAddedNorRemoved) {
  Node n;
  n.pool("lab", "198.19.0.0/16", Encapsulation::vxlan);
  n.node("h3", "198.18.2.13/24", "02:00:00:00:00:03");
  n.block("lab", "198.19.3.0/24", "h3");
  // What an earlier weftd installed through the device (which has vanished meanwhile).
  const kernel::Route earlier = kernel::Route::via_gateway(pfx("198.19.3.0/24"), ip("198.18.1.1"), 1);
  n.kernel.add_route_silently(earlier);
  Reconciler reconciler(n.kernel);
  n.kernel.fail_call(2, EPERM);  // find_link weft.vxlan, then create_vxlan: refused
  auto report = reconciler.apply(n.desired());
  EXPECT_FALSE(report.ok());
  EXPECT_EQ(n.kernel.routes(), std::vector<kernel::Route>{earlier}) << "held: neither replaced nor removed";
  EXPECT_TRUE(reconciler.apply(n.desired()).ok()) << "the next round creates the device and its route";
  ASSERT_EQ(n.kernel.routes().size(), 1u);
  EXPECT_NE(n.kernel.routes()[0], earlier) << "now through weft.vxlan";
}

}  // namespace
}  // namespace weft::dataplane
