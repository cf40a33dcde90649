#include "cli/lab/bench.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <iostream>
#include <thread>

#include "base/json.h"
#include "cli/lab/lab_state.h"
#include "cli/lab/processes.h"
#include "cli/lab/topology.h"
#include "kernel/netns.h"
#include "kernel/route_watcher.h"

namespace weft::cli::lab {
namespace {

using Clock = std::chrono::steady_clock;

std::string self_exe() {
  std::error_code ec;
  auto p = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? "weft" : p.string();
}

// Runs `weft lab ARGS --state-dir DIR` as a child; the lab is built exactly as a user builds it.
Result<std::string> weft_lab(const std::vector<std::string>& args, const std::string& state_dir) {
  std::vector<std::string> argv{self_exe(), "lab", "--state-dir", state_dir};
  argv.insert(argv.end(), args.begin(), args.end());
  auto r = run_command(argv);
  if (!r) return std::unexpected(r.error());
  if (r->exit_code != 0) return fail(Errc::internal, "weft lab ", args.front(), " failed: ", r->err);
  return r->out;
}

// One iperf3 test from `client_ns` to `server` (served in `server_ns`); bits per second received.
Result<double> iperf(const std::string& server_ns, const std::string& client_ns, const std::string& server,
                     int streams, int seconds, const std::string& state_dir) {
  auto daemon = spawn_daemon("iperf3", server_ns, {"iperf3", "-s", "-1", "-p", "5201"}, state_dir + "/iperf3.log");
  if (!daemon) return std::unexpected(daemon.error());
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  auto r = run_command({"iperf3", "-c", server, "-p", "5201", "-t", std::to_string(seconds), "-P",
                        std::to_string(streams), "-J"},
                       client_ns);
  for (int i = 0; i < 30 && !child_exited(daemon->pid); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  if (!child_exited(daemon->pid)) {
    ::kill(daemon->pid, SIGKILL);
    ::waitpid(daemon->pid, nullptr, 0);
  }
  if (!r) return std::unexpected(r.error());
  auto json = parse_json(r->out);
  if (!json || r->exit_code != 0) return fail(Errc::internal, "iperf3 to ", server, " failed: ", r->err, r->out.substr(0, 300));
  try {
    return (*json)["end"]["sum_received"]["bits_per_second"].get<double>();
  } catch (const Json::exception&) {
    return fail(Errc::internal, "iperf3 gave no throughput: ", r->out.substr(0, 300));
  }
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

std::string first_v4(const std::vector<std::string>& addresses) {
  for (const auto& a : addresses) {
    if (a.find(':') == std::string::npos) return a.substr(0, a.find('/'));
  }
  return "";
}

Result<Json> throughput(const std::string& mode, const BenchOptions& options) {
  if (auto r = weft_lab({"up", "--hosts", "2", "--segments", "1", "--mode", mode, "--pods-per-host", "1"}, options.state_dir); !r) {
    return std::unexpected(r.error());
  }
  auto state = load_state(options.state_dir);
  if (!state) return std::unexpected(state.error());
  const auto& h2 = state->hosts.at(1);
  const std::string underlay = h2.underlay.substr(0, h2.underlay.find('/'));
  std::string pod1_ns, pod2_ns, pod2;
  for (const auto& p : state->pods) {
    if (p.host == "h1") pod1_ns = p.netns;
    if (p.host == "h2") { pod2_ns = p.netns; pod2 = first_v4(p.addresses); }
  }
  Json out = Json::array();
  for (int streams : {1, 4}) {
    // Underlay and pod runs alternate, and each figure is the median of its runs: a burst of
    // load elsewhere on the machine then hits both sides of the ratio, or neither.
    std::vector<double> base_runs, pod_runs;
    for (int i = 0; i < options.repeat; ++i) {
      auto u = iperf(h2.netns, state->hosts.at(0).netns, underlay, streams, options.seconds, options.state_dir);
      if (!u) return std::unexpected(u.error());
      auto p = iperf(pod2_ns, pod1_ns, pod2, streams, options.seconds, options.state_dir);
      if (!p) return std::unexpected(p.error());
      base_runs.push_back(*u);
      pod_runs.push_back(*p);
    }
    const double base = median(base_runs), pod = median(pod_runs);
    out.push_back({{"mode", mode}, {"streams", streams}, {"underlay_gbps", base / 1e9},
                   {"pod_gbps", pod / 1e9}, {"ratio", pod / base}, {"runs", options.repeat}});
    std::cerr << "bench: " << mode << " " << streams << " stream(s): pod " << pod / 1e9 << " Gbit/s, underlay "
              << base / 1e9 << " Gbit/s, ratio " << pod / base << "\n";
  }
  return out;
}

// A forked watcher inside `netns`: writes 'r' when subscribed, then the monotonic time (ns) at
// which a route to `block` appeared, or "timeout".
struct Watcher {
  pid_t pid = -1;
  int fd = -1;
};

Watcher watch_for_route(const std::string& netns, const Prefix& block) {
  int fds[2];
  if (::pipe(fds) != 0) return {};
  pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fds[0]);
    auto guard = kernel::NetnsGuard::enter(netns);
    auto watcher = guard ? kernel::RouteWatcher::open() : Result<kernel::RouteWatcher>(std::unexpected(guard.error()));
    std::string answer = "timeout";
    if (watcher && ::write(fds[1], "r", 1) == 1) {
      const auto deadline = Clock::now() + std::chrono::seconds(15);
      while (Clock::now() < deadline && answer == "timeout") {
        auto events = watcher->poll(std::chrono::milliseconds(100));
        if (!events) continue;
        for (const auto& e : *events) {
          if (e.kind == kernel::RouteEvent::Kind::added && e.route.destination == block) {
            answer = std::to_string(Clock::now().time_since_epoch().count());
            break;
          }
        }
      }
    }
    (void)!::write(fds[1], answer.data(), answer.size());
    ::_exit(0);
  }
  ::close(fds[1]);
  return {pid, fds[0]};
}

std::string read_all(int fd) {
  std::string out;
  char buf[256];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  return out;
}

// A "Field:   1234 kB" line of a /proc file, in MiB.
double proc_field_mb(const std::string& path, std::string_view field) {
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with(field)) return std::stod(line.substr(field.size())) / 1024.0;
  }
  return 0;
}

