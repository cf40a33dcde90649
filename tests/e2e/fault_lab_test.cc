// `weft lab fault` as an operator uses it to see what weft does when a cluster breaks (issue 13):
// pings run between pods on different hosts while the fault lasts, and every lost packet counts.
//   - etcd stopped for 60 s: nothing lost, weftd says why it is not ready, a new pod gets an
//     address and a deleted pod is let go, and the store learns both once etcd is back;
//   - one etcd member of three stopped: nothing changes at all;
//   - weftd SIGKILLed with flows running: nothing lost, no route or link touched;
//   - the router between segments down, then up: cross-segment pairs fail, then recover;
//   - a host partitioned past its lease TTL: the others drop its routes, and on return it gets
//     the same block back and its pods their connectivity.
#include "bgp_fixture.h"
#include "lab_fixture.h"
#include "require.h"

namespace {

using namespace weft_e2e;
using namespace std::chrono_literals;

std::string healthz(Lab& lab, const std::string& host) {
  return lab.exec(host, {"/usr/bin/curl", "-s", "127.0.0.1:9099/healthz"}).out;
}

// A gauge or counter of a host's weftd, from /metrics (-1 when it cannot be read).
double metric(Lab& lab, const std::string& host, const std::string& name) {
  auto r = lab.exec(host, {"/usr/bin/curl", "-s", "127.0.0.1:9099/metrics"});
  std::istringstream lines(r.out);
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with(name + " ")) return std::stod(line.substr(name.size() + 1));
  }
  return -1;
}

// A ping flow in the background; loss() once it has finished.
struct Flow {
  std::string what;
  fs::path log;
  weft::Child child;

  Flow(Lab& lab, const std::string& from, const std::string& to, int count, const std::string& interval)
      : what(from + " -> " + to), log(lab.dir_.parent_path() / ("weft-flow-" + from + "-" + to + ".log")) {
    child = spawn_in_lab(lab, from, {"/usr/bin/ping", "-n", "-i", interval, "-c", std::to_string(count), "-W", "1", to}, log);
  }
  // "N packets transmitted, M received": transmitted - received, or -1 when ping printed no summary.
  int lost() {
    child.wait();
    const std::string out = slurp(log);
    int sent = -1, received = -1;
    auto at = out.find(" packets transmitted, ");
    if (at == std::string::npos) return -1;
    sent = std::stoi(out.substr(out.rfind('\n', at) + 1));
    received = std::stoi(out.substr(at + 22));
    return sent - received;
  }
  ~Flow() { fs::remove(log); }
};

std::vector<std::string> endpoints_on(Lab& lab, const std::string& node) {
  auto r = weft_cli(lab, "endpoint list --node " + node + " -o json");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> out;
  auto json = weft::parse_json(r.out);
  if (!json) return out;
  for (const auto& e : *json) out.push_back(e.value("podName", ""));
  return out;
}

