// `weft lab up --router bgp`, as an operator checks a BGP fabric: BIRD in the router namespace
// reflects the hosts' routes, pods on different segments reach each other with plain routed
// packets (tcpdump on the router sees no VXLAN and no IPIP), the node mesh can be turned off so
// that only the fabric carries routes, and the router's daemon can be killed and restarted while
// pods keep talking, without anything done to any weftd (graceful restart both ways).
#include <signal.h>

#include "bgp_fixture.h"
#include "lab_fixture.h"
#include "require.h"

namespace {

using namespace weft_e2e;
using namespace std::chrono_literals;

// A pod's first address of the family, from `weft lab status`.
std::string pod_address(Lab& lab, const std::string& pod, bool v6) {
  auto status = weft::parse_json(lab.lab({"status", "-o", "json"}).out);
  if (!status) return "";
  for (const auto& p : (*status)["pods"]) {
    if (p["name"] != pod) continue;
    for (const auto& a : p["addresses"]) {
      const auto text = a.get<std::string>();
      if ((text.find(':') != std::string::npos) == v6) return text.substr(0, text.find('/'));
    }
  }
  return "";
}

// The lab's record of the router's BIRD.
std::optional<weft::Json> bird_record(Lab& lab) {
  auto state = weft::parse_json(slurp(lab.dir_ / "lab.json"));
  if (!state) return std::nullopt;
  for (const auto& p : (*state)["processes"]) {
    if (p["role"] == "bird") return p;
  }
  return std::nullopt;
}

void expect_fabric_up(Lab& lab, const std::vector<std::string>& mesh_peers_of_h1) {
  auto check = lab.lab({"check"});
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
  EXPECT_NE(check.out.find(" 0 n/a"), std::string::npos) << check.out;
  auto seen = sessions(lab);
  for (const char* host : {"h1", "h2", "h3", "h4"}) {
    EXPECT_EQ(seen[host]["router-" + std::string(host)], "Established") << host;
  }
  EXPECT_EQ(seen["h1"].size(), mesh_peers_of_h1.size() + 1) << weft_cli(lab, "bgp status").out;
  for (const auto& peer : mesh_peers_of_h1) EXPECT_EQ(seen["h1"][peer], "Established") << peer;
  // The router routes every block straight to the host holding it.
  for (const char* host : {"h1", "h2", "h3", "h4"}) {
    const std::string block = first_block(lab, host);
    EXPECT_NE(probe(lab, "router", {"/usr/sbin/ip", "route", "show", block}).find("via " + underlay_of(lab, host)),
              std::string::npos)
        << block << ":\n" << probe(lab, "router", {"/usr/sbin/ip", "route"});
  }
}

TEST_F(Lab, FabricRouterCarriesPodsAcrossSegmentsWithoutATunnel) {
  WEFT_REQUIRE(fs::exists("/usr/sbin/bird") && fs::exists("/usr/bin/tcpdump"),
               "needs bird2 and tcpdump (scripts/setup installs them)");
  auto up = lab({"up", "--hosts", "4", "--segments", "2", "--mode", "bgp", "--router", "bgp"});
  ASSERT_EQ(up.exit_code, 0) << up.out << up.err;
  expect_fabric_up(*this, {"h2", "h3", "h4"});

  // h1 (segment 1) to h2 (segment 2), both families, while the router captures everything that
  // is ICMP, VXLAN or IPIP.
  auto dump = spawn_in_lab(*this, "router",
                           {"/usr/bin/tcpdump", "-n", "-l", "-i", "any", "icmp or icmp6 or udp port 4789 or ip proto 4"},
                           dir_ / "tcpdump.log");
  ASSERT_TRUE(within(5s, [&] { return slurp(dir_ / "tcpdump.log").find("listening on") != std::string::npos; }))
      << slurp(dir_ / "tcpdump.log");
  for (bool v6 : {false, true}) {
    const std::string to = pod_address(*this, "h2-p1", v6);
    ASSERT_FALSE(to.empty());
    EXPECT_TRUE(ping(*this, "h1-p1", to)) << to;
  }
  // tcpdump prints line by line (-l): the plain echo requests show up, then the capture ends.
  const std::string v4 = "IP " + pod_address(*this, "h1-p1", false) + " > " + pod_address(*this, "h2-p1", false) +
                         ": ICMP echo request";
  const std::string v6 = "IP6 " + pod_address(*this, "h1-p1", true) + " > " + pod_address(*this, "h2-p1", true) +
                         ": ICMP6, echo request";
  auto printed = within(5s, [&] {
    const std::string now = slurp(dir_ / "tcpdump.log");
    return now.find(v4) != std::string::npos && now.find(v6) != std::string::npos;
  });
  dump.stop();
  const std::string seen = slurp(dir_ / "tcpdump.log");
  EXPECT_TRUE(printed) << "plain IPv4 and IPv6 pod packets cross the router (" << v4 << ", " << v6 << "):\n" << seen;
  EXPECT_EQ(seen.find("4789"), std::string::npos) << "no VXLAN on the wire:\n" << seen;
  EXPECT_EQ(seen.find("ipip"), std::string::npos) << "no IPIP on the wire:\n" << seen;
}

// Calico's large-cluster setup: no node-to-node mesh, the fabric carries every route. BIRD is
// killed and started again (-R: graceful restart recovery) while pods ping across segments.
TEST_F(Lab, FabricRouterRestartWithTheNodeMeshOffLosesNoPing) {
  WEFT_REQUIRE(fs::exists("/usr/sbin/bird"), "needs bird2 (scripts/setup installs it)");
  auto up = lab({"up", "--hosts", "4", "--segments", "2", "--mode", "bgp-node-mesh-off", "--router", "bgp"});
  ASSERT_EQ(up.exit_code, 0) << up.out << up.err;
  expect_fabric_up(*this, {});
  std::map<std::string, int> agents;
  for (const char* host : {"h1", "h2", "h3", "h4"}) agents[host] = (*host_status(*this, host))["agentPid"].get<int>();

  auto bird = bird_record(*this);
  ASSERT_TRUE(bird);
  std::vector<std::string> argv;
  for (const auto& a : (*bird)["cmdline"]) argv.push_back(a.get<std::string>());
  argv.push_back("-R");
  const int old_pid = (*bird)["pid"].get<int>();

  std::vector<weft::Child> pingers;
  for (bool v6 : {false, true}) {
    pingers.push_back(spawn_in_lab(*this, "h1-p1",
                                   {"/usr/bin/ping", "-n", "-c", "80", "-i", "0.1", "-W", "1",
                                    pod_address(*this, "h2-p1", v6)},
                                   dir_ / (v6 ? "ping6.log" : "ping4.log")));
  }
  // Both pingers answered once before BIRD goes.
  ASSERT_TRUE(within(5s, [&] {
    return slurp(dir_ / "ping4.log").find("bytes from") != std::string::npos &&
           slurp(dir_ / "ping6.log").find("bytes from") != std::string::npos;
  }));
  ASSERT_EQ(::kill(old_pid, SIGKILL), 0);
  ASSERT_TRUE(within(5s, [&] { return !running(old_pid); }));
  // Every host saw its session go down: from now on it forwards on the routes it keeps as stale.
  auto noticed = within(10s, [&] {
    auto s = sessions(*this);
    return s["h1"]["router-h1"] != "Established" && s["h2"]["router-h2"] != "Established" &&
           s["h3"]["router-h3"] != "Established" && s["h4"]["router-h4"] != "Established";
  });
  EXPECT_TRUE(noticed) << weft_cli(*this, "bgp status").out;
  auto restarted = spawn_in_lab(*this, "router", argv, dir_ / "bird-restarted.log");
  auto back = within(30s, [&] {
    auto s = sessions(*this);
    return s["h1"]["router-h1"] == "Established" && s["h2"]["router-h2"] == "Established" &&
           s["h3"]["router-h3"] == "Established" && s["h4"]["router-h4"] == "Established";
  });
  EXPECT_TRUE(back) << weft_cli(*this, "bgp status").out << slurp(dir_ / "bird-restarted.log");
  if (back) std::cout << "[          ] every session back " << *back << " s after BIRD started again\n";
  for (auto& p : pingers) p.wait();
  for (const char* log : {"ping4.log", "ping6.log"}) {
    EXPECT_NE(slurp(dir_ / log).find(" 0% packet loss"), std::string::npos) << log << ":\n" << slurp(dir_ / log);
  }
  for (const auto& [host, pid] : agents) {
    EXPECT_TRUE(running(pid)) << host << "'s weftd was not restarted nor stopped";
    EXPECT_EQ((*host_status(*this, host))["agentPid"].get<int>(), pid) << host;
  }
  auto check = lab({"check"});
  EXPECT_EQ(check.exit_code, 0) << check.out;
  restarted.stop();
}

}  // namespace
