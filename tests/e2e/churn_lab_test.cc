// Churn (issue 13): many CNI ADD/DEL cycles on every lab host, several at a time per host, while
// weftd processes are SIGKILLed (`weft lab fault kill-weftd`, then `heal`) or restarted
// (`restart-weftd`) at random. Each cycle is what a runtime does: a fresh namespace, weft-cni ADD,
// then weft-cni DEL of the same container (also after a failed ADD; a DEL is retried until weftd
// answers again), then the namespace goes. While it runs, no two live containers hold the same
// address; at the end `weft lab ipam-check` finds nothing: no duplicate, no allocation without
// endpoint, no endpoint without allocation or veth, no stale route, and no churn endpoint remains.
//
// Size from the environment: WEFT_CHURN_CYCLES (default 2000), WEFT_CHURN_HOSTS (4),
// WEFT_CHURN_PARALLEL (cycles at a time per host, 4), WEFT_CHURN_SEED (the sequence of faulted
// hosts and fault kinds; printed). The documented full size: 10000 cycles, 8 hosts, 8 at a time
// (README, "When things break").
#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <random>
#include <set>

#include "cli/lab/cni_pods.h"
#include "cli/lab/lab_state.h"
#include "cli/lab/underlay.h"
#include "lab_fixture.h"

namespace {

using namespace weft_e2e;
using namespace std::chrono_literals;
namespace labcli = weft::cli::lab;

int env_int(const char* name, int fallback) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return fallback;
  return std::max(1, std::atoi(v));
}

std::string first_line(std::string text) {
  std::replace(text.begin(), text.end(), '\n', ' ');
  return text.size() > 240 ? text.substr(0, 240) + "..." : text;
}

struct HostTarget {
  std::string name;
  std::string netns;
  std::string conflist;
};

class Churn {
 public:
  Churn(Lab& lab, std::vector<HostTarget> hosts, int cycles, int parallel, unsigned seed)
      : lab_(lab), hosts_(std::move(hosts)), cycles_(cycles), parallel_(parallel), rng_(seed) {}

  void run() {
    const auto start = std::chrono::steady_clock::now();
    std::thread faults([&] { fault_loop(); });
    std::vector<std::thread> workers;
    for (const auto& host : hosts_) {
      for (int w = 0; w < parallel_; ++w) workers.emplace_back([&] { worker(host); });
    }
    for (auto& t : workers) t.join();
    {
      std::lock_guard lock(mutex_);
      done_ = true;
    }
    changed_.notify_all();
    faults.join();
    seconds_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }

  int completed() const { return completed_; }
  int failed_adds() const { return failed_adds_; }
  int del_retries() const { return del_retries_; }
  int kills() const { return kills_; }
  int restarts() const { return restarts_; }
  double seconds() const { return seconds_; }
  const std::vector<std::string>& add_failures() const { return add_failures_; }
  const std::vector<std::string>& reused_while_del_retried() const { return reused_while_del_retried_; }

 private:
  void worker(const HostTarget& host) {
    for (;;) {
      const int i = next_++;
      if (i >= cycles_) return;
      cycle(host, i);
      {
        std::lock_guard lock(mutex_);
        ++completed_;
      }
      changed_.notify_all();
    }
  }

  // One container's life as a runtime drives it.
  void cycle(const HostTarget& host, int i) {
    const std::string id = "churn-" + std::to_string(i);
    const std::string netns = "weft-lab-churn-" + std::to_string(i);
    auto created = labcli::create_netns(netns);
    ASSERT_TRUE(created.has_value()) << netns << ": " << created.error().describe();
    if (auto r = labcli::configure_pod_netns(netns); !r) ADD_FAILURE() << netns << ": " << r.error().describe();

    // The addresses this container holds: from its ADD's result until its DEL is sent. An address
    // given again while its holder's DEL is being retried is no duplicate (weftd may have released
    // it and died before answering; weft-cni removed the veth before asking): counted apart, with
    // the DEL's last error.
    std::vector<std::string> held;
    const std::string who = id + " on " + host.name;
    auto added = labcli::cni_add(WEFT_CNI_PATH, host.conflist, host.netns, id, netns);
    if (added) {
      EXPECT_FALSE(added->addresses.empty()) << who << " got no address";
      std::lock_guard lock(mutex_);
      for (const auto& a : added->addresses) {
        auto [it, fresh] = live_.try_emplace(a, Holder{who});
        if (!fresh && it->second.deleting) {
          reused_while_del_retried_.push_back(a + " of " + it->second.who + " (DEL failed: " + it->second.del_error +
                                              ") given to " + who);
          it->second = Holder{who};
          fresh = true;
        }
        EXPECT_TRUE(fresh) << "duplicate address " << a << ": " << who << " and " << it->second.who
                           << " hold it at once (the other's DEL not sent yet)";
        if (fresh) held.push_back(a);
      }
    } else {
      std::lock_guard lock(mutex_);
      ++failed_adds_;
      add_failures_.push_back(host.name + " " + id + ": " + first_line(added.error().describe()));
    }

    // DEL until weftd answers: after a kill, the next heal (or any progress elsewhere) is the
    // moment to try again; 60 s bound it.
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    for (;;) {
      auto deleted = labcli::cni_del(WEFT_CNI_PATH, host.conflist, host.netns, id, netns);
      if (deleted) break;
      if (std::chrono::steady_clock::now() > deadline) {
        ADD_FAILURE() << "DEL of " << who << " failed for 60 s: " << deleted.error().describe();
        break;
      }
      std::unique_lock lock(mutex_);
      ++del_retries_;
      for (const auto& a : held) {
        if (auto it = live_.find(a); it != live_.end() && it->second.who == who) {
          it->second.deleting = true;
          it->second.del_error = first_line(deleted.error().describe());
        }
      }
      const auto seen = events_;
      changed_.wait_for(lock, 500ms, [&] { return events_ != seen; });
    }
    {
      std::lock_guard lock(mutex_);
      for (const auto& a : held) {
        if (auto it = live_.find(a); it != live_.end() && it->second.who == who) live_.erase(it);
      }
    }
    auto removed = labcli::delete_netns(netns);
    EXPECT_TRUE(removed.has_value()) << netns << ": " << removed.error().describe();
  }

