// What the e2e tests share: running commands with captured output, the lab fixture (one lab
// per machine, under an exclusive lock), and checks on what the lab leaves behind.
#pragma once

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <thread>
#include <string>
#include <vector>

#include "base/json.h"
#include "base/process.h"
#include "require.h"

namespace weft_e2e {

namespace fs = std::filesystem;

struct Outcome {
  int exit_code = -1;
  std::string out;
  std::string err;
};

inline std::string slurp(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Runs argv (no shell) with stdout and stderr captured; daemons the command leaves running
// (`weft lab up`) do not hold the run up (base/process.h).
inline Outcome run(const std::vector<std::string>& argv) {
  auto r = weft::run(weft::Command{.argv = argv});
  if (!r) return Outcome{.exit_code = -1, .out = "", .err = r.error().describe()};
  return Outcome{.exit_code = r->exit_code, .out = std::move(r->out), .err = std::move(r->err)};
}

// The lab's namespaces now. A /run/netns that cannot be read fails the test (an unreadable
// directory must not read as "none left"); one that does not exist holds none.
inline std::vector<std::string> lab_namespaces() {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/run/netns", ec)) {
    if (e.path().filename().string().starts_with("weft-lab-")) out.push_back(e.path().filename().string());
  }
  EXPECT_TRUE(!ec || ec == std::errc::no_such_file_or_directory) << "reading /run/netns: " << ec.message();
  return out;
}

inline bool running(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(in, line)) return false;
  auto close = line.rfind(')');
  return close != std::string::npos && close + 2 < line.size() && line[close + 2] != 'Z';
}

// The root namespace's links and routes: the lab must never change them.
inline std::string root_network() {
  std::string all;
  for (auto args : {std::vector<std::string>{"/usr/sbin/ip", "-o", "link", "show"},
                    std::vector<std::string>{"/usr/sbin/ip", "-4", "route", "show", "table", "all"},
                    std::vector<std::string>{"/usr/sbin/ip", "-6", "route", "show", "table", "all"},
                    std::vector<std::string>{"/usr/sbin/ip", "-o", "addr", "show"}}) {
    auto r = run(args);
    EXPECT_EQ(r.exit_code, 0) << "probe failed: " << args[1] << " " << args[2] << ": " << r.err;  // "" == "" proves nothing
    all += r.out;
  }
  return all;
}

