// `weft lab ipam-check` (issue 13) on a running lab: clean after `up`; then an endpoint key
// deleted with etcdctl, a pod's host veth deleted and a stale weft route added by hand, and the
// counts must say exactly that; --repair fixes all three and a second check is clean.
#include <signal.h>

#include <set>

#include "lab_fixture.h"

namespace {

using namespace weft_e2e;

// `weft lab ipam-check ARGS -o json`: its exit code and document (a document that does not parse
// fails the test).
struct IpamCheck {
  int exit_code = -1;
  weft::Json json;
};

IpamCheck ipam_check(Lab& lab, std::vector<std::string> args) {
  args.insert(args.begin(), "ipam-check");
  args.insert(args.end(), {"-o", "json"});
  auto r = lab.lab(args);
  auto json = weft::parse_json(r.out);
  EXPECT_TRUE(json.has_value()) << "not JSON: " << r.out << r.err;
  return {r.exit_code, json.value_or(weft::Json::object())};
}

// Every count is zero except those in `want`.
void expect_counts(const weft::Json& report, const std::map<std::string, int>& want) {
  ASSERT_TRUE(report.contains("counts")) << report.dump(2);
  EXPECT_EQ(report["counts"].size(), 7u) << report.dump(2);
  for (const auto& [name, count] : report["counts"].items()) {
    const int expected = want.contains(name) ? want.at(name) : 0;
    EXPECT_EQ(count, expected) << name << " in\n" << report.dump(2);
  }
}

// The endpoint records, as `weft endpoint list -o json` prints them.
std::vector<weft::Json> endpoints(Lab& lab) {
  auto r = lab.exec("h1", {WEFT_CLI_PATH, "endpoint", "list", "-o", "json"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  auto json = weft::parse_json(r.out);
  EXPECT_TRUE(json && json->is_array()) << r.out;
  return json && json->is_array() ? json->get<std::vector<weft::Json>>() : std::vector<weft::Json>{};
}

const weft::Json* first_on(const std::vector<weft::Json>& eps, const std::string& node) {
  for (const auto& ep : eps) {
    if (ep["node"] == node) return &ep;
  }
  return nullptr;
}

// Freezes a process (SIGSTOP) until destroyed, also when an ASSERT ends the test early.
class Frozen {
 public:
  explicit Frozen(int pid) : pid_(pid) { EXPECT_EQ(::kill(pid_, SIGSTOP), 0) << "freezing " << pid_; }
  ~Frozen() { ::kill(pid_, SIGCONT); }
  Frozen(const Frozen&) = delete;
  Frozen& operator=(const Frozen&) = delete;

 private:
  int pid_;
};

TEST_F(Lab, IpamCheckCountsWhatWasBrokenAndRepairsIt) {
  auto up = lab({"up", "--hosts", "3", "--segments", "1", "--mode", "vxlan", "--pods-per-host", "2"});
  ASSERT_EQ(up.exit_code, 0) << up.out << up.err;

  auto clean = ipam_check(*this, {});
  EXPECT_EQ(clean.exit_code, 0) << clean.json.dump(2);
  expect_counts(clean.json, {});
  EXPECT_EQ(clean.json["kernelNodes"], (weft::Json{"h1", "h2", "h3"}));

  // A block of the pool no host holds, for the stale route.
  std::set<std::string> held;
  for (const std::string host : {"h1", "h2", "h3"}) {
    auto h = host_status(*this, host);
    ASSERT_TRUE(h);
    for (const auto& b : (*h)["blocks"]) held.insert(b.get<std::string>());
  }
  std::string free_block;
  for (int i = 255; i > 200 && free_block.empty(); --i) {
    const std::string b = "198.19." + std::to_string(i) + ".0/24";
    if (!held.contains(b)) free_block = b;
  }
  ASSERT_FALSE(free_block.empty());

  const auto eps = endpoints(*this);
  const weft::Json* on_h1 = first_on(eps, "h1");
  const weft::Json* on_h2 = first_on(eps, "h2");
  ASSERT_TRUE(on_h1 && on_h2) << weft::Json(eps).dump(2);
  const std::string orphan_key = "/weft/v1/endpoints/h1/" + (*on_h1)["containerId"].get<std::string>() + "-" +
                                 (*on_h1)["ifname"].get<std::string>();
  const int orphan_addresses = static_cast<int>((*on_h1)["addresses"].size());
  const std::string veth = (*on_h2)["hostVeth"];
  const std::string veth_endpoint = "h2/" + (*on_h2)["containerId"].get<std::string>() + "-" + (*on_h2)["ifname"].get<std::string>();

  // h3's weftd would prune a hand-made weft route at its next periodic round: it stays frozen
  // until the repair is checked (well inside its 60 s lease), as a crashed agent would leave it.
  auto h3 = host_status(*this, "h3");
  ASSERT_TRUE(h3);
  Frozen frozen((*h3)["agentPid"].get<int>());

  auto del = exec("etcd", {"/usr/bin/etcdctl", "--endpoints", "198.18.0.2:2379", "del", orphan_key});
  ASSERT_EQ(del.exit_code, 0) << del.err;
  ASSERT_EQ(del.out, "1\n") << orphan_key;
  ASSERT_EQ(exec("h2", {"/usr/sbin/ip", "link", "del", veth}).exit_code, 0);
  auto add = exec("h3", {"/usr/sbin/ip", "route", "add", "blackhole", free_block, "proto", "247"});
  ASSERT_EQ(add.exit_code, 0) << add.err;

  auto broken = ipam_check(*this, {});
  EXPECT_EQ(broken.exit_code, 3) << broken.json.dump(2);
  expect_counts(broken.json, {{"allocationsWithoutEndpoint", orphan_addresses}, {"endpointsWithoutVeth", 1}, {"staleRoutes", 1}});
  for (const auto& f : broken.json["findings"]) {
    if (f["check"] == "endpointsWithoutVeth") {
      EXPECT_EQ(f["endpoint"], veth_endpoint);
      EXPECT_EQ(f["veth"], veth);
    } else if (f["check"] == "staleRoutes") {
      EXPECT_EQ(f["node"], "h3");
      EXPECT_EQ(f["destination"], free_block);
    } else {
      EXPECT_EQ("/weft/v1/endpoints/" + f["endpoint"].get<std::string>(), orphan_key) << f.dump();
    }
  }

  // The pod on h2 was made seconds ago: --grace 0, or the repair would spare it as an ADD in flight.
  auto repaired = ipam_check(*this, {"--repair", "--grace", "0"});
  EXPECT_EQ(repaired.exit_code, 0) << repaired.json.dump(2);
  ASSERT_EQ(repaired.json["repairs"].size(), static_cast<size_t>(orphan_addresses + 2)) << repaired.json.dump(2);
  for (const auto& a : repaired.json["repairs"]) EXPECT_EQ(a["outcome"], "done") << a.dump();
  expect_counts(repaired.json["after"], {});

  // What the kernel and the store say now, read without weft.
  EXPECT_EQ(probe(*this, "h3", {"/usr/sbin/ip", "route", "show", free_block}), "");
  const std::string allocations = probe(*this, "etcd", {"/usr/bin/etcdctl", "--endpoints", "198.18.0.2:2379", "get",
                                                        "--prefix", "/weft/v1/allocations/", "--print-value-only"});
  EXPECT_EQ(allocations.find((*on_h1)["containerId"].get<std::string>()), std::string::npos) << allocations;
  EXPECT_EQ(allocations.find((*on_h2)["containerId"].get<std::string>()), std::string::npos) << allocations;
  EXPECT_EQ(endpoints(*this).size(), eps.size() - 2);

  auto again = lab({"ipam-check"});
  EXPECT_EQ(again.exit_code, 0) << again.out << again.err;
  EXPECT_NE(again.out.find("ipam check: clean"), std::string::npos) << again.out;
  EXPECT_NE(again.out.find("kernels of h1, h2, h3"), std::string::npos) << again.out;
}

}  // namespace
