// The `bgp` route mode on a running lab, as an operator checks it: `weft lab up --mode bgp|bgp-rr`
// then `weft lab check` passes and `weft bgp status` shows every expected session Established;
// routes are BGP-learned with the right next hop (through a reflector too); weftd restarts
// without a lost ping or a route change on any host (graceful restart both ways); a removed host
// vanishes from every other host; an external router (bird2 in the lab's router namespace,
// configured with `weft bgp peer add`) learns every pod block and hands back a prefix the
// operator accepted, and only that.
#include <signal.h>

#include "bgp_fixture.h"
#include "lab_fixture.h"
#include "require.h"

namespace {

using namespace weft_e2e;
using namespace std::chrono_literals;

struct BgpCase {
  const char* mode;
  std::map<std::string, std::vector<std::string>> peers;  // expected sessions per node
};

class BgpModes : public Lab, public ::testing::WithParamInterface<BgpCase> {};

TEST_P(BgpModes, UpCheckAndEverySessionEstablished) {
  const BgpCase c = GetParam();
  auto up = lab({"up", "--hosts", "4", "--segments", "1", "--mode", c.mode});
  ASSERT_EQ(up.exit_code, 0) << up.out << up.err;
  auto check = lab({"check"});
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;

  auto table = weft_cli(*this, "bgp status");
  EXPECT_EQ(table.exit_code, 0) << table.err;
  std::cout << table.out;
  auto seen = sessions(*this);
  for (const auto& [node, peers] : c.peers) {
    ASSERT_EQ(seen[node].size(), peers.size()) << node << "\n" << table.out;
    for (const auto& peer : peers) EXPECT_EQ(seen[node][peer], "Established") << node << " - " << peer;
  }

  // h2 reaches h3's block straight at h3's underlay address, also when h1 reflected the route.
  const std::string block = first_block(*this, "h3");
  auto routes = exec("h2", {"/usr/sbin/ip", "route", "show", block});
  EXPECT_NE(routes.out.find("via " + underlay_of(*this, "h3") + " dev eth0 proto 247"), std::string::npos)
      << routes.out;
}

INSTANTIATE_TEST_SUITE_P(
    Modes, BgpModes,
    ::testing::Values(BgpCase{"bgp",
                              {{"h1", {"h2", "h3", "h4"}},
                               {"h2", {"h1", "h3", "h4"}},
                               {"h3", {"h1", "h2", "h4"}},
                               {"h4", {"h1", "h2", "h3"}}}},
                      BgpCase{"bgp-rr", {{"h1", {"h2", "h3", "h4"}}, {"h2", {"h1"}}, {"h3", {"h1"}}, {"h4", {"h1"}}}}),
    [](const ::testing::TestParamInfo<BgpCase>& p) {
      std::string name = p.param.mode;
      std::erase(name, '-');
      return name;
    });

// Restarts `host`'s weftd while `from` pings `to` (60 pings over 6 s): not one may be lost, and
// no route may change on `host` nor on the pinging pod's host (graceful restart both ways; a
// restarting reflector defers its End-of-RIB until it knows the routes again).
void expect_restart_without_loss(Lab& lab, const std::string& host, const std::string& from_host,
                                 const std::string& from, const std::string& to_pod) {
  auto pods = pod_v4(lab);
  auto h = host_status(lab, host);
  ASSERT_TRUE(h);
  const int old_pid = (*h)["agentPid"].get<int>();
  const std::vector<std::string> argv = process_argv(old_pid);
  const std::string host_before = weft_state(lab, host), from_before = weft_state(lab, from_host);
  const auto expected_sessions = sessions(lab)[host];

  RouteMonitor mon_from(lab, from_host, lab.dir_ / "monitor-from.log");
  RouteMonitor mon_host(lab, host, lab.dir_ / "monitor-host.log");
  ASSERT_TRUE(mon_from.started() && mon_host.started());
  auto pinger = spawn_in_lab(lab, from, {"/usr/bin/ping", "-n", "-c", "60", "-i", "0.1", "-W", "1", pods[to_pod]},
                             lab.dir_ / "ping.log");
  std::this_thread::sleep_for(500ms);
  ASSERT_EQ(::kill(old_pid, SIGTERM), 0);
  ASSERT_TRUE(within(5s, [&] { return !running(old_pid); }));
  std::this_thread::sleep_for(1s);  // the peers keep its routes as stale meanwhile
  auto agent = spawn_in_lab(lab, host, argv, lab.dir_ / "weftd-restarted.log");
  auto back = within(15s, [&] {
    auto now = sessions(lab)[host];
    return now.size() == expected_sessions.size() &&
           std::all_of(now.begin(), now.end(), [](const auto& kv) { return kv.second == "Established"; });
  });
  pinger.wait();
  std::this_thread::sleep_for(1s);
  const std::string from_events = mon_from.stop(), host_events = mon_host.stop();
  EXPECT_TRUE(back) << slurp(lab.dir_ / "weftd-restarted.log");
  EXPECT_NE(slurp(lab.dir_ / "ping.log").find(" 0% packet loss"), std::string::npos) << slurp(lab.dir_ / "ping.log");
  EXPECT_EQ(from_events, "") << "a peer's restart changed " << from_host << "'s routes (ip monitor route, watched for "
                             << mon_from.window_seconds() << " s)";
  EXPECT_EQ(host_events, "") << "the restart changed " << host << "'s routes (ip monitor route, watched for "
                             << mon_host.window_seconds() << " s):\n" << slurp(lab.dir_ / "weftd-restarted.log");
  EXPECT_EQ(weft_state(lab, host), host_before);
  EXPECT_EQ(weft_state(lab, from_host), from_before);
  auto metrics = lab.exec(host, {"/usr/bin/curl", "-fs", "http://127.0.0.1:9099/metrics"});
  EXPECT_NE(metrics.out.find("weft_kernel_changes_total 0\n"), std::string::npos) << metrics.out;
  EXPECT_NE(slurp(lab.dir_ / "weftd-restarted.log").find("every peer sent End-of-RIB"), std::string::npos)
      << "the kept routes are handed over once the peers resynced:\n" << slurp(lab.dir_ / "weftd-restarted.log");
  agent.stop();  // ours, not recorded by the lab
}

TEST_F(Lab, BgpWeftdRestartLosesNoPingAndChangesNoRoute) {
  auto up = lab({"up", "--hosts", "3", "--segments", "1", "--mode", "bgp"});
  ASSERT_EQ(up.exit_code, 0) << up.out << up.err;
  expect_restart_without_loss(*this, "h2", "h1", "h1-p1", "h2-p1");
}

TEST_F(Lab, BgpReflectorRestartLosesNoPingBetweenItsClients) {
  auto up = lab({"up", "--hosts", "3", "--segments", "1", "--mode", "bgp-rr"});
  ASSERT_EQ(up.exit_code, 0) << up.out << up.err;
  expect_restart_without_loss(*this, "h1", "h2", "h2-p1", "h3-p1");
}

// A new BGP pool changes every speaker's import filter: they restart gracefully (no Cease,
// routes kept), so traffic in the existing pools goes on and no existing route is touched.
TEST_F(Lab, BgpPoolAddedWhileTrafficFlowsLosesNoPing) {
  auto up = lab({"up", "--hosts", "3", "--segments", "1", "--mode", "bgp"});
  ASSERT_EQ(up.exit_code, 0) << up.out << up.err;
  auto pods = pod_v4(*this);
  RouteMonitor mon(*this, "h1", dir_ / "monitor-h1.log");
  ASSERT_TRUE(mon.started());
  auto pinger = spawn_in_lab(*this, "h1-p1", {"/usr/bin/ping", "-n", "-c", "40", "-i", "0.1", "-W", "1", pods["h2-p1"]},
                             dir_ / "ping.log");
  std::this_thread::sleep_for(500ms);
  auto add = weft_cli(*this, "pool add extra6 --cidr fd00:198:20::/48 --block-size 120 --routes bgp");
  ASSERT_EQ(add.exit_code, 0) << add.err;
  // Every host then routes to the others' blocks of the new pool.
  auto routed = within(10s, [&] {
    std::istringstream routes(exec("h1", {"/usr/sbin/ip", "-6", "route", "show", "proto", "247"}).out);
    int remote = 0;
    for (std::string line; std::getline(routes, line);) {
      remote += line.starts_with("fd00:198:20:") && line.find(" via ") != std::string::npos;
    }
    return remote == 2;  // h2's and h3's blocks
  });
  pinger.wait();
  const std::string events = mon.stop();
  EXPECT_TRUE(routed) << exec("h1", {"/usr/sbin/ip", "-6", "route"}).out;
  EXPECT_NE(slurp(dir_ / "ping.log").find(" 0% packet loss"), std::string::npos) << slurp(dir_ / "ping.log");
  EXPECT_NE(events.find("fd00:198:20:"), std::string::npos)
      << "the monitor saw the new pool's routes arrive (watched for " << mon.window_seconds() << " s):\n" << events;
  EXPECT_EQ(events.find("Deleted"), std::string::npos)
      << "no route was removed (ip monitor route, watched for " << mon.window_seconds() << " s):\n" << events;
  EXPECT_EQ(events.find("198.19."), std::string::npos)
      << "the IPv4 pool's routes were not touched (watched for " << mon.window_seconds() << " s):\n" << events;
}

TEST_F(Lab, BgpRemovedHostVanishesFromEveryOtherHost) {
  auto up = lab({"up", "--hosts", "4", "--segments", "1", "--mode", "bgp"});
  ASSERT_EQ(up.exit_code, 0) << up.out << up.err;
  auto h4 = host_status(*this, "h4");
  ASSERT_TRUE(h4);
  const std::string block = first_block(*this, "h4");
  for (const char* host : {"h1", "h2", "h3"}) ASSERT_NE(weft_state(*this, host).find(block), std::string::npos) << host;
  // Stopped without a Cease: the others keep its routes (graceful restart) until it is removed.
  ASSERT_EQ(::kill((*h4)["agentPid"].get<int>(), SIGTERM), 0);
  std::this_thread::sleep_for(1s);
  EXPECT_NE(weft_state(*this, "h1").find(block), std::string::npos) << "kept while h4 may be restarting";
  auto removed = weft_cli(*this, "node delete h4");
  ASSERT_EQ(removed.exit_code, 0) << removed.err;
  for (const char* host : {"h1", "h2", "h3"}) {
    auto took = within(5s, [&] { return weft_state(*this, host).find(block) == std::string::npos; });
    EXPECT_TRUE(took) << host << " still routes h4's block:\n" << weft_state(*this, host);
    if (took) std::cout << "[          ] " << host << " dropped h4 in " << *took << " s\n";
  }
  EXPECT_TRUE(within(3s, [&] { return sessions(*this)["h1"].count("h4") == 0; })) << weft_cli(*this, "bgp status").out;
}

// bird2 as the top-of-rack router: in the lab's router namespace, one eBGP session per host.
TEST_F(Lab, BgpExternalRouterLearnsPodBlocksAndGivesBackWhatIsAccepted) {
  WEFT_REQUIRE(fs::exists("/usr/sbin/bird"), "bird2 is not installed (scripts/setup installs it)");
  auto up = lab({"up", "--hosts", "3", "--segments", "1", "--mode", "bgp"});
  ASSERT_EQ(up.exit_code, 0) << up.out << up.err;
  fs::create_directories(dir_ / "bird");
  std::string config =
      "router id 198.18.1.1;\n"
      "protocol device { scan time 10; }\n"
      "protocol kernel { ipv4 { import none; export where source = RTS_BGP; }; learn off; }\n"
      "protocol static { ipv4; route 10.99.0.0/24 blackhole; route 10.98.0.0/24 blackhole; }\n";
  for (int i = 1; i <= 3; ++i) {
    config += "protocol bgp h" + std::to_string(i) + " {\n  local 198.18.1.1 as 65000;\n  neighbor 198.18.1." +
              std::to_string(10 + i) +
              " as 64512;\n  connect retry time 1;\n  ipv4 { import all; export where source = RTS_STATIC; next hop self; };\n}\n";
  }
  {
    std::ofstream(dir_ / "bird" / "bird.conf") << config;
  }
  const std::string ctl = (dir_ / "bird" / "bird.ctl").string();
  auto bird = spawn_in_lab(*this, "router", {"/usr/sbin/bird", "-f", "-c", (dir_ / "bird" / "bird.conf").string(), "-s", ctl},
                           dir_ / "bird" / "bird.log");
  auto add = weft_cli(*this, "bgp peer add --peer-ip 198.18.1.1 --as 65000 --name tor --accept 10.99.0.0/24");
  ASSERT_EQ(add.exit_code, 0) << add.err;

  auto all_up = within(15s, [&] {
    auto s = sessions(*this);
    return s["h1"]["tor"] == "Established" && s["h2"]["tor"] == "Established" && s["h3"]["tor"] == "Established";
  });
  EXPECT_TRUE(all_up) << weft_cli(*this, "bgp status").out << slurp(dir_ / "bird" / "bird.log");
  // The router now routes to every pod block, straight to the host that holds it.
  for (const char* host : {"h1", "h2", "h3"}) {
    const std::string block = first_block(*this, host), via = "via " + underlay_of(*this, host);
    auto learned = within(5s, [&] { return exec("router", {"/usr/sbin/ip", "route", "show", block}).out.find(via) != std::string::npos; });
    EXPECT_TRUE(learned) << block << ":\n" << exec("router", {"/usr/sbin/ip", "route"}).out;
  }
  // Back from the router: the accepted prefix only.
  auto accepted = within(5s, [&] {
    return exec("h2", {"/usr/sbin/ip", "route", "show", "10.99.0.0/24"}).out.find("via 198.18.1.1 dev eth0 proto 247") !=
           std::string::npos;
  });
  EXPECT_TRUE(accepted) << exec("h2", {"/usr/sbin/ip", "route"}).out;
  EXPECT_EQ(probe(*this, "h2", {"/usr/sbin/ip", "route", "show", "10.98.0.0/24"}), "") << "not accepted, not installed";

  EXPECT_EQ(weft_cli(*this, "bgp peer delete tor").exit_code, 0);
  auto dropped = within(5s, [&] { return probe(*this, "h2", {"/usr/sbin/ip", "route", "show", "10.99.0.0/24"}).empty(); });
  EXPECT_TRUE(dropped) << "a deleted peer's routes go";
  bird.stop();
}

}  // namespace

