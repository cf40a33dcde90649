// weft-cni under load (200 concurrent ADDs and DELs) and with bad input (nothing left behind).
#include <atomic>
#include <filesystem>
#include <thread>

#include "cni_fixture.h"

namespace weft::testing {
namespace {

// Runs body(i) for i in [0, n) on n threads at once (each execs a plugin: real concurrency).
template <class F>
void all_at_once(int n, F body) {
  std::vector<std::thread> threads;
  for (int i = 0; i < n; ++i) threads.emplace_back([&, i] { body(i); });
  for (auto& t : threads) t.join();
}

TEST_F(CniTest, TwoHundredConcurrentAddsGetDistinctAddressesAndDelsReleaseThemAll) {
  constexpr int kCount = 200;
  std::vector<std::string> netns(kCount);
  for (int i = 0; i < kCount; ++i) netns[i] = c().container("s" + std::to_string(i));
  std::vector<ProcResult> results(kCount);
  all_at_once(kCount, [&](int i) { results[i] = c().cni("ADD", "scale-" + std::to_string(i), netns[i], c().config()); });

  std::set<std::string> v4, v6;
  for (int i = 0; i < kCount; ++i) {
    ASSERT_EQ(results[i].exit_code, 0) << i << ": " << results[i].out << results[i].err;
    const Json result = *parse_json(results[i].out);
    auto a = addresses(result);
    ASSERT_EQ(a.size(), 2u);
    v4.insert(a[0]);
    v6.insert(a[1]);
  }
  EXPECT_EQ(v4.size(), static_cast<size_t>(kCount));
  EXPECT_EQ(v6.size(), static_cast<size_t>(kCount));
  EXPECT_EQ(keys("/weft/v1/endpoints/h1/").size(), static_cast<size_t>(kCount));
  // Every container works: spot-check a few from the underlay.
  for (int i : {0, 99, 199}) {
    EXPECT_TRUE(ping(c().peer(), *std::next(v4.begin(), i)));
  }

  all_at_once(kCount, [&](int i) { results[i] = c().cni("DEL", "scale-" + std::to_string(i), netns[i], c().config()); });
  for (int i = 0; i < kCount; ++i) EXPECT_EQ(results[i].exit_code, 0) << results[i].out;
  EXPECT_TRUE(keys("/weft/v1/allocations/").empty()) << "the store holds no allocation";
  EXPECT_TRUE(keys("/weft/v1/endpoints/").empty()) << "and no endpoint";
  EXPECT_TRUE(workload_routes().empty()) << workload_routes();
  auto links = probe("", {"ip", "-n", c().host(), "-o", "link"});
  EXPECT_EQ(links.find(": weft"), std::string::npos) << links;
}

// What the store, the host and the container hold for one attachment.
struct Leftovers {
  size_t allocations = 0;
  size_t endpoints = 0;
  bool veth = false;
  bool container_eth0 = false;
};

TEST_F(CniTest, BadInputLeavesNothingBehindAndAnswersWithTheSpecsCode) {
  const std::string ns = c().container("bad");
  // An interface named eth0 already in the container makes wiring fail after the allocation.
  const std::string busy = c().container("busy");
  ASSERT_EQ(run_in(ns_name(busy), {"ip", "link", "add", "eth0", "type", "bridge"}).exit_code, 0);
  auto leftovers = [&](const std::string& id, const std::string& netns_path) {
    Leftovers l;
    l.allocations = keys("/weft/v1/allocations/").size();
    l.endpoints = keys("/weft/v1/endpoints/").size();
    l.veth = host_link_exists(host_veth(id));
    // Only a namespace that exists can hold an eth0 (two cases give a path that is none).
    l.container_eth0 = netns_path != busy && netns_path.starts_with("/run/netns/") &&
                       std::filesystem::exists(netns_path) && link_exists(ns_name(netns_path), "eth0");
    return l;
  };
  struct Case {
    std::string why;
    std::string config;
    std::map<std::string, std::string> env;
    std::string netns;
    int code;
  };
  const std::string good = c().config();
  const std::vector<Case> cases = {
      {"malformed JSON", "{\"cniVersion\":", {}, ns, 6},
      {"not an object", "[]", {}, ns, 6},
      {"unknown cniVersion", c().config("0.9.9"), {}, ns, 1},
      {"missing name", R"({"cniVersion":"1.0.0","type":"weft-cni"})", {}, ns, 7},
      {"missing CNI_NETNS", good, {{"CNI_NETNS", "<unset>"}}, ns, 4},
      {"missing CNI_CONTAINERID", good, {{"CNI_CONTAINERID", "<unset>"}}, ns, 4},
      {"bad CNI_IFNAME", good, {{"CNI_IFNAME", "eth0/../x"}}, ns, 4},
      {"netns that does not exist", good, {}, "/run/netns/weft-t-does-not-exist", 4},
      {"netns path that is no namespace", good, {}, "/etc/hostname", 4},
      {"weftd down", c().config("1.0.0", R"("socket":"/tmp/weft-t-no-such-dir/weftd.sock")"), {}, ns, 11},
      {"interface name taken in the container", good, {}, busy, 999},
  };
  for (const auto& tc : cases) {
    auto r = c().cni("ADD", "bad-ctr", tc.netns, tc.config, "eth0", tc.env);
    EXPECT_EQ(r.exit_code, 1) << tc.why;
    auto error = parse_json(r.out);
    ASSERT_TRUE(error) << tc.why << ": " << r.out;
    EXPECT_EQ((*error)["code"], tc.code) << tc.why << ": " << r.out;
    EXPECT_TRUE((*error)["msg"].is_string()) << tc.why;
    const auto l = leftovers("bad-ctr", tc.netns);
    EXPECT_EQ(l.allocations, 0u) << tc.why;
    EXPECT_EQ(l.endpoints, 0u) << tc.why;
    EXPECT_FALSE(l.veth) << tc.why;
    EXPECT_FALSE(l.container_eth0) << tc.why;
  }
  EXPECT_TRUE(workload_routes().empty()) << workload_routes();
  // STATUS with weftd unreachable: 50, "plugin not available".
  auto status = c().cni("STATUS", "", "", c().config("1.1.0", R"("socket":"/tmp/weft-t-no-such-dir/weftd.sock")"));
  EXPECT_EQ(status.exit_code, 1);
  const Json status_error = *parse_json(status.out);
  EXPECT_EQ(status_error["code"], 50) << status.out;
}

}  // namespace
}  // namespace weft::testing