  // Waits until `n` more cycles completed, the churn is over, or `limit` passed.
  bool wait_cycles(int n, std::chrono::milliseconds limit) {
    std::unique_lock lock(mutex_);
    const int target = completed_ + n;
    changed_.wait_for(lock, limit, [&] { return done_ || completed_ >= target; });
    return !done_;
  }

  void event() {
    {
      std::lock_guard lock(mutex_);
      ++events_;
    }
    changed_.notify_all();
  }

  // A fault every 40 cycles on a random host: two times in three a SIGKILL, held for 20 cycles
  // (3 s at most) then healed, else a SIGTERM restart.
  void fault_loop() {
    constexpr int every = 40;
    while (wait_cycles(every, 30s)) {
      const HostTarget& host = hosts_[rng_() % hosts_.size()];
      if (rng_() % 3 != 0) {
        auto kill = lab_.lab({"fault", "kill-weftd", host.name});
        EXPECT_EQ(kill.exit_code, 0) << kill.out << kill.err;
        kills_ += kill.exit_code == 0;
        event();
        wait_cycles(every / 2, 3s);
        auto heal = lab_.lab({"fault", "heal"});
        EXPECT_EQ(heal.exit_code, 0) << heal.out << heal.err;
      } else {
        auto restart = lab_.lab({"fault", "restart-weftd", host.name});
        EXPECT_EQ(restart.exit_code, 0) << restart.out << restart.err;
        restarts_ += restart.exit_code == 0;
      }
      event();
    }
  }

  Lab& lab_;
  const std::vector<HostTarget> hosts_;
  const int cycles_;
  const int parallel_;
  std::mt19937 rng_;  // the fault thread's only

  std::atomic<int> next_{0};
  std::mutex mutex_;
  std::condition_variable changed_;
  bool done_ = false;
  uint64_t events_ = 0;
  int completed_ = 0;
  int failed_adds_ = 0;
  int del_retries_ = 0;
  struct Holder {
    std::string who;
    bool deleting = false;  // its DEL was sent and failed; retried
    std::string del_error;
  };
  std::map<std::string, Holder> live_;  // address -> the container holding it now
  std::vector<std::string> reused_while_del_retried_;
  std::vector<std::string> add_failures_;
  std::atomic<int> kills_{0};
  std::atomic<int> restarts_{0};
  double seconds_ = 0;
};

weft::Json ipam_check(Lab& lab, int* exit_code) {
  auto r = lab.lab({"ipam-check", "-o", "json"});
  *exit_code = r.exit_code;
  auto json = weft::parse_json(r.out);
  EXPECT_TRUE(json && json->contains("counts")) << "not a report: " << r.out << r.err;
  return json && json->contains("counts") ? *json : weft::Json::object();
}

bool all_zero(const weft::Json& report) {
  if (!report.contains("counts") || report["counts"].empty()) return false;
  for (const auto& [name, count] : report["counts"].items()) {
    if (count != 0) return false;
  }
  return true;
}