TEST_F(Lab, EtcdStoppedSixtySecondsLosesNoPacketAndServesPods) {
  auto up = lab({"up", "--hosts", "4", "--segments", "2", "--mode", "vxlan"});
  ASSERT_EQ(up.exit_code, 0) << up.out << up.err;
  auto pods = pod_v4(*this);
  // h1 and h3 share segment 1, h2 and h4 segment 2: one flow across the router, one beside it.
  Flow across(*this, "h1-p1", pods["h2-p1"], 350, "0.2");
  Flow beside(*this, "h3-p1", pods["h1-p2"], 350, "0.2");
  const fs::path fault_log = dir_.parent_path() / "weft-fault-etcd.log";
  auto fault = weft::Child::start(
      weft::Command{.argv = {WEFT_CLI_PATH, "lab", "fault", "etcd-stop", "--for", "60s", "--state-dir", dir_.string()}},
      fault_log.string());
  ASSERT_TRUE(fault) << fault.error().describe();

  // weftd notices and says why it is not ready.
  auto unready = within(20s, [&] { return healthz(*this, "h1").find("store unreachable") != std::string::npos; });
  ASSERT_TRUE(unready) << healthz(*this, "h1") << slurp(fault_log);
  EXPECT_EQ(metric(*this, "h1", "weft_store_reachable"), 0);

  // A new pod on a host with free addresses gets one at once, and pods on other hosts reach it.
  auto added = lab({"pod", "add", "late", "--host", "h1"});
  ASSERT_EQ(added.exit_code, 0) << added.out << added.err;
  const std::string late = pod_v4(*this)["late"];
  ASSERT_FALSE(late.empty());
  EXPECT_TRUE(ping(*this, "h2-p1", late)) << late;
  // A deleted pod is let go; the store hears of both later.
  auto deleted = lab({"pod", "delete", "h3-p2"});
  ASSERT_EQ(deleted.exit_code, 0) << deleted.out << deleted.err;
  EXPECT_EQ(metric(*this, "h1", "weft_ipam_owed_writes"), 1);
  EXPECT_EQ(metric(*this, "h3", "weft_ipam_owed_writes"), 1);

  ASSERT_EQ(fault->wait(), 0) << slurp(fault_log);  // etcd is back and healthy
  EXPECT_NE(slurp(fault_log).find("heal: etcd started again"), std::string::npos) << slurp(fault_log);

  // Everything converges within seconds: ready again, nothing owed, the store knows both pods.
  for (const char* host : {"h1", "h2", "h3", "h4"}) {
    auto ready = within(20s, [&] { return healthz(*this, host) == "ok\n"; });
    EXPECT_TRUE(ready) << host << ": " << healthz(*this, host);
    if (ready) std::printf("%s ready %.1f s after etcd came back\n", host, *ready);
  }
  EXPECT_TRUE(within(10s, [&] {
    return metric(*this, "h1", "weft_ipam_owed_writes") == 0 && metric(*this, "h3", "weft_ipam_owed_writes") == 0;
  }));
  auto on_h1 = endpoints_on(*this, "h1");
  EXPECT_NE(std::find(on_h1.begin(), on_h1.end(), "late"), on_h1.end());
  auto on_h3 = endpoints_on(*this, "h3");
  EXPECT_EQ(std::find(on_h3.begin(), on_h3.end(), "h3-p2"), on_h3.end());

  EXPECT_EQ(across.lost(), 0) << slurp(across.log);
  EXPECT_EQ(beside.lost(), 0) << slurp(beside.log);
  auto check = lab({"check"});
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
}

TEST_F(Lab, OneEtcdMemberOfThreeStoppedChangesNothing) {
  auto up = lab({"up", "--hosts", "4", "--segments", "2", "--mode", "vxlan", "--etcd-members", "3"});
  ASSERT_EQ(up.exit_code, 0) << up.out << up.err;
  EXPECT_NE(up.out.find("198.18.0.2:2379,198.18.0.3:2379,198.18.0.4:2379"), std::string::npos) << up.out;
  auto pods = pod_v4(*this);
  Flow across(*this, "h1-p1", pods["h2-p1"], 100, "0.1");
  // Member 1: the one every client reached first.
  auto stopped = lab({"fault", "etcd-stop", "--member", "1"});
  ASSERT_EQ(stopped.exit_code, 0) << stopped.out << stopped.err;
  auto added = lab({"pod", "add", "late", "--host", "h2"});
  EXPECT_EQ(added.exit_code, 0) << added.out << added.err;
  auto nodes = weft_cli(*this, "node list");
  EXPECT_EQ(nodes.exit_code, 0) << nodes.err;
  for (const char* host : {"h1", "h2", "h3", "h4"}) EXPECT_EQ(healthz(*this, host), "ok\n") << host;
  for (const char* host : {"h1", "h2"}) EXPECT_EQ(metric(*this, host, "weft_ipam_owed_writes"), 0) << host;
  EXPECT_EQ(across.lost(), 0) << slurp(across.log);
  auto heal = lab({"fault", "heal"});
  EXPECT_EQ(heal.exit_code, 0) << heal.out << heal.err;
  auto check = lab({"check"});
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
}

