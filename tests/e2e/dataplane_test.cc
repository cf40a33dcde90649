// The data plane on a running lab, per mode, as an operator would check it: every pod reaches
// every pod the mode can connect; packets are encapsulated exactly where the mode says (VXLAN
// packets counted on the underlay); a removed host's routes, neighbour and FDB entries vanish
// from the others; a weftd restart deletes and re-adds nothing; a route deleted by hand returns.
#include <signal.h>

#include <chrono>
#include <thread>

#include "base/ip.h"
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

// IPIP packets (IP protocol 4) crossing segment 1's switch, counted by a bridge-family nftables
// rule in the switch's namespace: both h1 -> h3 (same segment) and h1 -> h2 (via the router)
// pass it. (On the host itself netfilter sees the packet before the tc egress program
// encapsulates it, so the count is taken on the wire.)
class IpipCounter {
 public:
  explicit IpipCounter(Lab& lab) : lab_(lab) {
    auto r = lab_.exec("s1", {"/usr/sbin/nft",
                              "add table bridge weft_e2e; "
                              "add chain bridge weft_e2e wire { type filter hook forward priority 0; }; "
                              "add rule bridge weft_e2e wire ip protocol 4 counter"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
  }
  long packets() {
    auto r = lab_.exec("s1", {"/usr/sbin/nft", "list", "chain", "bridge", "weft_e2e", "wire"});
    auto at = r.out.find("packets ");
    return at == std::string::npos ? -1 : std::stol(r.out.substr(at + 8));
  }

 private:
  Lab& lab_;
};

struct ModeCase {
  const char* mode;
  bool tunnel_same_segment;   // h1 -> h3 (both on segment 1) goes through the tunnel
  bool tunnel_cross_segment;  // h1 -> h2 (segment 2) goes through the tunnel
  bool cross_segment_connected;
  bool ipip = false;          // the tunnel is IPIP (else VXLAN)
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
  std::optional<VxlanCounter> vxlan;
  std::optional<IpipCounter> ipip;
  if (c.ipip) {
    ipip.emplace(*this);
  } else {
    vxlan.emplace(*this, "h1");
  }
  auto packets = [&] { return c.ipip ? ipip->packets() : vxlan->packets(); };
  // The other tunnel never carries anything in this mode.
  std::optional<IpipCounter> no_ipip;
  if (!c.ipip) no_ipip.emplace(*this);
  long before = packets();
  ASSERT_GE(before, 0);
  EXPECT_TRUE(ping(*this, "h1-p1", pods["h3-p1"]));  // same segment
  long after_same = packets();
  EXPECT_EQ(after_same > before, c.tunnel_same_segment) << "same segment: " << before << " -> " << after_same;
  const bool crossed = ping(*this, "h1-p1", pods["h2-p1"]);  // across the router
  EXPECT_EQ(crossed, c.cross_segment_connected);
  long after_cross = packets();
  EXPECT_EQ(after_cross > after_same, c.tunnel_cross_segment) << "across: " << after_same << " -> " << after_cross;
  if (no_ipip) {
    EXPECT_EQ(no_ipip->packets(), 0) << "no IPIP packet on the wire in mode " << c.mode;
  }
}

INSTANTIATE_TEST_SUITE_P(Modes, LabModes,
                         ::testing::Values(ModeCase{"vxlan", true, true, true},
                                           ModeCase{"vxlan-cross-subnet", false, true, true},
                                           ModeCase{"direct", false, false, false},
                                           ModeCase{"ipip", true, true, true, true},
                                           ModeCase{"ipip-cross-subnet", false, true, true, true},
                                           ModeCase{"bgp-ipip-cross-subnet", false, true, true, true}),
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
  std::string block;
  if (auto h2 = host_status(*this, "h2")) {
    for (const auto& b : (*h2)["blocks"]) {
      if (b.get<std::string>().find(':') == std::string::npos) block = b.get<std::string>();
    }
  }
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
  auto bench = lab({"bench", "--modes", "vxlan,ipip", "--convergence-hosts", "3", "--seconds", "1", "--repeat", "1"});
  ASSERT_EQ(bench.exit_code, 0) << bench.err;
  auto json = weft::parse_json(bench.out);
  ASSERT_TRUE(json) << bench.out;
  ASSERT_EQ((*json)["throughput"].size(), 4u) << "1 and 4 streams, two modes";
  for (const auto& row : (*json)["throughput"]) {
    EXPECT_GT(row["underlay_gbps"].get<double>(), 0);
    EXPECT_GT(row["ratio"].get<double>(), 0);
    EXPECT_GT(row["pod_cpu_pct_per_gbps"].get<double>(), 0) << "the pod traffic costs some CPU: " << row.dump();
    EXPECT_GT(row["underlay_cpu_pct_per_gbps"].get<double>(), 0) << row.dump();
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

// eBPF IPIP across a weftd restart: a ping flow across the router loses nothing, no route or link
// changes, the pinned map entries and attached programs stay as they were; then a map entry
// deleted and a program detached by hand come back within a reconcile round.
TEST_F(Lab, IpipEbpfSurvivesARestartAndMendsHandDamage) {
  auto up = lab({"up", "--hosts", "4", "--segments", "2", "--mode", "ipip-cross-subnet"});
  ASSERT_EQ(up.exit_code, 0) << up.out << up.err;
  auto nodes = exec("h1", {WEFT_CLI_PATH, "node", "list", "--store", "etcd://198.18.0.2:2379"});
  EXPECT_NE(nodes.out.find("ebpf"), std::string::npos) << "weft node list shows the data plane:\n" << nodes.out << nodes.err;
  auto pods = pod_v4(*this);
  auto h1 = host_status(*this, "h1");
  ASSERT_TRUE(h1);
  const int old_pid = (*h1)["agentPid"].get<int>();
  const std::vector<std::string> argv = process_argv(old_pid);
  const std::string tun = "/sys/fs/bpf/weft-lab/h1/maps/weft_ipip_tun";
  auto dump = [&] { return exec("h1", {"/usr/sbin/bpftool", "map", "dump", "pinned", tun}).out; };
  auto filters = [&](const char* direction) {
    return exec("h1", {"/usr/sbin/tc", "filter", "show", "dev", "eth0", direction}).out;
  };
  const std::string maps_before = dump();
  const std::string egress_before = filters("egress");
  ASSERT_NE(egress_before.find("weft_ipip_egres"), std::string::npos) << egress_before;
  ASSERT_NE(maps_before.find("key"), std::string::npos) << maps_before;

  auto flow = spawn_in_lab(*this, "h1-p1", {"/usr/bin/ping", "-n", "-q", "-c", "60", "-i", "0.05", pods["h2-p1"]},
                           dir_ / "ping.log");
  RouteMonitor monitor(*this, "h1", dir_ / "monitor.log", {"route", "link"});
  ASSERT_TRUE(monitor.started());
  ASSERT_EQ(::kill(old_pid, SIGTERM), 0);
  ASSERT_TRUE(within(std::chrono::seconds(5), [&] { return !running(old_pid); }));
  auto agent = spawn_in_lab(*this, "h1", argv, dir_ / "weftd-restarted.log");
  auto ready = within(std::chrono::seconds(10), [&] {
    return exec("h1", {"/usr/bin/curl", "-fs", "http://127.0.0.1:9099/healthz"}).exit_code == 0;
  });
  EXPECT_TRUE(ready) << slurp(dir_ / "weftd-restarted.log");
  auto flow_done = within(std::chrono::seconds(15), [&] { return slurp(dir_ / "ping.log").find("packet loss") != std::string::npos; });
  const std::string events = monitor.stop();
  ASSERT_TRUE(flow_done) << slurp(dir_ / "ping.log");
  EXPECT_NE(slurp(dir_ / "ping.log").find(" 0% packet loss"), std::string::npos) << slurp(dir_ / "ping.log");
  EXPECT_EQ(events, "") << "the restart changed routes or links:\n" << events;
  EXPECT_EQ(dump(), maps_before);
  EXPECT_EQ(filters("egress"), egress_before) << "the same program (id) stays attached";
  auto metrics = exec("h1", {"/usr/bin/curl", "-fs", "http://127.0.0.1:9099/metrics"});
  EXPECT_NE(metrics.out.find("weft_kernel_changes_total 0\n"), std::string::npos) << metrics.out;

  // Hand damage: an entry deleted, the egress program detached. The periodic round mends both.
  std::string block;
  if (auto h2 = host_status(*this, "h2")) {
    for (const auto& b : (*h2)["blocks"]) {
      if (b.get<std::string>().find(':') == std::string::npos) block = b.get<std::string>();
    }
  }
  auto deleted = exec("h1", {"/usr/sbin/tc", "filter", "del", "dev", "eth0", "egress"});
  EXPECT_EQ(deleted.exit_code, 0) << deleted.err;
  // The LPM key of h2's block: prefix length (4 bytes, host order), then the address.
  const auto prefix = weft::Prefix::parse(block);
  ASSERT_TRUE(prefix) << block;
  std::vector<std::string> del{"/usr/sbin/bpftool", "map", "delete", "pinned", tun, "key",
                               std::to_string(prefix->length()), "0", "0", "0"};
  for (int i = 0; i < 4; ++i) del.push_back(std::to_string(prefix->address().bytes()[i]));
  auto emptied = exec("h1", del);
  EXPECT_EQ(emptied.exit_code, 0) << emptied.out << emptied.err;
  EXPECT_NE(dump(), maps_before);
  auto mended = within(std::chrono::seconds(15), [&] {
    return dump() == maps_before && filters("egress").find("weft_ipip_egres") != std::string::npos;
  });
  EXPECT_TRUE(mended) << dump() << filters("egress");
  EXPECT_TRUE(ping(*this, "h1-p1", pods["h2-p1"]));
  agent.stop();
  flow.stop();
}
