// gtest fixture for weft-cni's integration tests: a fresh CniCluster (etcd + weftd in namespaces
// of this process) per test, and helpers that look at the kernel and the store the way an
// operator would (`ip`, `etcdctl`, `weft`). Root only: skipped otherwise (failed in CI, require.h).
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "base/json.h"
#include "cni_cluster.h"
#include "ipam/ipam_protocol.h"
#include "require.h"

namespace weft::testing {

class CniTest : public ::testing::Test {
 protected:
  void SetUp() override {
    WEFT_REQUIRE(::geteuid() == 0, "needs root (network namespaces)");
    cluster_ = std::make_unique<CniCluster>("cni", CniCluster::Paths{WEFTD_PATH, WEFT_CLI_PATH, WEFT_CNI_PATH});
    const std::string error = cluster_->start(extra_pools());
    ASSERT_TRUE(error.empty()) << error;
  }
  void TearDown() override { cluster_.reset(); }
  virtual std::vector<PoolSpec> extra_pools() const { return {}; }

  CniCluster& c() { return *cluster_; }

  // ADD that must succeed; returns the parsed result.
  Json add(const std::string& id, const std::string& netns_path, const std::string& config = "") {
    auto r = c().cni("ADD", id, netns_path, config.empty() ? c().config() : config);
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    auto json = parse_json(r.out);
    EXPECT_TRUE(json) << r.out;
    return json ? *json : Json::object();
  }
  static std::vector<std::string> addresses(const Json& result) {
    std::vector<std::string> out;
    if (!result.contains("ips")) return out;
    for (const auto& ip : result["ips"]) {
      const std::string a = ip["address"];
      out.push_back(a.substr(0, a.find('/')));
    }
    return out;
  }
  // Runs a read-only command whose output a check inspects (`ip -n ... link`, `tc`, `iptables
  // -S`) and returns its stdout. A non-zero exit fails the test: the output of a failed probe
  // proves nothing, least of all that something is absent.
  std::string probe(const std::string& netns, const std::vector<std::string>& argv) {
    auto r = run_in(netns, argv);
    std::string command;
    for (const auto& a : argv) command += a + " ";
    EXPECT_EQ(r.exit_code, 0) << "probe failed: " << command << (netns.empty() ? std::string() : "in " + netns) << ": " << r.err;
    return r.out;
  }
  // The keys under `prefix` in the store; a failed etcdctl fails the test (see probe()).
  std::vector<std::string> keys(const std::string& prefix) {
    auto k = c().keys(prefix);
    EXPECT_TRUE(k.has_value()) << "probe failed: etcdctl get --prefix " << prefix;
    return k.value_or(std::vector<std::string>{});
  }
  // Whether link `name` exists in namespace `netns`: `ip link show dev` exits 0 when it does and
  // says "does not exist" when it does not. Any other failure (no such namespace, no `ip`) fails
  // the test, so that an absence check cannot pass on a probe that did not run.
  bool link_exists(const std::string& netns, const std::string& name) {
    auto r = run_in("", {"ip", "-n", netns, "link", "show", "dev", name});
    if (r.exit_code == 0) return true;
    EXPECT_NE(r.err.find("does not exist"), std::string::npos)
        << "probe failed: ip -n " << netns << " link show dev " << name << ": " << r.err;
    return false;
  }
  bool host_link_exists(const std::string& name) { return link_exists(c().host(), name); }
  // Workload routes (protocol 248) in the host namespace, both families.
  std::string workload_routes() {
    return probe("", {"ip", "-n", c().host(), "route", "show", "proto", "248"}) +
           probe("", {"ip", "-n", c().host(), "-6", "route", "show", "proto", "248"});
  }
  bool ping(const std::string& from_netns, const std::string& address) {
    auto r = run_in(from_netns, {"ping", "-c", "1", "-W", "2", address});
    return r.exit_code == 0;
  }
  static std::string ns_name(const std::string& path) { return path.substr(path.rfind('/') + 1); }
  static std::string host_veth(const std::string& id, const std::string& ifname = "eth0") {
    return ipam::protocol::host_veth_name(id, ifname);
  }

  std::unique_ptr<CniCluster> cluster_;
};

}  // namespace weft::testing