TEST_F(Lab, ChurnAddDelWhileWeftdIsKilled) {
  const int cycles = env_int("WEFT_CHURN_CYCLES", 2000);
  const int host_count = env_int("WEFT_CHURN_HOSTS", 4);
  const int parallel = env_int("WEFT_CHURN_PARALLEL", 4);
  const unsigned seed = static_cast<unsigned>(env_int("WEFT_CHURN_SEED", static_cast<int>(std::random_device{}() >> 1)));

  auto up = lab({"up", "--hosts", std::to_string(host_count), "--segments", host_count > 1 ? "2" : "1", "--mode",
                 "vxlan", "--pods-per-host", "1"});
  ASSERT_EQ(up.exit_code, 0) << up.out << up.err;
  auto state = labcli::load_existing_lab(dir_.string());
  ASSERT_TRUE(state) << state.error().describe();
  std::vector<HostTarget> hosts;
  for (const auto& h : state->hosts) hosts.push_back({h.name, h.netns, labcli::cni_conflist_path(*state, h)});
  ASSERT_EQ(hosts.size(), static_cast<size_t>(host_count));

  Churn churn(*this, hosts, cycles, parallel, seed);
  churn.run();

  // Every weftd back (the last fault may still be in place when the cycles ran out).
  auto heal = lab({"fault", "heal"});
  EXPECT_EQ(heal.exit_code, 0) << heal.out << heal.err;
  for (const auto& h : hosts) {
    EXPECT_TRUE(within(30s, [&] {
      auto s = host_status(*this, h.name);
      return s && (*s)["agentRunning"] == true;
    })) << "weftd on " << h.name << " is not running";
  }

  for (const auto& ns : lab_namespaces()) EXPECT_FALSE(ns.starts_with("weft-lab-churn-")) << ns << " left behind";
  auto listed = exec("h1", {WEFT_CLI_PATH, "endpoint", "list", "-o", "json"});
  auto endpoints = weft::parse_json(listed.out);
  ASSERT_TRUE(endpoints && endpoints->is_array()) << listed.out << listed.err;
  int churn_endpoints = 0;
  for (const auto& ep : *endpoints) churn_endpoints += ep.value("containerId", "").starts_with("churn-");
  EXPECT_EQ(churn_endpoints, 0) << "endpoints of deleted churn containers remain:\n" << endpoints->dump(2);

  // Restarted agents prune what they no longer own on their first rounds: the check may take a
  // few of them to come out clean (30 s at most); the first report is printed when it was not.
  int code = -1;
  const weft::Json first = ipam_check(*this, &code);
  weft::Json last = first;
  const auto settled = within(30s, [&] {
    last = ipam_check(*this, &code);
    return code == 0 && all_zero(last);
  });

  std::printf("churn: seed %u, %d hosts x %d at a time, %d cycles in %.1f s (%.1f/s)\n", seed, host_count, parallel,
              churn.completed(), churn.seconds(), churn.completed() / std::max(churn.seconds(), 0.001));
  std::printf("churn: %d weftd SIGKILLs, %d restarts, %d failed ADDs (each followed by its DEL), %d DEL retries\n",
              churn.kills(), churn.restarts(), churn.failed_adds(), churn.del_retries());
  // Failed ADDs by reason (what follows the socket's path), the first few in full. Only "try
  // again later" (CNI code 11: weftd could not be reached or went away mid-call) is what a kill
  // explains; any other failure is one of weft's.
  const auto& failures = churn.add_failures();
  std::map<std::string, int> reasons;
  std::vector<std::string> unexpected;
  for (const auto& f : failures) {
    const auto sock = f.find(".sock: ");
    reasons[sock == std::string::npos ? f : f.substr(sock + 7)]++;
    if (f.find("\"code\":11,") == std::string::npos) unexpected.push_back(f);
  }
  for (const auto& [reason, n] : reasons) std::printf("churn: %5d failed ADDs: %s\n", n, reason.c_str());
  for (const auto& r : churn.reused_while_del_retried()) std::printf("churn: address reused while its DEL was retried: %s\n", r.c_str());
  for (size_t i = 0; i < failures.size() && i < 5; ++i) std::printf("churn: failed ADD %s\n", failures[i].c_str());
  std::printf("churn: ipam-check %s%s: %s\n", settled ? "clean" : "NOT clean",
              settled ? (all_zero(first) ? " at once" : " after settling") : "", last["counts"].dump().c_str());
  if (!all_zero(first)) std::printf("churn: first ipam-check:\n%s\n", first.dump(2).c_str());
  std::fflush(stdout);

  // A failed run keeps the agents' logs (the lab's directory goes with `lab down`).
  if (HasFailure()) {
    const fs::path keep = fs::temp_directory_path() / ("weft-churn-logs-" + std::to_string(::getpid()));
    std::error_code ec;
    for (const auto& e : fs::recursive_directory_iterator(dir_, ec)) {
      if (!e.is_regular_file() || e.path().extension() != ".log") continue;
      fs::create_directories(keep / fs::relative(e.path(), dir_).parent_path(), ec);
      fs::copy_file(e.path(), keep / fs::relative(e.path(), dir_), ec);
    }
    std::printf("churn: logs kept in %s\n", keep.c_str());
  }
  EXPECT_EQ(churn.completed(), cycles);
  EXPECT_TRUE(unexpected.empty()) << unexpected.size() << " ADDs failed for another reason than weftd being away, first: "
                                  << unexpected.front();
  EXPECT_TRUE(settled) << last.dump(2);
  for (const char* count : {"duplicateAddresses", "allocationsWithoutEndpoint", "endpointsWithoutAllocation",
                            "endpointsWithoutVeth", "staleRoutes"}) {
    EXPECT_EQ(last["counts"].value(count, -1), 0) << count << " in\n" << last.dump(2);
  }
}

}  // namespace
