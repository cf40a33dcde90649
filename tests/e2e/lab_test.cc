// `weft lab` as an operator runs it (root: network namespaces, etcd): the underlay, the store
// reachable from every host, pods wired, `check`, and `down` leaving nothing behind.
//
// The lab's namespace names are fixed (weft-lab-*), so one lab exists per machine: every test
// takes an exclusive lock first (ctest may run the discovered tests in parallel) and starts with
// `up`, which replaces whatever lab was there. State lives in a temp dir, never /run/weft-lab.
//
// Until weftd exists `lab up` stops with exit 1 ("weftd not found") after building the underlay
// and the pools: UnderlayStoreAndDown checks what exists then, and the full `check` once weftd is
// found (next to weft in the build tree). PodsWithoutAgents uses the hidden --no-agent, which
// reserves a block per host instead of running weftd, to check pod wiring now.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "lab_fixture.h"
#include "cli/lab/fabric_router.h"
#include "cli/lab/topology.h"

namespace {

using namespace weft_e2e;

TEST_F(Lab, UnderlayStoreAndDown) {
  const std::string before = root_network();
  auto up = lab({"up", "--hosts", "4", "--segments", "2"});
  const bool full = up.exit_code == 0;
  if (!full) {
    ASSERT_EQ(up.exit_code, 1) << up.out << up.err;
    ASSERT_NE(up.err.find("weftd not found"), std::string::npos) << up.err;
  }

  // Hosts reach each other across segments through the router, and etcd.
  for (auto [from, to] : {std::pair{"h1", "198.18.2.12"}, std::pair{"h1", "198.18.1.13"},
                          std::pair{"h4", "198.18.1.11"}, std::pair{"h4", "198.18.0.2"}}) {
    auto ping = exec(from, {"/usr/bin/ping", "-n", "-c", "1", "-W", "2", to});
    EXPECT_EQ(ping.exit_code, 0) << from << " -> " << to << ": " << ping.out << ping.err;
  }
  // The router knows no pod address: the kernel answers "unreachable" (any other failure is a
  // probe that did not run, and proves nothing).
  auto router = exec("weft-lab-router", {"/usr/sbin/ip", "route", "get", "198.19.0.11"});
  EXPECT_NE(router.exit_code, 0) << router.out;
  EXPECT_NE(router.err.find("unreachable"), std::string::npos) << router.err;
  // Every host reaches the store: weft itself, with WEFT_STORE from `lab exec`.
  for (const char* host : {"weft-lab-h1", "weft-lab-h2"}) {
    auto pools = exec(host, {WEFT_CLI_PATH, "pool", "list"});
    EXPECT_EQ(pools.exit_code, 0) << pools.err;
    EXPECT_NE(pools.out.find("198.19.0.0/16"), std::string::npos) << pools.out;
    EXPECT_NE(pools.out.find("lab6"), std::string::npos) << pools.out;
    EXPECT_NE(pools.out.find("vxlan"), std::string::npos) << pools.out;
  }
  EXPECT_EQ(exec("h3", {"/bin/sh", "-c", "test \"$WEFT_STORE\" = etcd://198.18.0.2:2379 && exit 7"}).exit_code, 7);

  auto status = lab({"status", "-o", "json"});
  ASSERT_EQ(status.exit_code, 0) << status.err;
  auto json = weft::parse_json(status.out);
  ASSERT_TRUE(json) << status.out;
  EXPECT_EQ((*json)["store"], "etcd://198.18.0.2:2379");
  EXPECT_EQ((*json)["mode"], "vxlan");
  ASSERT_EQ((*json)["hosts"].size(), 4u);
  EXPECT_EQ((*json)["hosts"][1]["name"], "h2");
  EXPECT_EQ((*json)["hosts"][1]["underlay"], "198.18.2.12/24");
  EXPECT_EQ((*json)["hosts"][1]["netns"], "weft-lab-h2");
  EXPECT_EQ((*json)["hosts"][1]["agentRunning"], full);

  if (full) {
    auto check = lab({"check"});
    EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
  }

  EXPECT_EQ(root_network(), before) << "the lab changed the root namespace";
  const auto pids = recorded_pids();
  EXPECT_FALSE(pids.empty());
  auto down = lab({"down"});
  EXPECT_EQ(down.exit_code, 0) << down.err;
  expect_gone(pids);
  auto again = lab({"down"});
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.out.find("no lab"), std::string::npos) << again.out;
}

