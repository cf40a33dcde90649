// The lab's tools for network policy (issue 11): `weft lab pod add|delete` with a namespace,
// labels and named ports (through weft-cni into the endpoint records), and `weft lab check
// --tcp/--udp`, whose matrix must show exactly what the pods' own firewalls let through.
// The conformance layout: namespaces x, y, z with pods a, b, c each, spread over 3 hosts.
#include <set>

#include "lab_pods_fixture.h"

namespace {

using namespace weft_e2e;

TEST_F(LabPods, PodsCarryTheirIdentityIntoTheStore) {
  auto listed = weft_in(*this, {"endpoint", "list", "-o", "json"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  auto eps = weft::parse_json(listed.out);
  ASSERT_TRUE(eps && eps->is_array()) << listed.out;
  ASSERT_EQ(eps->size(), 9u) << listed.out;
  std::set<std::string> seen;
  for (const auto& ep : *eps) {
    const std::string ns = ep["podNamespace"], pod = ep["podName"];
    seen.insert(lab_pod(ns, pod));
    EXPECT_EQ(ep["labels"], (weft::Json{{"pod", pod}})) << ep.dump();
    EXPECT_EQ(ep["ports"], *weft::parse_json(R"([{"name":"serve-80-tcp","port":80,"protocol":"TCP"},
        {"name":"serve-80-udp","port":80,"protocol":"UDP"},{"name":"serve-81-tcp","port":81,"protocol":"TCP"}])"));
  }
  EXPECT_EQ(seen.size(), 9u);
  EXPECT_TRUE(seen.contains("y/b"));

  // A pod that already exists, a bad port or label: refused, and nothing is left behind.
  const auto before = lab_namespaces();
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"pod", "add", "a", "--host", "h1", "--namespace", "x"},
           {"pod", "add", "d", "--host", "h1", "--port", "web=99999"},
           {"pod", "add", "d", "--host", "h1", "--label", "a b=c"},
           {"pod", "add", "d", "--host", "h9"}}) {
    auto r = lab(args);
    EXPECT_EQ(r.exit_code, 1) << args[2] << " " << args.back() << ": " << r.out;
    EXPECT_FALSE(r.err.empty());
  }
  EXPECT_EQ(lab_namespaces(), before);

  // Deleting a pod releases its endpoint and removes its namespace.
  auto del = lab({"pod", "delete", "z/c"});
  ASSERT_EQ(del.exit_code, 0) << del.err;
  EXPECT_EQ(lab_namespaces().size(), before.size() - 1);
  auto after = weft::parse_json(weft_in(*this, {"endpoint", "list", "-o", "json"}).out);
  ASSERT_TRUE(after);
  EXPECT_EQ(after->size(), 8u);
  EXPECT_EQ(lab({"pod", "delete", "z/c"}).exit_code, 1) << "already gone";
}

TEST_F(LabPods, PortMatrixShowsExactlyWhatThePodsLetThrough) {
  // Firewalls inside two pods (their own namespaces): x/a drops TCP 81, y/b drops UDP 80.
  for (const auto& [pod, rule] : std::vector<std::pair<std::string, std::string>>{
           {"x/a", "tcp dport 81 drop"}, {"y/b", "udp dport 80 drop"}}) {
    for (const std::string& cmd : {std::string("add table inet probe"),
                                   std::string("add chain inet probe in { type filter hook input priority 0; }"),
                                   "add rule inet probe in " + rule}) {
      auto r = exec(pod, {"/bin/sh", "-c", "/usr/sbin/nft '" + cmd + "'"});
      ASSERT_EQ(r.exit_code, 0) << pod << ": " << cmd << ": " << r.err;
    }
  }

  const auto start = std::chrono::steady_clock::now();
  auto check = lab({"check", "--tcp", "80,81", "--udp", "80", "-o", "json"});
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_EQ(check.exit_code, 0) << check.out << check.err;
  EXPECT_LT(seconds, 10.0) << "9 x 9 x 3 probes must finish in seconds";
  auto json = weft::parse_json(check.out);
  ASSERT_TRUE(json) << check.out;
  const auto& probes = (*json)["probes"];
  ASSERT_EQ(probes.size(), 9u * 9u * 3u);
  std::set<std::string> pairs;
  for (const auto& p : probes) {
    const std::string to = p["to"], protocol = p["protocol"];
    const int port = p["port"];
    const bool blocked = (to == "x/a" && protocol == "tcp" && port == 81) || (to == "y/b" && protocol == "udp" && port == 80);
    EXPECT_EQ(p["result"], blocked ? "blocked" : "allowed") << p.dump();
    pairs.insert(p["from"].get<std::string>() + ">" + to + ":" + protocol + std::to_string(port));
  }
  EXPECT_EQ(pairs.size(), probes.size()) << "every ordered pair and port once";

  // The matrix as text: the x/a column of tcp/81 is all X.
  auto text = lab({"check", "--tcp", "81"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  std::istringstream lines(text.out);
  std::string header, row;
  std::getline(lines, header);
  EXPECT_TRUE(header.starts_with("tcp/81")) << text.out;
  int rows = 0;
  while (std::getline(lines, row) && !row.empty()) {
    ++rows;
    std::istringstream cells(row);
    std::string from, first;
    cells >> from >> first;  // the first column is x/a (pods in creation order)
    EXPECT_EQ(first, "X") << row;
  }
  EXPECT_EQ(rows, 9) << text.out;

  // Without the flags it stays the ping check.
  auto ping = lab({"check"});
  EXPECT_EQ(ping.exit_code, 0) << ping.out << ping.err;
  EXPECT_NE(ping.out.find("check passed"), std::string::npos) << ping.out;
}

}  // namespace
