// weft-cni on a lab host, as a runtime drives it: 200 containers added at once on h1 get 200
// distinct addresses and are all reachable from a pod on h2 (another segment, through VXLAN);
// 200 DELs release every one of them, and the store keeps no allocation and no endpoint.
#include <set>

#include "lab_fixture.h"

namespace {

using namespace weft_e2e;

constexpr int kContainers = 200;

// A shell script run inside h1: creates the container namespaces, then runs weft-cni CMD for all
// of them at once with the host's conflist (the runtime's view), printing each result on a line.
std::string cni_script(const std::string& command, const std::string& conflist) {
  return "set -u; conf=$(python3 -c 'import json,sys; l=json.load(open(sys.argv[1])); p=l[\"plugins\"][0]; "
         "p[\"cniVersion\"]=l[\"cniVersion\"]; p[\"name\"]=l[\"name\"]; print(json.dumps(p))' " + conflist + "); "
         "out=$(mktemp -d); "
         "for i in $(seq 1 " + std::to_string(kContainers) + "); do "
         "  echo \"$conf\" | CNI_COMMAND=" + command + " CNI_CONTAINERID=c$i CNI_NETNS=/run/netns/weft-lab-h1-c$i "
         "    CNI_IFNAME=eth0 CNI_PATH=$(dirname " WEFT_CNI_PATH ") " WEFT_CNI_PATH " > $out/c$i & "
         "done; wait; "
         // One result per line, written after all are done (concurrent writers would interleave).
         "for f in $out/*; do tr -d '\\n' < $f; echo; done; rm -rf $out";
}

// `etcdctl get ARGS` in the lab's etcd namespace; a failed etcdctl fails the test, so that its
// empty output never reads as "nothing in the store".
std::string etcd_get(Lab& lab, const std::vector<std::string>& args) {
  std::vector<std::string> argv{"/usr/bin/etcdctl", "--endpoints", "198.18.0.2:2379", "get"};
  argv.insert(argv.end(), args.begin(), args.end());
  return probe(lab, "etcd", argv);
}

// The endpoint records of this test's containers (c1, c2, ...) on h1.
int container_endpoints(Lab& lab) {
  std::istringstream keys(etcd_get(lab, {"--prefix", "/weft/v1/endpoints/h1/c", "--keys-only"}));
  int count = 0;
  for (std::string key; std::getline(keys, key);) count += !key.empty();
  return count;
}

// The addresses the store holds for this test's containers, over every block of every pool (one
// JSON object per block: address -> {"containerId", ...}; ipam/address_block.h).
int container_allocations(Lab& lab) {
  std::istringstream values(etcd_get(lab, {"--prefix", "/weft/v1/allocations/", "--print-value-only"}));
  int count = 0;
  for (std::string value; std::getline(values, value);) {
    if (value.empty()) continue;
    auto block = weft::parse_json(value);
    EXPECT_TRUE(block && block->is_object()) << "not an allocation record: " << value;
    if (!block || !block->is_object()) continue;
    for (const auto& record : block->items()) {
      const std::string id = record.value().value("containerId", "");
      count += id.size() > 1 && id[0] == 'c' && id.find_first_not_of("0123456789", 1) == std::string::npos;
    }
  }
  return count;
}

TEST_F(Lab, TwoHundredConcurrentContainersOnOneHost) {
  auto up = lab({"up", "--hosts", "2", "--segments", "2", "--mode", "vxlan", "--pods-per-host", "1"});
  ASSERT_EQ(up.exit_code, 0) << up.out << up.err;
  auto status = weft::parse_json(lab({"status", "-o", "json"}).out);
  ASSERT_TRUE(status);
  const std::string conflist = (*status)["hosts"][0]["cniConfig"].get<std::string>();
  for (int i = 1; i <= kContainers; ++i) {
    ASSERT_EQ(run({"/usr/sbin/ip", "netns", "add", "weft-lab-h1-c" + std::to_string(i)}).exit_code, 0);
  }

  auto add = exec("h1", {"/bin/sh", "-c", cni_script("ADD", conflist)});
  ASSERT_EQ(add.exit_code, 0) << add.err;
  std::set<std::string> addresses;
  std::istringstream lines(add.out);
  std::string line;
  int results = 0;
  while (std::getline(lines, line)) {
    if (line.empty()) continue;  // DEL prints nothing
    auto result = weft::parse_json(line);
    ASSERT_TRUE(result && result->contains("ips")) << line;
    ++results;
    for (const auto& ip : (*result)["ips"]) {
      auto a = ip["address"].get<std::string>();
      if (a.find(':') == std::string::npos) addresses.insert(a.substr(0, a.find('/')));
    }
  }
  EXPECT_EQ(results, kContainers);
  // The store probes of the checks after DEL see every container while they exist.
  EXPECT_EQ(container_endpoints(*this), kContainers);
  EXPECT_EQ(container_allocations(*this), 2 * kContainers) << "an IPv4 and an IPv6 address each";
  EXPECT_EQ(addresses.size(), static_cast<size_t>(kContainers)) << "every container got its own IPv4 address";

  // From h2's pod, every container answers (20 pings in flight at a time).
  std::string targets;
  for (const auto& a : addresses) targets += a + " ";
  auto pings = exec("h2-p1", {"/bin/sh", "-c",
                              "n=0; for a in " + targets + "; do (ping -n -c 1 -W 2 $a >/dev/null || echo unreachable $a) & "
                              "n=$((n+1)); [ $((n % 20)) -eq 0 ] && wait; done; wait"});
  EXPECT_EQ(pings.out, "") << "containers on h1 not reachable from h2-p1";

  auto del = exec("h1", {"/bin/sh", "-c", cni_script("DEL", conflist)});
  EXPECT_EQ(del.exit_code, 0) << del.err;
  EXPECT_EQ(container_endpoints(*this), 0) << "endpoints left after DEL";
  EXPECT_EQ(container_allocations(*this), 0) << "allocations left after DEL";
  auto endpoints = exec("h1", {WEFT_CLI_PATH, "endpoint", "list", "-o", "json"});
  auto list = weft::parse_json(endpoints.out);
  ASSERT_TRUE(list) << endpoints.out << endpoints.err;
  EXPECT_EQ(list->size(), 2u) << "only the lab's own two pods remain";
  auto ipam = exec("h1", {WEFT_CLI_PATH, "ipam", "show", "-o", "json"});
  EXPECT_EQ(ipam.exit_code, 0) << ipam.err;
  std::size_t used = 0;
  if (auto blocks = weft::parse_json(ipam.out)) {
    for (const auto& b : *blocks) used += b.value("used", 0);
  }
  EXPECT_EQ(used, 4u) << "the two lab pods' IPv4 and IPv6 addresses only:\n" << ipam.out;
}

}  // namespace