TEST_F(Lab, WeftdKilledLosesNoPacketAndTouchesNoRoute) {
  auto up = lab({"up", "--hosts", "2", "--mode", "vxlan"});
  ASSERT_EQ(up.exit_code, 0) << up.out << up.err;
  auto pods = pod_v4(*this);
  const std::string before = weft_state(*this, "h2");
  // Routes and links: not one event. Neighbours: weft's own are in weft_state, compared below (traffic
  // moves the dynamic ones).
  RouteMonitor monitor(*this, "h2", dir_.parent_path() / "weft-fault-monitor.log", {"route", "link"});
  ASSERT_TRUE(monitor.started());
  Flow out(*this, "h2-p1", pods["h1-p1"], 60, "0.1");
  Flow in(*this, "h1-p2", pods["h2-p2"], 60, "0.1");
  auto killed = lab({"fault", "kill-weftd", "h2", "--for", "2s"});
  ASSERT_EQ(killed.exit_code, 0) << killed.out << killed.err;
  EXPECT_NE(killed.out.find("killed with SIGKILL"), std::string::npos) << killed.out;
  auto ready = within(20s, [&] { return healthz(*this, "h2") == "ok\n"; });
  EXPECT_TRUE(ready) << healthz(*this, "h2");
  EXPECT_EQ(out.lost(), 0) << slurp(out.log);
  EXPECT_EQ(in.lost(), 0) << slurp(in.log);
  const std::string events = monitor.stop();
  EXPECT_EQ(events, "") << "in " << monitor.window_seconds() << " s";
  EXPECT_EQ(weft_state(*this, "h2"), before);
  EXPECT_EQ(lab({"check"}).exit_code, 0);
}

TEST_F(Lab, RouterDownCutsTheSegmentsApartAndUpJoinsThem) {
  auto up = lab({"up", "--hosts", "4", "--segments", "2", "--mode", "vxlan"});
  ASSERT_EQ(up.exit_code, 0) << up.out << up.err;
  auto pods = pod_v4(*this);
  ASSERT_TRUE(ping(*this, "h1-p1", pods["h2-p1"]));
  auto down = lab({"fault", "router-down"});
  ASSERT_EQ(down.exit_code, 0) << down.out << down.err;
  EXPECT_FALSE(ping(*this, "h1-p1", pods["h2-p1"])) << "across segments with the router down";
  EXPECT_TRUE(ping(*this, "h1-p1", pods["h3-p1"])) << "within a segment";
  auto check_down = lab({"check"});
  EXPECT_NE(check_down.exit_code, 0) << check_down.out;
  auto heal = lab({"fault", "heal"});
  ASSERT_EQ(heal.exit_code, 0) << heal.out << heal.err;
  auto back = within(10s, [&] { return ping(*this, "h1-p1", pods["h2-p1"]); });
  EXPECT_TRUE(back);
  auto check = lab({"check"});
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
  EXPECT_EQ(lab({"fault", "list"}).out, "no fault in place\n");
}

TEST_F(Lab, HostPartitionedPastItsLeaseComesBackWithItsBlock) {
  auto up = lab({"up", "--hosts", "4", "--segments", "2", "--mode", "vxlan", "--lease-ttl", "10"});
  ASSERT_EQ(up.exit_code, 0) << up.out << up.err;
  const std::string block = first_block(*this, "h3");
  ASSERT_FALSE(block.empty());
  auto route_on_h1 = [&] { return probe(*this, "h1", {"/usr/sbin/ip", "route", "show", block, "proto", "247"}); };
  ASSERT_NE(route_on_h1(), "");
  const std::string h3_pod = pod_v4(*this)["h3-p1"];

  auto cut = lab({"fault", "partition", "h3"});
  ASSERT_EQ(cut.exit_code, 0) << cut.out << cut.err;
  // The lease (10 s) expires: every other host removes h3's routes.
  for (const char* host : {"h1", "h2", "h4"}) {
    auto gone = within(30s, [&] {
      return probe(*this, host, {"/usr/sbin/ip", "route", "show", block, "proto", "247"}).empty();
    });
    EXPECT_TRUE(gone) << host << " still routes " << block;
    if (gone) std::printf("%s dropped h3's block %.1f s after the partition (lease TTL 10 s)\n", host, *gone);
  }
  EXPECT_NE(healthz(*this, "h3"), "ok\n");

  auto heal = lab({"fault", "heal"});
  ASSERT_EQ(heal.exit_code, 0) << heal.out << heal.err;
  // Nobody took the block meanwhile: h3 claims it again, the others route it again.
  auto back = within(30s, [&] { return first_block(*this, "h3") == block && !route_on_h1().empty(); });
  EXPECT_TRUE(back) << first_block(*this, "h3") << " vs " << block;
  if (back) std::printf("h3 held %s again and h1 routed it %.1f s after the partition healed\n", block.c_str(), *back);
  EXPECT_EQ(pod_v4(*this)["h3-p1"], h3_pod);
  EXPECT_TRUE(within(20s, [&] { return healthz(*this, "h3") == "ok\n"; })) << healthz(*this, "h3");
  auto check = lab({"check"});
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
}

}  // namespace
