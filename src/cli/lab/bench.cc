#include "cli/lab/bench.h"

#include <poll.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <iostream>
#include <optional>
#include <thread>

#include "base/json.h"
#include "cli/lab/lab_state.h"
#include "cli/lab/processes.h"
#include "cli/lab/topology.h"
#include "kernel/netns_exec.h"
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
  auto r = run(Command{.argv = argv});
  if (!r) return std::unexpected(r.error());
  if (r->exit_code != 0) return fail(Errc::internal, "weft lab ", args.front(), " failed: ", r->err);
  return r->out;
}

// The machine's CPU time so far, from the first line of /proc/stat (jiffies): busy (everything
// but idle and iowait) and total. Machine-wide on purpose: encapsulation runs in softirq context,
// which iperf3's own figures (its processes' rusage) do not see.
struct CpuTimes {
  double busy = 0, total = 0;
};

CpuTimes cpu_times() {
  std::ifstream in("/proc/stat");
  std::string cpu;
  in >> cpu;
  CpuTimes t;
  for (int field = 0; field < 10; ++field) {
    double v = 0;
    if (!(in >> v)) break;
    t.total += v;
    if (field != 3 && field != 4) t.busy += v;  // idle, iowait
  }
  return t;
}

struct IperfResult {
  double bits_per_second = 0;
  double busy_cores = 0;  // CPU in use on the whole machine during the test, in cores
};

// One iperf3 test from `client_ns` to `server` (served in `server_ns`).
Result<IperfResult> iperf(const std::string& server_ns, const std::string& client_ns, const std::string& server,
                          int streams, int seconds, const std::string& state_dir) {
  auto daemon = kernel::start_in(server_ns, Command{.argv = {"iperf3", "-s", "-1", "-p", "5201"}, .new_session = true},
                                 state_dir + "/iperf3.log");
  if (!daemon) return std::unexpected(daemon.error());
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const auto cpu_before = cpu_times();
  auto r = kernel::run_in(client_ns, Command{.argv = {"iperf3", "-c", server, "-p", "5201", "-t", std::to_string(seconds),
                                                      "-P", std::to_string(streams), "-J"}});
  const auto cpu_after = cpu_times();
  // The server (-1) exits after one test; give it 3 s, then stop it.
  for (int i = 0; i < 30 && !daemon->exited(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  daemon->stop(std::chrono::milliseconds(500));
  if (!r) return std::unexpected(r.error());
  auto json = parse_json(r->out);
  if (!json || r->exit_code != 0) return fail(Errc::internal, "iperf3 to ", server, " failed: ", r->err, r->out.substr(0, 300));
  IperfResult out;
  try {
    out.bits_per_second = (*json)["end"]["sum_received"]["bits_per_second"].get<double>();
  } catch (const Json::exception&) {
    return fail(Errc::internal, "iperf3 gave no throughput: ", r->out.substr(0, 300));
  }
  const double total = cpu_after.total - cpu_before.total;
  const double cores = static_cast<double>(std::max(1u, std::thread::hardware_concurrency()));
  if (total > 0) out.busy_cores = (cpu_after.busy - cpu_before.busy) / total * cores;
  return out;
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
    // CPU per Gbit/s: percent of one core busy (machine-wide) per Gbit/s carried, per run.
    std::vector<double> base_runs, pod_runs, ratios, base_cpu, pod_cpu;
    const auto cpu_per_gbps = [](const IperfResult& r) { return r.busy_cores * 100 / (r.bits_per_second / 1e9); };
    for (int i = 0; i < options.repeat; ++i) {
      auto u = iperf(h2.netns, state->hosts.at(0).netns, underlay, streams, options.seconds, options.state_dir);
      if (!u) return std::unexpected(u.error());
      auto p = iperf(pod2_ns, pod1_ns, pod2, streams, options.seconds, options.state_dir);
      if (!p) return std::unexpected(p.error());
      base_runs.push_back(u->bits_per_second);
      pod_runs.push_back(p->bits_per_second);
      ratios.push_back(p->bits_per_second / u->bits_per_second);
      base_cpu.push_back(cpu_per_gbps(*u));
      pod_cpu.push_back(cpu_per_gbps(*p));
    }
    const double base = median(base_runs), pod = median(pod_runs);
    const auto [ratio_min, ratio_max] = std::minmax_element(ratios.begin(), ratios.end());
    out.push_back({{"mode", mode}, {"streams", streams}, {"underlay_gbps", base / 1e9}, {"pod_gbps", pod / 1e9},
                   {"ratio", median(ratios)}, {"ratio_min", *ratio_min}, {"ratio_max", *ratio_max},
                   {"underlay_cpu_pct_per_gbps", median(base_cpu)}, {"pod_cpu_pct_per_gbps", median(pod_cpu)},
                   {"runs", options.repeat}});
    std::cerr << "bench: " << mode << " " << streams << " stream(s): pod " << pod / 1e9 << " Gbit/s, underlay "
              << base / 1e9 << " Gbit/s, ratio " << median(ratios) << ", CPU % per Gbit/s pod " << median(pod_cpu)
              << " underlay " << median(base_cpu) << "\n";
  }
  return out;
}

// Waits until every watcher saw a route to `block` appear (or 15 s passed); the seconds from
// `start` for each one that saw it, and how many did not. All watchers are polled from this
// thread: their sockets were opened inside the hosts' namespaces and stay there.
std::vector<double> route_arrivals(std::vector<kernel::RouteWatcher>& watchers, const Prefix& block,
                                   Clock::time_point start, int* missing) {
  std::vector<std::optional<Clock::time_point>> seen(watchers.size());
  const auto deadline = Clock::now() + std::chrono::seconds(15);
  auto pending = [&] { return std::any_of(seen.begin(), seen.end(), [](const auto& t) { return !t; }); };
  while (pending() && Clock::now() < deadline) {
    std::vector<pollfd> fds;
    for (const auto& w : watchers) fds.push_back({w.fd(), POLLIN, 0});
    if (::poll(fds.data(), fds.size(), 100) <= 0) continue;
    const auto now = Clock::now();
    for (size_t i = 0; i < watchers.size(); ++i) {
      if (fds[i].revents == 0) continue;
      auto events = watchers[i].poll(std::chrono::milliseconds(0));
      if (!events || seen[i]) continue;
      for (const auto& e : *events) {
        if (e.kind == kernel::RouteEvent::Kind::added && e.route.destination == block) seen[i] = now;
      }
    }
  }
  std::vector<double> seconds;
  *missing = 0;
  for (const auto& t : seen) {
    if (t) {
      seconds.push_back(std::chrono::duration<double>(*t - start).count());
    } else {
      ++*missing;
    }
  }
  return seconds;
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
  std::vector<kernel::RouteWatcher> watchers;
  for (const auto& h : state->hosts) {
    if (h.name == last) continue;
    auto w = kernel::RouteWatcher::open_in_netns(h.netns);
    if (!w) return wrap(w.error(), "a route watcher did not start");
    watchers.push_back(std::move(*w));
  }
  const auto start = Clock::now();
  auto restarted = spawn_daemon("weftd", record->netns, record->cmdline, record->log);
  if (!restarted) return std::unexpected(restarted.error());
  restarted->host = last;
  *record = *restarted;
  (void)save_state(*state);  // so that `down` stops the new agent

  int missing = 0;
  std::vector<double> seconds = route_arrivals(watchers, *block, start, &missing);
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
