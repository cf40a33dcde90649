// The IPIP backend against the recording FakeKernel: eBPF cross-subnet paths (plain routes on
// the segment, tunnel entries written before the routes beyond it), a second round and a
// restarted weftd that change nothing, hand-made damage mended, a refused program reported as a
// node problem with the rest intact, and the kernel (tunl0) data plane. No root, no kernel.
#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>

#include "dataplane/bpf/ipip_object.h"
#include "dataplane/ipip.h"
#include "dataplane/reconciler.h"
#include "kernel/fake_kernel.h"
#include "model/keys.h"
#include "parse.h"

namespace weft::dataplane {
namespace {

using weft::testing::ip;
using weft::testing::pfx;
using model::Encapsulate;
using model::Encapsulation;

const std::string kPins = "/sys/fs/bpf/weft-test";

struct Cluster {
  model::ClusterModel model;
  kernel::FakeKernel kernel;
  LocalFacts self;

  explicit Cluster(Encapsulate when, IpipDataplane dataplane = IpipDataplane::ebpf) {
    auto eth0 = kernel.add_device({.name = "eth0", .kind = "veth", .mtu = 1500, .up = true});
    self = LocalFacts{.node = "h1",
                      .underlay = *model::InterfaceAddress::parse("198.18.1.11/24"),
                      .underlay_device = "eth0",
                      .underlay_ifindex = eth0.index,
                      .underlay_mtu = 1500,
                      .ipip = dataplane,
                      .bpf_dir = kPins,
                      .underlay_next_hops = {{ip("198.18.2.13"), ip("198.18.1.1")}}};
    model::Pool p{.name = "lab", .cidr = pfx("198.19.0.0/16"), .block_length = 24};
    p.encapsulation = Encapsulation::ipip;
    p.encapsulate = when;
    model.pools["lab"] = p;
    node("h1", "198.18.1.11/24");
    node("h2", "198.18.1.12/24");  // same segment
    node("h3", "198.18.2.13/24");  // across the router
    block("198.19.1.0/24", "h1");
    block("198.19.2.0/24", "h2");
    block("198.19.3.0/24", "h3");
  }
  void node(const char* name, const char* underlay) {
    model.nodes[name] = model::Node{name, {*model::InterfaceAddress::parse(underlay)}, {}, std::nullopt, "", 0, {}};
  }
  void block(const char* cidr, const char* holder) {
    model.blocks[model::keys::block("lab", pfx(cidr))] = model::BlockAffinity{"lab", pfx(cidr), holder, false, 0};
  }
  DesiredState desired() const { return compute_desired(model, self); }
  std::vector<IpipTunnel> tunnels() const {
    std::vector<IpipTunnel> out;
    for (const auto& e : kernel.bpf_map(kernel::bpf_map_pin(kPins, kIpipTunnelMap))) out.push_back(*decode_tunnel(e));
    return out;
  }
};

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

int count_prefix(const std::vector<std::string>& writes, const std::string& prefix) {
  return static_cast<int>(std::count_if(writes.begin(), writes.end(), [&](const std::string& w) { return w.rfind(prefix, 0) == 0; }));
}

TEST(Ipip, EbpfCrossSubnetTunnelsOnlyAcrossTheRouterAndWritesEntriesBeforeRoutes) {
  Cluster c(Encapsulate::cross_subnet);
  const auto desired = c.desired();
  EXPECT_EQ(desired.workload_mtu, 1480u);
  Reconciler reconciler(c.kernel);
  auto report = reconciler.apply(desired);
  ASSERT_TRUE(report.ok()) << report.errors.front().describe();
  const auto writes = c.kernel.writes();

  ASSERT_EQ(c.tunnels().size(), 1u) << joined(writes);
  EXPECT_EQ(c.tunnels()[0], (IpipTunnel{pfx("198.19.3.0/24"), ip("198.18.2.13"), ip("198.18.1.11")}));
  const auto routes = c.kernel.routes();
  auto route_to = [&](const char* block) {
    auto it = std::find_if(routes.begin(), routes.end(), [&](const kernel::Route& r) { return r.destination == pfx(block); });
    return it == routes.end() ? std::optional<IpAddress>{} : it->nexthops.at(0).gateway;
  };
  EXPECT_EQ(route_to("198.19.2.0/24"), ip("198.18.1.12")) << "same segment: a plain route";
  EXPECT_EQ(route_to("198.19.3.0/24"), ip("198.18.1.1")) << "across the router: via the underlay gateway";

  const int load = position(writes, "bpf_load weft_ipip");
  const int egress = position(writes, "tc_attach #1 egress " + kPins + "/weft_ipip_egress");
  const int ingress = position(writes, "tc_attach #1 ingress " + kPins + "/weft_ipip_ingress");
  const int entry = position(writes, "bpf_map_update " + kPins + "/maps/weft_ipip_tun");
  const int route = position(writes, "replace_route 198.19.3.0/24");
  ASSERT_GE(load, 0) << joined(writes);
  ASSERT_GE(egress, 0) << joined(writes);
  ASSERT_GE(ingress, 0) << joined(writes);
  ASSERT_GE(entry, 0) << joined(writes);
  EXPECT_LT(load, egress);
  EXPECT_LT(entry, route) << "the first packet of the route is already encapsulated:\n" << joined(writes);

  // The pools map and the node map tell the ingress program what to take apart.
  EXPECT_EQ(c.kernel.bpf_map(kernel::bpf_map_pin(kPins, kIpipPoolMap)), std::vector{encode_pool(pfx("198.19.0.0/16"))});
  auto nodes = c.kernel.bpf_map(kernel::bpf_map_pin(kPins, kIpipNodeMap));
  ASSERT_EQ(nodes.size(), 3u);
  EXPECT_NE(std::find(nodes.begin(), nodes.end(), encode(IpipNode{ip("198.18.1.11"), true})), nodes.end());
  EXPECT_NE(std::find(nodes.begin(), nodes.end(), encode(IpipNode{ip("198.18.2.13"), false})), nodes.end());

  c.kernel.clear_calls();
  report = reconciler.apply(c.desired());
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(c.kernel.writes().empty()) << joined(c.kernel.writes());
}

TEST(Ipip, EbpfAlwaysTunnelsOnTheSegmentToo) {
  Cluster c(Encapsulate::always);
  Reconciler reconciler(c.kernel);
  ASSERT_TRUE(reconciler.apply(c.desired()).ok());
  EXPECT_EQ(c.tunnels().size(), 2u);
}

TEST(Ipip, ARestartedAgentNeitherReattachesNorRewritesAnEntry) {
  Cluster c(Encapsulate::cross_subnet);
  {
    Reconciler first(c.kernel);
    ASSERT_TRUE(first.apply(c.desired()).ok());
  }
  c.kernel.clear_calls();
  Reconciler second(c.kernel);  // a new weftd: loads its object again, finds everything in place
  ASSERT_TRUE(second.apply(c.desired()).ok());
  const auto writes = c.kernel.writes();
  EXPECT_EQ(count_prefix(writes, "bpf_load"), 1) << joined(writes);
  EXPECT_EQ(count_prefix(writes, "tc_"), 0) << joined(writes);
  EXPECT_EQ(count_prefix(writes, "bpf_map_"), 0) << joined(writes);
  EXPECT_EQ(count_prefix(writes, "replace_route"), 0) << joined(writes);
}

TEST(Ipip, AnEntryDeletedAndAProgramReplacedByHandAreRestoredNextRound) {
  Cluster c(Encapsulate::cross_subnet);
  Reconciler reconciler(c.kernel);
  ASSERT_TRUE(reconciler.apply(c.desired()).ok());
  const std::string tun = kernel::bpf_map_pin(kPins, kIpipTunnelMap);
  ASSERT_TRUE(c.kernel.bpf_map_delete(tun, encode_lpm_key(pfx("198.19.3.0/24"))));
  c.kernel.set_tc_program_silently(1, kernel::TcDirection::ingress, {.id = 99, .name = "intruder", .tag = "0123456789abcdef"});
  c.kernel.clear_calls();
  ASSERT_TRUE(reconciler.apply(c.desired()).ok());
  EXPECT_EQ(c.tunnels().size(), 1u);
  auto program = c.kernel.tc_program(1, kernel::TcDirection::ingress);
  ASSERT_TRUE(program && *program);
  EXPECT_EQ((*program)->name, "weft_ipip_ingress");
  EXPECT_EQ(count_prefix(c.kernel.writes(), "tc_attach"), 1) << joined(c.kernel.writes());
}

TEST(Ipip, ARefusedProgramIsANodeProblemAndTheRestOfTheDataPlaneStays) {
  // Where the load falls among a round's calls, from a twin cluster.
  Cluster twin(Encapsulate::cross_subnet);
  Reconciler twin_reconciler(twin.kernel);
  ASSERT_TRUE(twin_reconciler.apply(twin.desired()).ok());
  const int load = position(twin.kernel.calls(), "bpf_load");
  ASSERT_GE(load, 0);

  Cluster c(Encapsulate::cross_subnet);
  Reconciler reconciler(c.kernel);
  c.kernel.fail_call(load + 1, EINVAL);
  auto report = reconciler.apply(c.desired());
  ASSERT_FALSE(report.ok());
  ASSERT_EQ(report.problems.size(), 1u);
  EXPECT_NE(report.problems[0].find("refused weft's eBPF IPIP program"), std::string::npos) << report.problems[0];
  const auto routes = c.kernel.routes();
  EXPECT_TRUE(std::any_of(routes.begin(), routes.end(), [](const kernel::Route& r) { return r.destination == pfx("198.19.1.0/24"); }))
      << "the local blackhole is still installed";
  // The next round loads it.
  report = reconciler.apply(c.desired());
  EXPECT_TRUE(report.ok());
  EXPECT_EQ(c.tunnels().size(), 1u);
}

TEST(Ipip, NoIpipPoolAnyMoreTakesTheProgramsOffAndEmptiesTheMaps) {
  Cluster c(Encapsulate::always);
  Reconciler reconciler(c.kernel);
  ASSERT_TRUE(reconciler.apply(c.desired()).ok());
  c.model.pools["lab"].encapsulation = Encapsulation::none;
  auto report = reconciler.apply(c.desired());
  ASSERT_TRUE(report.ok()) << report.errors.front().describe();
  EXPECT_TRUE(c.tunnels().empty());
  auto egress = c.kernel.tc_program(1, kernel::TcDirection::egress);
  ASSERT_TRUE(egress);
  EXPECT_FALSE(*egress);
}

TEST(Ipip, KernelDataplaneRoutesThroughTunl0OnlinkAndGivesItTheTunnelAddress) {
  Cluster c(Encapsulate::always, IpipDataplane::kernel);
  auto tunl0 = c.kernel.add_device({.name = "tunl0", .kind = "ipip", .mtu = 1480, .up = false});
  Reconciler reconciler(c.kernel);
  auto report = reconciler.apply(c.desired());
  ASSERT_TRUE(report.ok()) << report.errors.front().describe();
  const auto routes = c.kernel.routes();
  auto it = std::find_if(routes.begin(), routes.end(), [](const kernel::Route& r) { return r.destination == pfx("198.19.3.0/24"); });
  ASSERT_NE(it, routes.end());
  EXPECT_EQ(it->nexthops.at(0).gateway, ip("198.18.2.13"));
  EXPECT_EQ(it->nexthops.at(0).ifindex, tunl0.index);
  EXPECT_TRUE(it->nexthops.at(0).onlink);
  auto addresses = c.kernel.list_addresses(tunl0.index);
  ASSERT_TRUE(addresses);
  ASSERT_EQ(addresses->size(), 1u);
  EXPECT_EQ((*addresses)[0].address, ip("198.19.1.0"));
  EXPECT_TRUE(c.kernel.get_link(tunl0.index)->up);
}

TEST(Ipip, KernelDataplaneWithoutTunl0IsANodeProblem) {
  Cluster c(Encapsulate::always, IpipDataplane::kernel);
  Reconciler reconciler(c.kernel);
  auto report = reconciler.apply(c.desired());
  ASSERT_EQ(report.problems.size(), 1u);
  EXPECT_NE(report.problems[0].find("tunl0"), std::string::npos);
}

TEST(Ipip, MapEntriesRoundTripThroughTheSharedLayout) {
  const IpipTunnel t{pfx("198.19.3.0/24"), ip("198.18.2.13"), ip("198.18.1.11")};
  const auto e = encode(t);
  ASSERT_EQ(e.key.size(), 8u);
  ASSERT_EQ(e.value.size(), 8u);
  EXPECT_EQ(e.key, (kernel::Bytes{24, 0, 0, 0, 198, 19, 3, 0})) << "prefix length (host order), address (network order)";
  EXPECT_EQ(*decode_tunnel(e), t);
  EXPECT_FALSE(decode_tunnel({{1, 2, 3}, e.value}));
  EXPECT_EQ(*decode_node(encode(IpipNode{ip("198.18.1.11"), true})), (IpipNode{ip("198.18.1.11"), true}));
  EXPECT_FALSE(decode_node({{1, 2, 3, 4}, {7, 0, 0, 0}})) << "unknown node kind";
}

}  // namespace
}  // namespace weft::dataplane