TEST_F(Lab, PodsWithoutAgents) {
  auto up = lab({"up", "--hosts", "2", "--pods-per-host", "2", "--no-agent"});
  ASSERT_EQ(up.exit_code, 0) << up.out << up.err;

  auto check = lab({"check", "-o", "json"});
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
  auto json = weft::parse_json(check.out);
  ASSERT_TRUE(json) << check.out;
  // 4 pods, 12 ordered pairs, 2 families: same-host pairs (2 hosts x 2 x 2) connect, the others
  // are n/a (no agent routes them).
  EXPECT_EQ((*json)["summary"]["expected"], 8);
  EXPECT_EQ((*json)["summary"]["connected"], 8);
  EXPECT_EQ((*json)["summary"]["notApplicable"], 16);

  auto routes = exec("h1", {"/usr/sbin/ip", "route", "show", "proto", "248"});
  EXPECT_EQ(routes.exit_code, 0);
  EXPECT_EQ(std::count(routes.out.begin(), routes.out.end(), '\n'), 2) << routes.out;
  auto veth = weft::cli::lab::host_veth_name("h1-p1");
  EXPECT_NE(routes.out.find(veth), std::string::npos) << routes.out;
  auto pod = exec("h1-p1", {"/usr/sbin/ip", "-o", "link", "show", "eth0"});
  EXPECT_NE(pod.out.find("mtu 1450"), std::string::npos) << pod.out;
  auto pod_routes = exec("h1-p1", {"/usr/sbin/ip", "route"});
  EXPECT_NE(pod_routes.out.find("default via 169.254.1.1 dev eth0"), std::string::npos) << pod_routes.out;

  const auto pids = recorded_pids();
  auto down = lab({"down"});
  EXPECT_EQ(down.exit_code, 0) << down.err;
  expect_gone(pids);
}

TEST_F(Lab, UpReplacesAPreviousLab) {
  auto first = lab({"up", "--hosts", "1", "--pods-per-host", "0", "--no-agent", "--mode", "direct"});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  const auto first_pids = recorded_pids();
  auto second = lab({"up", "--hosts", "2", "--pods-per-host", "1", "--no-agent", "--mode", "direct"});
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_NE(second.out.find("removing it first"), std::string::npos) << second.out;
  for (int pid : first_pids) EXPECT_FALSE(running(pid)) << pid;
  EXPECT_EQ(lab_namespaces().size(), 7u);  // router, etcd, s1, h1, h2, h1-p1, h2-p1
}


TEST(LabCli, BadOptionsAreUsageErrors) {
  EXPECT_EQ(run({WEFT_CLI_PATH, "lab", "up", "--mode", "gre"}).exit_code, 2);
  EXPECT_EQ(run({WEFT_CLI_PATH, "lab"}).exit_code, 2);
}

TEST(LabTopology, HostsRoundRobinOverSegments) {
  auto t = weft::cli::lab::plan_topology({.hosts = 5, .segments = 2, .pods_per_host = 2});
  ASSERT_TRUE(t);
  ASSERT_EQ(t->hosts.size(), 5u);
  EXPECT_EQ(t->hosts[0].underlay, "198.18.1.11/24");
  EXPECT_EQ(t->hosts[1].underlay, "198.18.2.12/24");
  EXPECT_EQ(t->hosts[4].underlay, "198.18.1.15/24");
  EXPECT_EQ(t->hosts[1].gateway, "198.18.2.1");
  EXPECT_EQ(t->pods.size(), 10u);
  EXPECT_EQ(t->pods[3].netns, "weft-lab-h2-p2");
  for (const auto& ns : t->namespaces()) EXPECT_TRUE(ns.starts_with("weft-lab-")) << ns;
  EXPECT_FALSE(weft::cli::lab::plan_topology({.hosts = 2, .segments = 3}));
  EXPECT_FALSE(weft::cli::lab::plan_topology({.hosts = 245}));

  auto veth = weft::cli::lab::host_veth_name("h1-p1");
  EXPECT_EQ(veth.size(), 12u);
  EXPECT_TRUE(veth.starts_with("weft"));
  EXPECT_NE(veth, weft::cli::lab::host_veth_name("h1-p2"));

  auto block = weft::Prefix::parse("198.19.7.0/24");
  EXPECT_EQ(weft::cli::lab::pod_address(*block, 2)->to_string(), "198.19.7.12");
  EXPECT_FALSE(weft::cli::lab::pod_address(*block, 245));
  auto block6 = weft::Prefix::parse("fd00:198:19::700/120");
  EXPECT_EQ(weft::cli::lab::pod_address(*block6, 1)->to_string(), "fd00:198:19::70b");
}