// RSS as `ps` shows it, and its parts: private memory (RssAnon) and pages of files, mostly the
// shared libraries every weftd maps (gRPC, protobuf, abseil, OpenSSL); PSS divides shared pages
// among the processes that map them.
Json memory_of(pid_t pid) {
  const std::string proc = "/proc/" + std::to_string(pid);
  return {{"rss_mb", proc_field_mb(proc + "/status", "VmRSS:")},
          {"rss_anon_mb", proc_field_mb(proc + "/status", "RssAnon:")},
          {"rss_file_mb", proc_field_mb(proc + "/status", "RssFile:")},
          {"pss_mb", proc_field_mb(proc + "/smaps_rollup", "Pss:")}};
}

Result<Json> convergence(int hosts, const std::string& mode, const BenchOptions& options, Json* rss) {
  if (auto r = weft_lab({"up", "--hosts", std::to_string(hosts), "--segments", "1", "--mode", mode,
                         "--pods-per-host", "1"}, options.state_dir);
      !r) {
    return std::unexpected(r.error());
  }
  auto state = load_state(options.state_dir);
  if (!state) return std::unexpected(state.error());
  const std::string last = "h" + std::to_string(hosts);
  auto record = std::find_if(state->processes.begin(), state->processes.end(),
                             [&](const ProcessRecord& p) { return p.role == "weftd" && p.host == last; });
  if (record == state->processes.end()) return fail(Errc::internal, "no weftd recorded for ", last);
  auto status = parse_json(*weft_lab({"status", "-o", "json"}, options.state_dir));
  std::optional<Prefix> block;
  for (const auto& h : (*status)["hosts"]) {
    if (h["name"] == last && !h["blocks"].empty()) block = Prefix::parse(h["blocks"][0].get<std::string>()).value_or(Prefix{});
  }
  if (!block) return fail(Errc::internal, last, " holds no block");

  // The host leaves the cluster: its agent stops and its node is removed, so every other host
  // drops its routes. Then it comes back.
  std::vector<std::string> notes;
  stop_processes({*record}, std::chrono::seconds(3), notes);
  if (auto r = weft_lab({"exec", last, "--", self_exe(), "node", "delete", last}, options.state_dir); !r) {
    return std::unexpected(r.error());
  }
  std::this_thread::sleep_for(std::chrono::seconds(1));
  std::vector<Watcher> watchers;
  for (const auto& h : state->hosts) {
    if (h.name != last) watchers.push_back(watch_for_route(h.netns, *block));
  }
  for (auto& w : watchers) {
    char c = 0;
    if (w.fd < 0 || ::read(w.fd, &c, 1) != 1 || c != 'r') return fail(Errc::internal, "a route watcher did not start");
  }
  const auto start = Clock::now();
  auto restarted = spawn_daemon("weftd", record->netns, record->cmdline, record->log);
  if (!restarted) return std::unexpected(restarted.error());
  restarted->host = last;
  *record = *restarted;
  (void)save_state(*state);  // so that `down` stops the new agent

  std::vector<double> seconds;
  int missing = 0;
  for (auto& w : watchers) {
    auto text = read_all(w.fd);
    ::close(w.fd);
    ::waitpid(w.pid, nullptr, 0);
    if (text == "timeout" || text.empty()) {
      ++missing;
      continue;
    }
    const Clock::time_point at{Clock::duration(std::stoll(text))};
    seconds.push_back(std::chrono::duration<double>(at - start).count());
  }
  std::sort(seconds.begin(), seconds.end());
  if (rss != nullptr) {
    *rss = Json::array();
    for (const auto& p : state->processes) {
      if (p.role != "weftd") continue;
      Json m = memory_of(p.pid);
      m["host"] = p.host;
      rss->push_back(m);
    }
  }
  Json out = {{"hosts", hosts}, {"mode", mode}, {"hosts_missing_route", missing}};
  if (!seconds.empty()) {
    out["all_hosts_have_route_s"] = seconds.back();
    out["first_host_s"] = seconds.front();
    out["median_s"] = seconds[seconds.size() / 2];
  }
  std::cerr << "bench: convergence (" << mode << ") with " << hosts << " hosts: " << (seconds.empty() ? -1 : seconds.back())
            << " s until every host has the new host's route\n";
  return out;
}

}  // namespace

