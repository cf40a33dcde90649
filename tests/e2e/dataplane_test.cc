// The data plane on a running lab, per mode, as an operator would check it: every pod reaches
// every pod the mode can connect; packets are encapsulated exactly where the mode says (VXLAN
// packets counted on the underlay); a removed host's routes, neighbour and FDB entries vanish
// from the others; a weftd restart deletes and re-adds nothing; a route deleted by hand returns.
#include <signal.h>

#include <chrono>
#include <thread>

#include "lab_fixture.h"

namespace {

using namespace weft_e2e;

// Packets sent to the VXLAN port, counted by an nftables rule of the test's own in a lab host.
class VxlanCounter {
 public:
  VxlanCounter(Lab& lab, std::string host) : lab_(lab), host_(std::move(host)) {
    auto r = lab_.exec(host_, {"/usr/sbin/nft",
                               "add table inet weft_e2e; "
                               "add chain inet weft_e2e out { type filter hook postrouting priority 0; }; "
                               "add rule inet weft_e2e out udp dport 4789 counter"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
  }
  long packets() {
    auto r = lab_.exec(host_, {"/usr/sbin/nft", "list", "chain", "inet", "weft_e2e", "out"});
    auto at = r.out.find("packets ");
    return at == std::string::npos ? -1 : std::stol(r.out.substr(at + 8));
  }

 private:
  Lab& lab_;
  std::string host_;
};

struct ModeCase {
  const char* mode;
  bool tunnel_same_segment;   // h1 -> h3 (both on segment 1) goes through VXLAN
  bool tunnel_cross_segment;  // h1 -> h2 (segment 2) goes through VXLAN
  bool cross_segment_connected;
};

class LabModes : public Lab, public ::testing::WithParamInterface<ModeCase> {};

TEST_P(LabModes, ConnectsWhatTheModeCanAndEncapsulatesWhereItSays) {
  const ModeCase c = GetParam();
  auto up = lab({"up", "--hosts", "4", "--segments", "2", "--mode", c.mode});
  ASSERT_EQ(up.exit_code, 0) << up.out << up.err;
  auto check = lab({"check"});
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
  if (!c.cross_segment_connected) {
    EXPECT_NE(check.out.find("n/a"), std::string::npos) << "cross-segment pairs are reported as unreachable by design";
  }

  auto pods = pod_v4(*this);
  ASSERT_EQ(pods.size(), 8u);
  VxlanCounter counter(*this, "h1");
  long before = counter.packets();
  EXPECT_TRUE(ping(*this, "h1-p1", pods["h3-p1"]));  // same segment
  long after_same = counter.packets();
  EXPECT_EQ(after_same > before, c.tunnel_same_segment) << "same segment: " << before << " -> " << after_same;
  const bool crossed = ping(*this, "h1-p1", pods["h2-p1"]);  // across the router
  EXPECT_EQ(crossed, c.cross_segment_connected);
  long after_cross = counter.packets();
  EXPECT_EQ(after_cross > after_same, c.tunnel_cross_segment) << "across: " << after_same << " -> " << after_cross;
}

INSTANTIATE_TEST_SUITE_P(Modes, LabModes,
                         ::testing::Values(ModeCase{"vxlan", true, true, true},
                                           ModeCase{"vxlan-cross-subnet", false, true, true},
                                           ModeCase{"direct", false, false, false}),
                         [](const ::testing::TestParamInfo<ModeCase>& p) {
                           std::string name = p.param.mode;
                           std::erase(name, '-');
                           return name;
                         });

TEST_F(Lab, ARemovedHostVanishesFromEveryOtherHost) {
  auto up = lab({"up", "--hosts", "4", "--segments", "2", "--mode", "vxlan"});
  ASSERT_EQ(up.exit_code, 0) << up.out << up.err;
  auto h4 = host_status(*this, "h4");
  ASSERT_TRUE(h4);
  const std::string block = first_block(*this, "h4");
  const std::string underlay = underlay_of(*this, "h4");
  for (const char* host : {"h1", "h2", "h3"}) {
    auto state = weft_state(*this, host);
    ASSERT_NE(state.find(block), std::string::npos) << host << " has no route to h4's block:\n" << state;
    ASSERT_NE(state.find("dst " + underlay), std::string::npos) << host << " has no FDB entry for h4:\n" << state;
  }
  // The operator stops the host, then removes it from the cluster.
  ASSERT_EQ(::kill((*h4)["agentPid"].get<int>(), SIGTERM), 0);
  auto removed = exec("h1", {WEFT_CLI_PATH, "node", "delete", "h4"});
  ASSERT_EQ(removed.exit_code, 0) << removed.err;
  const std::string vtep = block.substr(0, block.find('/'));
  for (const char* host : {"h1", "h2", "h3"}) {
    auto took = within(std::chrono::seconds(5), [&] {
      auto state = weft_state(*this, host);
      return state.find(block) == std::string::npos && state.find("dst " + underlay) == std::string::npos &&
             state.find(vtep + " ") == std::string::npos;
    });
    EXPECT_TRUE(took) << host << " still has h4's entries:\n" << weft_state(*this, host);
    if (took) std::cout << "[          ] " << host << " dropped h4 in " << *took << " s\n";
  }
}

TEST_F(Lab, AWeftdRestartDeletesAndReAddsNothing) {
  auto up = lab({"up", "--hosts", "4", "--segments", "2", "--mode", "vxlan"});
  ASSERT_EQ(up.exit_code, 0) << up.out << up.err;
  auto h1 = host_status(*this, "h1");
  ASSERT_TRUE(h1);
  const int old_pid = (*h1)["agentPid"].get<int>();
  const std::vector<std::string> argv = process_argv(old_pid);
  ASSERT_FALSE(argv.empty());
  const std::string before = weft_state(*this, "h1");

  // Every route and link change in h1 while weftd stops and starts again (neighbour events are
  // not watched: the kernel ages its own eth0 entries meanwhile; weft's permanent neighbour and
  // FDB entries are compared before and after, and weftd's change counter must stay at 0).
  RouteMonitor monitor(*this, "h1", dir_ / "monitor.log", {"route", "link"});
  ASSERT_TRUE(monitor.started());
  ASSERT_EQ(::kill(old_pid, SIGTERM), 0);
  ASSERT_TRUE(within(std::chrono::seconds(5), [&] { return !running(old_pid); }));
  auto agent = spawn_in_lab(*this, "h1", argv, dir_ / "weftd-restarted.log");
  // Ready when its metrics answer after a reconcile; then give it a periodic round too.
  auto ready = within(std::chrono::seconds(10), [&] {
    return exec("h1", {"/usr/bin/curl", "-fs", "http://127.0.0.1:9099/healthz"}).exit_code == 0;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  const std::string events = monitor.stop();
  EXPECT_TRUE(ready) << slurp(dir_ / "weftd-restarted.log");
  EXPECT_EQ(events, "") << "the restart changed the kernel (ip monitor route link, watched for "
                        << monitor.window_seconds() << " s):\n" << events;
  EXPECT_EQ(weft_state(*this, "h1"), before);
  auto metrics = exec("h1", {"/usr/bin/curl", "-fs", "http://127.0.0.1:9099/metrics"});
  EXPECT_NE(metrics.out.find("weft_kernel_changes_total 0\n"), std::string::npos) << metrics.out;
  EXPECT_EQ(lab({"check"}).exit_code, 0);
  agent.stop();  // ours, not recorded by the lab
}

TEST_F(Lab, ARouteDeletedByHandComesBack) {
  auto up = lab({"up", "--hosts", "2", "--segments", "1", "--mode", "direct"});
  ASSERT_EQ(up.exit_code, 0) << up.out << up.err;
  const std::string block = first_block(*this, "h2");
  ASSERT_FALSE(block.empty());
  ASSERT_EQ(exec("h1", {"/usr/sbin/ip", "route", "del", block}).exit_code, 0);
  auto took = within(std::chrono::seconds(15), [&] {
    return exec("h1", {"/usr/sbin/ip", "route", "show", block, "proto", "247"}).out.find(block) != std::string::npos;
  });
  EXPECT_TRUE(took) << "the route to " << block << " was not restored";
  if (took) std::cout << "[          ] restored in " << *took << " s\n";
  EXPECT_EQ(lab({"check"}).exit_code, 0);
}

// A short bench run: it measures what it says (no figure is asserted: the machine is shared).
TEST_F(Lab, BenchReportsThroughputRatiosConvergenceAndMemory) {
  auto bench = lab({"bench", "--modes", "vxlan", "--convergence-hosts", "3", "--seconds", "1", "--repeat", "1"});
  ASSERT_EQ(bench.exit_code, 0) << bench.err;
  auto json = weft::parse_json(bench.out);
  ASSERT_TRUE(json) << bench.out;
  ASSERT_EQ((*json)["throughput"].size(), 2u) << "1 and 4 streams";
  for (const auto& row : (*json)["throughput"]) {
    EXPECT_GT(row["underlay_gbps"].get<double>(), 0);
    EXPECT_GT(row["ratio"].get<double>(), 0);
  }
  ASSERT_EQ((*json)["convergence"].size(), 2u) << "vxlan and bgp";
  for (const auto& row : (*json)["convergence"]) {
    EXPECT_EQ(row["hosts_missing_route"], 0) << row.dump();
    EXPECT_TRUE(row.contains("all_hosts_have_route_s")) << row.dump();
  }
  EXPECT_EQ((*json)["weftd_rss"]["vxlan"]["hosts"], 3);
  EXPECT_EQ((*json)["weftd_rss"]["bgp"]["hosts"], 3);
  EXPECT_TRUE(lab_namespaces().empty()) << "bench removes its lab";
}

}  // namespace