TEST(LabTopology, DirectModeDoesNotCrossSegments) {
  using namespace weft::cli::lab;
  auto t = plan_topology({.hosts = 3, .segments = 2});
  ASSERT_TRUE(t);
  std::string why;
  EXPECT_TRUE(mode_connects(Mode::direct, Router::plain, true, t->hosts[0], t->hosts[2], &why));
  EXPECT_FALSE(mode_connects(Mode::direct, Router::plain, true, t->hosts[0], t->hosts[1], &why));
  EXPECT_EQ(why, "direct routes do not cross segments");
  EXPECT_TRUE(mode_connects(Mode::vxlan, Router::plain, true, t->hosts[0], t->hosts[1], nullptr));
  EXPECT_TRUE(mode_connects(Mode::vxlan_cross_subnet, Router::plain, true, t->hosts[0], t->hosts[1], nullptr));
  EXPECT_FALSE(mode_connects(Mode::vxlan, Router::plain, false, t->hosts[0], t->hosts[1], nullptr));
  EXPECT_EQ(pod_mtu(Mode::direct), 1500);
  EXPECT_EQ(pod_mtu(Mode::vxlan_cross_subnet), 1450);
}

// BGP-routed modes cross segments when the router speaks BGP; the node mesh off needs it.
TEST(LabTopology, ABgpRouterCarriesBgpModesAcrossSegments) {
  using namespace weft::cli::lab;
  auto t = plan_topology({.hosts = 4, .segments = 2});
  ASSERT_TRUE(t);
  std::string why;
  EXPECT_FALSE(mode_connects(Mode::bgp, Router::plain, true, t->hosts[0], t->hosts[1], &why));
  EXPECT_EQ(why, "the router between the segments does not speak BGP (--router bgp)");
  EXPECT_TRUE(mode_connects(Mode::bgp, Router::bgp, true, t->hosts[0], t->hosts[1], nullptr));
  EXPECT_TRUE(mode_connects(Mode::bgp_node_mesh_off, Router::bgp, true, t->hosts[0], t->hosts[1], nullptr, true));
  EXPECT_FALSE(mode_connects(Mode::direct, Router::bgp, true, t->hosts[0], t->hosts[1], nullptr));
  EXPECT_FALSE(validate_router(Mode::bgp_node_mesh_off, Router::plain));
  EXPECT_FALSE(validate_router(Mode::vxlan, Router::bgp));
  EXPECT_TRUE(validate_router(Mode::bgp_rr, Router::bgp));
  EXPECT_EQ(bgp_sessions_of(Mode::bgp, Router::bgp, 4, 2), 4);
  EXPECT_EQ(bgp_sessions_of(Mode::bgp_node_mesh_off, Router::bgp, 4, 2), 1);
  EXPECT_EQ(bgp_sessions_of(Mode::bgp_rr, Router::plain, 4, 2), 1);
}

// BIRD's configuration: one reflector client per host, from the router's address on its segment.
TEST(LabTopology, TheFabricRouterConfigPeersWithEveryHostOnItsSegment) {
  using namespace weft::cli::lab;
  auto t = plan_topology({.hosts = 3, .segments = 2});
  ASSERT_TRUE(t);
  const std::string c = fabric_bird_config(*t);
  EXPECT_NE(c.find("protocol bgp h1 from weft_host { neighbor 198.18.1.11 as 64512; source address 198.18.1.1; }"),
            std::string::npos) << c;
  EXPECT_NE(c.find("protocol bgp h2 from weft_host { neighbor 198.18.2.12 as 64512; source address 198.18.2.1; }"),
            std::string::npos) << c;
  EXPECT_NE(c.find("rr client;"), std::string::npos);
  EXPECT_NE(c.find("[ 198.19.0.0/16+ ]"), std::string::npos) << "only pod addresses are imported";
  EXPECT_NE(c.find("[ fd00:198:19::/48+ ]"), std::string::npos) << "only pod addresses are imported";
}

}  // namespace