int bench(const BenchOptions& options, Context& ctx) {
  if (!find_program("iperf3")) return report(Error{Errc::not_found, "lab bench needs iperf3 (apt-get install iperf3)"});
  Json out = {{"benchmark", "lab"}, {"seconds_per_iperf3_run", options.seconds}, {"throughput", Json::array()},
              {"convergence", Json::array()}};
  int status = exit_ok;
  for (const auto& mode : options.modes) {
    auto t = throughput(mode, options);
    if (!t) {
      std::cerr << "weft: bench " << mode << ": " << t.error().message << '\n';
      status = exit_error;
      continue;
    }
    for (auto& row : *t) out["throughput"].push_back(row);
  }
  out["weftd_rss"] = Json::object();
  for (const auto& mode : options.convergence_modes) {
    Json rss;
    for (int hosts : options.convergence_hosts) {
      auto c = convergence(hosts, mode, options, hosts == options.convergence_hosts.back() ? &rss : nullptr);
      if (!c) {
        std::cerr << "weft: bench convergence " << mode << " " << hosts << ": " << c.error().message << '\n';
        status = exit_error;
        continue;
      }
      out["convergence"].push_back(*c);
    }
    if (rss.is_null()) continue;
    double max = 0, max_anon = 0, max_pss = 0;
    for (const auto& r : rss) {
      max = std::max(max, r["rss_mb"].get<double>());
      max_anon = std::max(max_anon, r["rss_anon_mb"].get<double>());
      max_pss = std::max(max_pss, r["pss_mb"].get<double>());
    }
    out["weftd_rss"][mode] = {{"hosts", rss.size()}, {"max_mb", max}, {"max_anon_mb", max_anon}, {"max_pss_mb", max_pss},
                              {"per_host", rss}};
  }
  (void)weft_lab({"down"}, options.state_dir);
  (void)ctx;  // the output is JSON whatever -o says: it is a benchmark
  std::cout << out.dump(2) << '\n';
  return status;
}

}  // namespace weft::cli::lab
