// `weft lab` as an operator runs it (root: network namespaces, etcd): the underlay, the store
// reachable from every host, pods wired, `check`, and `down` leaving nothing behind.
//
// The lab's namespace names are fixed (weft-lab-*), so one lab exists per machine: every test
// takes an exclusive lock first (ctest may run the discovered tests in parallel) and starts with
// `up`, which replaces whatever lab was there. State lives in a temp dir, never /run/weft-lab.
//
// Until weftd exists `lab up` stops with exit 1 ("weftd not found") after building the underlay
// and the pools: UnderlayStoreAndDown checks what exists then, and the full `check` once weftd is
// found (next to weft in the build tree). PodsWithoutAgents uses the hidden --no-agent, which
// reserves a block per host instead of running weftd, to check pod wiring now.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "base/json.h"
#include "cli/lab/topology.h"

namespace {

namespace fs = std::filesystem;

struct Outcome {
  int exit_code = -1;
  std::string out;
  std::string err;
};

std::string slurp(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Runs argv with stdout and stderr captured in files (no shell, no pipe a daemon could hold).
Outcome run(const std::vector<std::string>& argv) {
  static int counter = 0;
  const fs::path base = fs::temp_directory_path() /
                        ("weft-lab-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
  const std::string out_path = base.string() + ".out", err_path = base.string() + ".err";
  pid_t pid = ::fork();
  if (pid == 0) {
    int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int null = ::open("/dev/null", O_RDONLY);
    ::dup2(null, 0);
    ::dup2(out, 1);
    ::dup2(err, 2);
    std::vector<char*> cargv;
    for (const auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
    cargv.push_back(nullptr);
    ::execv(cargv[0], cargv.data());
    ::_exit(127);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  Outcome r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = slurp(out_path);
  r.err = slurp(err_path);
  fs::remove(out_path);
  fs::remove(err_path);
  return r;
}

std::vector<std::string> lab_namespaces() {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/run/netns", ec)) {
    if (e.path().filename().string().starts_with("weft-lab-")) out.push_back(e.path().filename().string());
  }
  return out;
}

bool running(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(in, line)) return false;
  auto close = line.rfind(')');
  return close != std::string::npos && close + 2 < line.size() && line[close + 2] != 'Z';
}

// The root namespace's links and routes: the lab must never change them.
std::string root_network() {
  std::string all;
  for (auto args : {std::vector<std::string>{"/usr/sbin/ip", "-o", "link", "show"},
                    std::vector<std::string>{"/usr/sbin/ip", "-4", "route", "show", "table", "all"},
                    std::vector<std::string>{"/usr/sbin/ip", "-6", "route", "show", "table", "all"},
                    std::vector<std::string>{"/usr/sbin/ip", "-o", "addr", "show"}}) {
    all += run(args).out;
  }
  return all;
}

class Lab : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "the lab needs root";
    if (!fs::exists("/usr/sbin/ip") || !fs::exists("/usr/bin/etcd")) GTEST_SKIP() << "needs iproute2 and etcd";
    lock_ = ::open("/tmp/weft-lab-e2e.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    ASSERT_GE(lock_, 0);
    ASSERT_EQ(::flock(lock_, LOCK_EX), 0);
    dir_ = fs::temp_directory_path() / ("weft-lab-e2e-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
  }
  void TearDown() override {
    if (lock_ < 0) return;
    auto down = lab({"down"});
    EXPECT_EQ(down.exit_code, 0) << down.err;
    ::close(lock_);
  }

  Outcome lab(std::vector<std::string> args) {
    args.insert(args.begin(), {WEFT_CLI_PATH, "lab"});
    args.insert(args.end(), {"--state-dir", dir_.string()});
    return run(args);
  }
  Outcome exec(const std::string& name, std::vector<std::string> command) {
    std::vector<std::string> args{WEFT_CLI_PATH, "lab", "exec", name, "--state-dir", dir_.string(), "--"};
    args.insert(args.end(), command.begin(), command.end());
    return run(args);
  }
  std::vector<int> recorded_pids() {
    std::vector<int> pids;
    auto state = weft::parse_json(slurp(dir_ / "lab.json"));
    if (!state) return pids;
    for (const auto& p : (*state)["processes"]) pids.push_back(p["pid"].get<int>());
    return pids;
  }
  void expect_gone(const std::vector<int>& pids) {
    EXPECT_TRUE(lab_namespaces().empty()) << "left: " << lab_namespaces().front();
    for (int pid : pids) EXPECT_FALSE(running(pid)) << "process " << pid << " survived lab down";
    EXPECT_FALSE(fs::exists(dir_)) << dir_;
  }

  int lock_ = -1;
  fs::path dir_;
};

TEST_F(Lab, UnderlayStoreAndDown) {
  const std::string before = root_network();
  auto up = lab({"up", "--hosts", "4", "--segments", "2"});
  const bool full = up.exit_code == 0;
  if (!full) {
    ASSERT_EQ(up.exit_code, 1) << up.out << up.err;
    ASSERT_NE(up.err.find("weftd not found"), std::string::npos) << up.err;
  }

  // Hosts reach each other across segments through the router, and etcd.
  for (auto [from, to] : {std::pair{"h1", "198.18.2.12"}, std::pair{"h1", "198.18.1.13"},
                          std::pair{"h4", "198.18.1.11"}, std::pair{"h4", "198.18.0.2"}}) {
    auto ping = exec(from, {"/usr/bin/ping", "-n", "-c", "1", "-W", "2", to});
    EXPECT_EQ(ping.exit_code, 0) << from << " -> " << to << ": " << ping.out << ping.err;
  }
  // The router knows no pod address.
  EXPECT_NE(exec("weft-lab-router", {"/usr/sbin/ip", "route", "get", "198.19.0.11"}).exit_code, 0);
  // Every host reaches the store: weft itself, with WEFT_STORE from `lab exec`.
  for (const char* host : {"weft-lab-h1", "weft-lab-h2"}) {
    auto pools = exec(host, {WEFT_CLI_PATH, "pool", "list"});
    EXPECT_EQ(pools.exit_code, 0) << pools.err;
    EXPECT_NE(pools.out.find("198.19.0.0/16"), std::string::npos) << pools.out;
    EXPECT_NE(pools.out.find("lab6"), std::string::npos) << pools.out;
    EXPECT_NE(pools.out.find("vxlan"), std::string::npos) << pools.out;
  }
  EXPECT_EQ(exec("h3", {"/bin/sh", "-c", "test \"$WEFT_STORE\" = etcd://198.18.0.2:2379 && exit 7"}).exit_code, 7);

  auto status = lab({"status", "-o", "json"});
  ASSERT_EQ(status.exit_code, 0) << status.err;
  auto json = weft::parse_json(status.out);
  ASSERT_TRUE(json) << status.out;
  EXPECT_EQ((*json)["store"], "etcd://198.18.0.2:2379");
  EXPECT_EQ((*json)["mode"], "vxlan");
  ASSERT_EQ((*json)["hosts"].size(), 4u);
  EXPECT_EQ((*json)["hosts"][1]["name"], "h2");
  EXPECT_EQ((*json)["hosts"][1]["underlay"], "198.18.2.12/24");
  EXPECT_EQ((*json)["hosts"][1]["netns"], "weft-lab-h2");
  EXPECT_EQ((*json)["hosts"][1]["agentRunning"], full);

  if (full) {
    auto check = lab({"check"});
    EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
  }

  EXPECT_EQ(root_network(), before) << "the lab changed the root namespace";
  const auto pids = recorded_pids();
  EXPECT_FALSE(pids.empty());
  auto down = lab({"down"});
  EXPECT_EQ(down.exit_code, 0) << down.err;
  expect_gone(pids);
  auto again = lab({"down"});
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.out.find("no lab"), std::string::npos) << again.out;
}

TEST_F(Lab, PodsWithoutAgents) {
  auto up = lab({"up", "--hosts", "2", "--pods-per-host", "2", "--no-agent"});
  ASSERT_EQ(up.exit_code, 0) << up.out << up.err;

  auto check = lab({"check", "-o", "json"});
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
  auto json = weft::parse_json(check.out);
  ASSERT_TRUE(json) << check.out;
  // 4 pods, 12 ordered pairs, 2 families: same-host pairs (2 hosts x 2 x 2) connect, the others
  // are n/a (no agent routes them).
  EXPECT_EQ((*json)["summary"]["expected"], 8);
  EXPECT_EQ((*json)["summary"]["connected"], 8);
  EXPECT_EQ((*json)["summary"]["notApplicable"], 16);

  auto routes = exec("h1", {"/usr/sbin/ip", "route", "show", "proto", "248"});
  EXPECT_EQ(routes.exit_code, 0);
  EXPECT_EQ(std::count(routes.out.begin(), routes.out.end(), '\n'), 2) << routes.out;
  auto veth = weft::cli::lab::host_veth_name("h1-p1");
  EXPECT_NE(routes.out.find(veth), std::string::npos) << routes.out;
  auto pod = exec("h1-p1", {"/usr/sbin/ip", "-o", "link", "show", "eth0"});
  EXPECT_NE(pod.out.find("mtu 1450"), std::string::npos) << pod.out;
  auto pod_routes = exec("h1-p1", {"/usr/sbin/ip", "route"});
  EXPECT_NE(pod_routes.out.find("default via 169.254.1.1 dev eth0"), std::string::npos) << pod_routes.out;

  const auto pids = recorded_pids();
  auto down = lab({"down"});
  EXPECT_EQ(down.exit_code, 0) << down.err;
  expect_gone(pids);
}

TEST_F(Lab, UpReplacesAPreviousLab) {
  auto first = lab({"up", "--hosts", "1", "--pods-per-host", "0", "--no-agent", "--mode", "direct"});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  const auto first_pids = recorded_pids();
  auto second = lab({"up", "--hosts", "2", "--pods-per-host", "1", "--no-agent", "--mode", "direct"});
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_NE(second.out.find("removing it first"), std::string::npos) << second.out;
  for (int pid : first_pids) EXPECT_FALSE(running(pid)) << pid;
  EXPECT_EQ(lab_namespaces().size(), 7u);  // router, etcd, s1, h1, h2, h1-p1, h2-p1
}

TEST(LabCli, BenchIsNotBuiltYet) {
  auto bench = run({WEFT_CLI_PATH, "lab", "bench"});
  EXPECT_EQ(bench.exit_code, 1);
  EXPECT_NE(bench.err.find("not built yet"), std::string::npos) << bench.err;
}

TEST(LabCli, BadOptionsAreUsageErrors) {
  EXPECT_EQ(run({WEFT_CLI_PATH, "lab", "up", "--mode", "gre"}).exit_code, 2);
  EXPECT_EQ(run({WEFT_CLI_PATH, "lab"}).exit_code, 2);
}

TEST(LabTopology, HostsRoundRobinOverSegments) {
  auto t = weft::cli::lab::plan_topology({.hosts = 5, .segments = 2, .pods_per_host = 2});
  ASSERT_TRUE(t);
  ASSERT_EQ(t->hosts.size(), 5u);
  EXPECT_EQ(t->hosts[0].underlay, "198.18.1.11/24");
  EXPECT_EQ(t->hosts[1].underlay, "198.18.2.12/24");
  EXPECT_EQ(t->hosts[4].underlay, "198.18.1.15/24");
  EXPECT_EQ(t->hosts[1].gateway, "198.18.2.1");
  EXPECT_EQ(t->pods.size(), 10u);
  EXPECT_EQ(t->pods[3].netns, "weft-lab-h2-p2");
  for (const auto& ns : t->namespaces()) EXPECT_TRUE(ns.starts_with("weft-lab-")) << ns;
  EXPECT_FALSE(weft::cli::lab::plan_topology({.hosts = 2, .segments = 3}));
  EXPECT_FALSE(weft::cli::lab::plan_topology({.hosts = 245}));

  auto veth = weft::cli::lab::host_veth_name("h1-p1");
  EXPECT_EQ(veth.size(), 12u);
  EXPECT_TRUE(veth.starts_with("weft"));
  EXPECT_NE(veth, weft::cli::lab::host_veth_name("h1-p2"));

  auto block = weft::Prefix::parse("198.19.7.0/24");
  EXPECT_EQ(weft::cli::lab::pod_address(*block, 2)->to_string(), "198.19.7.12");
  EXPECT_FALSE(weft::cli::lab::pod_address(*block, 245));
  auto block6 = weft::Prefix::parse("fd00:198:19::700/120");
  EXPECT_EQ(weft::cli::lab::pod_address(*block6, 1)->to_string(), "fd00:198:19::70b");
}

TEST(LabTopology, DirectModeDoesNotCrossSegments) {
  using namespace weft::cli::lab;
  auto t = plan_topology({.hosts = 3, .segments = 2});
  ASSERT_TRUE(t);
  std::string why;
  EXPECT_TRUE(mode_connects(Mode::direct, true, t->hosts[0], t->hosts[2], &why));
  EXPECT_FALSE(mode_connects(Mode::direct, true, t->hosts[0], t->hosts[1], &why));
  EXPECT_EQ(why, "direct routes do not cross segments");
  EXPECT_TRUE(mode_connects(Mode::vxlan, true, t->hosts[0], t->hosts[1], nullptr));
  EXPECT_TRUE(mode_connects(Mode::vxlan_cross_subnet, true, t->hosts[0], t->hosts[1], nullptr));
  EXPECT_FALSE(mode_connects(Mode::vxlan, false, t->hosts[0], t->hosts[1], nullptr));
  EXPECT_EQ(pod_mtu(Mode::direct), 1500);
  EXPECT_EQ(pod_mtu(Mode::vxlan_cross_subnet), 1450);
}

}  // namespace