class Lab : public ::testing::Test {
 public:  // helpers of the tests use the fixture's commands
  void SetUp() override {
    WEFT_REQUIRE(::geteuid() == 0, "the lab needs root");
    WEFT_REQUIRE(fs::exists("/usr/sbin/ip") && fs::exists("/usr/bin/etcd"), "needs iproute2 and etcd");
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

// The command line of a running process, from /proc.
inline std::vector<std::string> process_argv(int pid) {
  std::vector<std::string> argv;
  std::string all = slurp("/proc/" + std::to_string(pid) + "/cmdline");
  size_t start = 0;
  for (size_t i = 0; i < all.size(); ++i) {
    if (all[i] != '\0') continue;
    argv.push_back(all.substr(start, i - start));
    start = i + 1;
  }
  return argv;
}

// Starts `argv` inside lab namespace `name` (through `weft lab exec`, which becomes the command)
// in the background, output to a fresh `log`; the returned handle stops it (SIGTERM, then
// SIGKILL) at the latest when it goes out of scope, also when an ASSERT ends the test early.
inline weft::Child spawn_in_lab(Lab& lab, const std::string& name, const std::vector<std::string>& argv,
                                const fs::path& log) {
  std::vector<std::string> args{WEFT_CLI_PATH, "lab", "exec", name, "--state-dir", lab.dir_.string(), "--"};
  args.insert(args.end(), argv.begin(), argv.end());
  std::error_code ec;
  fs::remove(log, ec);
  auto child = weft::Child::start(weft::Command{.argv = args}, log.string());
  EXPECT_TRUE(child.has_value()) << child.error().describe();
  return child ? std::move(*child) : weft::Child();
}


// Helpers the lab tests share.

// The pods of the lab, by name, with their first IPv4 address.
inline std::map<std::string, std::string> pod_v4(Lab& lab) {
  std::map<std::string, std::string> out;
  auto status = weft::parse_json(lab.lab({"status", "-o", "json"}).out);
  if (!status) return out;
  for (const auto& p : (*status)["pods"]) {
    for (const auto& a : p["addresses"]) {
      auto text = a.get<std::string>();
      if (text.find(':') == std::string::npos) {
        out[p["name"].get<std::string>()] = text.substr(0, text.find('/'));
        break;
      }
    }
  }
  return out;
}

inline bool ping(Lab& lab, const std::string& from_pod, const std::string& to) {
  return lab.exec(from_pod, {"/usr/bin/ping", "-n", "-c", "3", "-i", "0.2", "-W", "1", to}).exit_code == 0;
}

// Polls `done` until it holds or `limit` passes; returns the time it took, or nullopt.
template <class F>
inline std::optional<double> within(std::chrono::milliseconds limit, F done) {
  const auto start = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() - start < limit) {
    if (done()) return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return std::nullopt;
}

// Runs a read-only command in lab namespace `name` whose output a check inspects, and returns
// its stdout. A failed run fails the test: the empty output of a probe that did not run would
// otherwise read as "nothing there".
inline std::string probe(Lab& lab, const std::string& name, const std::vector<std::string>& argv) {
  auto r = lab.exec(name, argv);
  std::string command;
  for (const auto& a : argv) command += a + " ";
  EXPECT_EQ(r.exit_code, 0) << "probe failed in " << name << ": " << command << r.err;
  return r.out;
}

// `ip monitor route` (and more objects, e.g. "link") in lab namespace `name`, for checks that
// a window of time changed nothing there. A negative check on a monitor cannot pass by accident
// only if the monitor provably listens for the whole window: the constructor returns once the
// monitor printed a marker route this fixture added and deleted in the same namespace (an
// unreachable 198.18.255.250/32 in table 199, protocol 199, which nothing else uses, retried
// until seen, for up to 5 s); stop() ends the window with a second marker (198.18.255.251) that
// the monitor must also print before it is killed. events() are the lines between the markers.
class RouteMonitor {
 public:
  RouteMonitor(Lab& lab, std::string name, fs::path log, std::vector<std::string> objects = {"route"})
      : lab_(lab), name_(std::move(name)), log_(std::move(log)) {
    std::vector<std::string> argv{"/usr/sbin/ip", "monitor"};
    argv.insert(argv.end(), objects.begin(), objects.end());
    monitor_ = spawn_in_lab(lab_, name_, argv, log_);
    started_ = monitor_.owns() && mark(kStart);
    EXPECT_TRUE(started_) << "ip monitor in " << name_ << " never printed the start marker:\n" << slurp(log_);
    start_ = std::chrono::steady_clock::now();
  }
  ~RouteMonitor() { kill_monitor(); }
  RouteMonitor(const RouteMonitor&) = delete;
  RouteMonitor& operator=(const RouteMonitor&) = delete;

  bool started() const { return started_; }

  // Ends the window (end marker seen, then the monitor stopped) and returns what it printed
  // between the markers, marker lines excluded. A monitor that missed a marker fails the test.
  std::string stop() {
    if (monitor_.owns() && started_) {
      window_ = std::chrono::steady_clock::now() - start_;
      EXPECT_TRUE(mark(kEnd)) << "ip monitor in " << name_ << " never printed the end marker:\n" << slurp(log_);
    }
    kill_monitor();
    std::istringstream lines(slurp(log_));
    std::vector<std::string> all;
    for (std::string line; std::getline(lines, line);) all.push_back(line);
    size_t first = 0;
    for (size_t i = 0; i < all.size(); ++i) {
      if (all[i].find(kStart) != std::string::npos) first = i + 1;  // after the last start marker line
    }
    std::string events;
    for (size_t i = first; i < all.size() && all[i].find(kEnd) == std::string::npos; ++i) events += all[i] + "\n";
    return events;
  }
  // The window's length in seconds (start marker seen to end marker added), for messages.
  double window_seconds() const { return window_.count(); }

 private:
  static constexpr const char* kStart = "198.18.255.250";
  static constexpr const char* kEnd = "198.18.255.251";

  // Adds and deletes marker route `address` until the monitor printed its deletion (5 s at most;
  // within() paces the tries). A monitor not yet subscribed misses a try: the next one repeats it.
  bool mark(const char* address) {
    const std::string route = std::string(address) + "/32";
    auto seen = within(std::chrono::seconds(5), [&] {
      if (slurp(log_).find(std::string("Deleted unreachable ") + address) != std::string::npos) return true;
      for (const char* verb : {"add", "del"}) {
        auto r = lab_.exec(name_, {"/usr/sbin/ip", "route", verb, "unreachable", route, "table", "199", "proto", "199"});
        EXPECT_EQ(r.exit_code, 0) << "marker route " << verb << " in " << name_ << ": " << r.err;
      }
      return false;
    });
    return seen.has_value();
  }
  void kill_monitor() { monitor_.stop(); }

  Lab& lab_;
  std::string name_;
  fs::path log_;
  weft::Child monitor_;
  bool started_ = false;
  std::chrono::steady_clock::time_point start_{};
  std::chrono::duration<double> window_{};
};

// Reads a host's weft state: routes of protocol 247, and, where the host has weft.vxlan (not in
// routed modes), the permanent neighbours and FDB entries on it. Every probe must succeed.
inline std::string weft_state(Lab& lab, const std::string& host) {
  std::string state = probe(lab, host, {"/usr/sbin/ip", "route", "show", "proto", "247"}) +
                      probe(lab, host, {"/usr/sbin/ip", "-6", "route", "show", "proto", "247"});
  const std::string links = probe(lab, host, {"/usr/sbin/ip", "-o", "link", "show"});
  if (links.find(": weft.vxlan:") == std::string::npos) return state;
  return state + probe(lab, host, {"/usr/sbin/ip", "neigh", "show", "dev", "weft.vxlan", "nud", "permanent"}) +
         probe(lab, host, {"/usr/sbin/ip", "-6", "neigh", "show", "dev", "weft.vxlan", "nud", "permanent"}) +
         probe(lab, host, {"/usr/sbin/bridge", "fdb", "show", "dev", "weft.vxlan"});
}

inline std::optional<weft::Json> host_status(Lab& lab, const std::string& name) {
  auto status = weft::parse_json(lab.lab({"status", "-o", "json"}).out);
  if (!status) return std::nullopt;
  for (const auto& h : (*status)["hosts"]) {
    if (h["name"] == name) return h;
  }
  return std::nullopt;
}

// A host's underlay address without its prefix length ("198.18.1.12"), from `weft lab status`.
inline std::string underlay_of(Lab& lab, const std::string& host) {
  auto h = host_status(lab, host);
  if (!h) return "";
  const std::string u = (*h)["underlay"].get<std::string>();
  return u.substr(0, u.find('/'));
}

// A host's first block ("198.19.29.0/24"), from `weft lab status`.
inline std::string first_block(Lab& lab, const std::string& host) {
  auto h = host_status(lab, host);
  return h && !(*h)["blocks"].empty() ? (*h)["blocks"][0].get<std::string>() : "";
}

}  // namespace weft_e2e