namespace {

using namespace weft_e2e;

// `weft bgp config --node-mesh-password`: every mesh session comes back with TCP MD5 (both sides
// read the same config), and the secret is never printed: not by the CLI in any form, not in a
// weftd log.
TEST_F(Lab, BgpNodeMeshPasswordSessionsComeBackAndTheSecretIsNeverPrinted) {
  auto up = lab({"up", "--hosts", "3", "--mode", "bgp"});
  ASSERT_EQ(up.exit_code, 0) << up.out << up.err;
  const std::string secret = "weft-e2e-mesh-s3cret";
  // Sessions established after `since` (unix seconds), from `weft bgp status -o json`.
  auto established_after = [&](int64_t since) {
    auto status = weft::parse_json(weft_cli(*this, "bgp status -o json").out);
    int n = 0;
    if (!status || !status->is_array()) return n;
    for (const auto& node : *status) {
      for (const auto& s : node["sessions"]) n += s["state"] == "Established" && s.value("establishedAt", int64_t{0}) > since;
    }
    return n;
  };
  // Every session is new once the password is set: their establishedAt (whole seconds) must move
  // past the moment before it, so the password is set in a later second than any of them.
  const int64_t before = static_cast<int64_t>(std::time(nullptr));
  ASSERT_TRUE(within(std::chrono::seconds(3), [&] { return std::time(nullptr) > before; }));
  auto set = weft_cli(*this, "bgp config --node-mesh-password " + secret);
  ASSERT_EQ(set.exit_code, 0) << set.err;
  auto all_established = [&] { return established_after(before) == 6; };
  auto back = within(std::chrono::seconds(30), all_established);
  EXPECT_TRUE(back) << weft_cli(*this, "bgp status").out;
  if (back) std::printf("every mesh session Established with TCP MD5 %.1f s after the password was set\n", *back);
  auto pods = pod_v4(*this);
  EXPECT_TRUE(ping(*this, "h1-p1", pods["h3-p1"]));

  std::string printed = set.out + set.err;
  for (const char* command : {"bgp config", "bgp config -o json", "bgp status -o json", "bgp peer list -o json",
                              "node list -o json"}) {
    auto r = weft_cli(*this, command);
    EXPECT_EQ(r.exit_code, 0) << command << ": " << r.err;
    printed += r.out + r.err;
  }
  EXPECT_NE(weft_cli(*this, "bgp config").out.find("TCP MD5 password set"), std::string::npos);
  for (const char* host : {"h1", "h2", "h3"}) printed += slurp(dir_ / host / "weftd.log");
  EXPECT_GT(printed.size(), 1000u) << "too little output read to prove anything";
  EXPECT_EQ(printed.find(secret), std::string::npos) << "the secret was printed";
}

}  // namespace
