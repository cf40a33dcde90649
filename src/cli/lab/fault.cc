// weft lab fault: breaks the lab the way real clusters break (issue 13), says what it did and
// when, and undoes it after `--for DURATION` or on `weft lab fault heal`.
//
// Every lasting fault is recorded in lab.json (LabState::faults) before this command returns, so
// that `heal` (and `weft lab down`, which removes everything anyway) can undo it from another
// process. The lab lock is held around each change, not while `--for` waits: other lab commands
// (a `weft lab pod add` during an etcd outage) run meanwhile, and the state is read again before
// the healing is written.
//
// How each fault is made, and why that way:
//   etcd-stop      SIGTERM to every etcd member, or to one with --member N (a cluster of 3 keeps
//                  its quorum): clients see refused connections. --hang: SIGSTOP instead, a
//                  store that accepts connections and never answers (the harder case for clients).
//                  Healed by starting etcd again with its recorded command line (SIGCONT for --hang).
//   kill-weftd hN  SIGKILL: no shutdown code runs. Healed by starting weftd again.
//   restart-weftd  SIGTERM, then start it again at once: nothing to heal.
//   partition hN   the host's port leaves its segment's bridge: the host's eth0 keeps its carrier
//                  and addresses (a switch failing upstream, not a cable pulled), its workloads
//                  stay up, nothing crosses. Healed by putting the port back.
//   router-down    an nftables table in the router drops every packet it would forward between
//                  segments; etcd's leg is spared so that this fault stays a data-plane fault.
//   delay hN       netem on the host's eth0 for --ms (this machine's kernel has no netem: the
//                  command says so), nftables `numgen random` for --loss (each direction).
#include <signal.h>

#include <chrono>
#include <ctime>
#include <iostream>
#include <optional>
#include <thread>

#include <fmt/format.h>

#include "cli/lab/commands.h"
#include "cli/lab/lab_store.h"
#include "cli/lab/processes.h"
#include "cli/lab/underlay.h"
#include "kernel/netns_exec.h"

namespace weft::cli::lab {
namespace {

using namespace std::chrono_literals;

#define LAB_RESULT_TRY(var, expr)                           \
  auto var##_result = (expr);                               \
  if (!var##_result) return std::unexpected(var##_result.error()); \
  auto var = *var##_result

// The nftables table the network faults live in, in the namespace they affect.
constexpr std::string_view kFaultTable = "weft_lab_fault";

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string clock_text(int64_t ms) {
  const std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  ::gmtime_r(&seconds, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%H:%M:%S", &tm);
  return fmt::format("{}.{:03}", buf, ms % 1000);
}

// One line per action, with the wall-clock time (UTC), flushed at once: a test or an operator
// lines these up with ping output and daemon logs.
void say(const std::string& text) { std::cout << "[" << clock_text(now_ms()) << "] " << text << std::endl; }

Result<void> nft(const std::string& netns, const std::string& script) {
  auto r = kernel::run_in(netns, Command{.argv = {"nft", "-f", "-"}, .input = script}, 10s);
  if (!r) return std::unexpected(r.error());
  if (r->exit_code != 0) return fail(Errc::io, "nft in ", netns, ": ", r->err);
  return {};
}

Result<void> delete_fault_table(const std::string& netns) {
  return nft(netns, "delete table inet " + std::string(kFaultTable) + "\n");
}

ProcessRecord* find_etcd(LabState& state, std::string_view netns) {
  for (auto& p : state.processes) {
    if (p.role == "etcd" && p.netns == netns) return &p;
  }
  return nullptr;
}

// The members a target names: "etcd" every one, "etcdN" member N.
Result<std::vector<EtcdMember>> etcd_members(const LabState& state, const std::string& target) {
  auto topology = plan_topology(state.options);
  if (!topology) return std::unexpected(topology.error());
  if (target == "etcd") return topology->etcd;
  for (const auto& m : topology->etcd) {
    if (target == "etcd" + std::to_string(m.index)) return std::vector<EtcdMember>{m};
  }
  return fail(Errc::not_found, "the lab has no ", target, " (it runs ", std::to_string(topology->etcd.size()),
              " etcd member(s))");
}

// Waits until a process that is not our child has gone (SIGKILL is asynchronous).
bool wait_gone(const ProcessRecord& record, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (process_status(record) == ProcessStatus::running) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(20ms);
  }
  return true;
}

// Starts a recorded daemon again with the same command line, namespace and log.
Result<void> respawn(ProcessRecord& record) {
  auto fresh = spawn_daemon(record.role, record.netns, record.cmdline, record.log);
  if (!fresh) return wrap(fresh.error(), "starting " + record.role + " again");
  fresh->host = record.host;
  record = *fresh;
  return {};
}

Result<const Host*> lab_host(const LabState& state, const std::string& name) {
  if (name.empty()) return fail(Errc::invalid_argument, "this fault needs a host (h1, h2, ...)");
  const Host* host = state.host(name);
  if (!host) return fail(Errc::not_found, "the lab has no host ", name);
  return host;
}

std::string segment_netns(const Host& host) { return std::string(kNetnsPrefix) + "s" + std::to_string(host.segment); }

bool has_fault(const LabState& state, std::string_view kind, std::string_view target) {
  for (const auto& f : state.faults) {
    if (f.kind == kind && f.target == target) return true;
  }
  return false;
}

// Applies one fault to `state` (processes replaced, nothing saved) and returns its record.
Result<FaultRecord> apply(LabState& state, const FaultOptions& o) {
  FaultRecord record{.kind = o.kind, .since_ms = now_ms()};
  if (o.kind == "etcd-stop") {
    record.target = o.member == 0 ? "etcd" : "etcd" + std::to_string(o.member);
    if (has_fault(state, o.kind, "etcd") || has_fault(state, o.kind, record.target)) {
      return fail(Errc::conflict, record.target, " is stopped already");
    }
    LAB_RESULT_TRY(members, etcd_members(state, record.target));
    std::vector<ProcessRecord> chosen;
    for (const auto& m : members) {
      ProcessRecord* etcd = find_etcd(state, m.netns);
      if (!etcd) return fail(Errc::not_found, "the lab has no etcd in ", m.netns);
      if (process_status(*etcd) != ProcessStatus::running) {
        return fail(Errc::conflict, "etcd member ", std::to_string(m.index), " (pid ", std::to_string(etcd->pid), ") is not running");
      }
      chosen.push_back(*etcd);
    }
    std::string pids;
    for (const auto& p : chosen) pids += (pids.empty() ? "" : ", ") + std::to_string(p.pid);
    const std::string who = (o.member == 0 ? "etcd" : "etcd member " + std::to_string(o.member)) + " (pid " + pids + ")";
    if (o.hang) {
      for (const auto& p : chosen) {
        if (::kill(p.pid, SIGSTOP) != 0) return fail(Errc::io, "SIGSTOP to etcd failed");
      }
      record.detail = "SIGSTOP";
      say("etcd-stop: " + who + " frozen with SIGSTOP: connections are accepted and never answered");
    } else {
      std::vector<std::string> notes;
      stop_processes(chosen, 5s, notes);
      for (const auto& n : notes) say("etcd-stop: " + n);
      record.detail = "SIGTERM";
      say("etcd-stop: " + who + " stopped: connections are refused");
    }
    return record;
  }
  if (o.kind == "kill-weftd" || o.kind == "restart-weftd") {
    LAB_RESULT_TRY(host, lab_host(state, o.host));
    record.target = host->name;
    if (has_fault(state, "kill-weftd", record.target)) return fail(Errc::conflict, "weftd on ", host->name, " is killed already");
    ProcessRecord* weftd = state.agent(host->name);
    if (!weftd) return fail(Errc::not_found, "the lab runs no weftd on ", host->name);
    if (process_status(*weftd) != ProcessStatus::running) {
      return fail(Errc::conflict, "weftd on ", host->name, " (pid ", std::to_string(weftd->pid), ") is not running");
    }
    const pid_t old = weftd->pid;
    if (o.kind == "kill-weftd") {
      if (::kill(old, SIGKILL) != 0) return fail(Errc::io, "SIGKILL to weftd failed");
      if (!wait_gone(*weftd, 5s)) return fail(Errc::internal, "weftd (pid ", std::to_string(old), ") survived SIGKILL");
      record.detail = "SIGKILL";
      say("kill-weftd: weftd on " + host->name + " (pid " + std::to_string(old) + ") killed with SIGKILL");
      return record;
    }
    std::vector<std::string> notes;
    stop_processes({*weftd}, 10s, notes);
    for (const auto& n : notes) say("restart-weftd: " + n);
    if (auto r = respawn(*weftd); !r) return std::unexpected(r.error());
    say("restart-weftd: weftd on " + host->name + " stopped (pid " + std::to_string(old) + ") and started again (pid " +
        std::to_string(weftd->pid) + ")");
    record.kind.clear();  // nothing lasting to record
    return record;
  }
  if (o.kind == "partition") {
    LAB_RESULT_TRY(host, lab_host(state, o.host));
    record.target = host->name;
    if (has_fault(state, o.kind, record.target)) return fail(Errc::conflict, host->name, " is partitioned already");
    if (auto r = lab_ip(segment_netns(*host), {"link", "set", host->switch_port, "nomaster"}); !r) return std::unexpected(r.error());
    record.detail = "port " + host->switch_port + " out of " + segment_netns(*host) + "'s bridge";
    say("partition: " + host->name + " is cut off the underlay (" + record.detail + "); its workloads stay up");
    return record;
  }
  if (o.kind == "router-down") {
    record.target = "router";
    if (has_fault(state, o.kind, record.target)) return fail(Errc::conflict, "the router is down already");
    const std::string table = std::string(kFaultTable);
    // etcd's leg is spared: this fault is about the data plane between segments.
    const std::string script = "table inet " + table + " {\n  chain forward {\n    type filter hook forward priority -10;\n" +
                               "    iifname != \"etcd\" oifname != \"etcd\" drop\n  }\n}\n";
    if (auto r = nft(std::string(kRouterNetns), script); !r) return std::unexpected(r.error());
    record.detail = "forwarding between segments dropped";
    say("router-down: the router drops everything between segments (etcd stays reachable)");
    return record;
  }
  if (o.kind == "delay") {
    LAB_RESULT_TRY(host, lab_host(state, o.host));
    record.target = host->name;
    if (has_fault(state, o.kind, record.target)) return fail(Errc::conflict, host->name, " has a delay already");
    if (o.delay_ms <= 0 && o.loss_percent <= 0) return fail(Errc::invalid_argument, "delay needs --ms or --loss");
    if (o.delay_ms > 0) {
      auto r = run(Command{.argv = {"tc", "-n", host->netns, "qdisc", "add", "dev", "eth0", "root", "netem", "delay",
                                    std::to_string(o.delay_ms) + "ms"}},
                   10s);
      if (!r) return std::unexpected(r.error());
      if (r->exit_code != 0) {
        while (!r->err.empty() && r->err.back() == '\n') r->err.pop_back();
        return fail(Errc::not_found, "netem is not available in this kernel (tc: ", r->err,
                    "); --loss alone works (nftables)");
      }
      record.detail = "netem delay " + std::to_string(o.delay_ms) + " ms";
    }
    if (o.loss_percent > 0) {
      const std::string p = std::to_string(o.loss_percent);
      const std::string script = "table inet " + std::string(kFaultTable) + " {\n" +
                                 "  chain in {\n    type filter hook prerouting priority -300;\n" +
                                 "    iifname \"eth0\" numgen random mod 100 < " + p + " drop\n  }\n" +
                                 "  chain out {\n    type filter hook postrouting priority 300;\n" +
                                 "    oifname \"eth0\" numgen random mod 100 < " + p + " drop\n  }\n}\n";
      if (auto r = nft(host->netns, script); !r) {
        if (o.delay_ms > 0) run(Command{.argv = {"tc", "-n", host->netns, "qdisc", "del", "dev", "eth0", "root"}}, 10s);
        return std::unexpected(r.error());
      }
      record.detail += (record.detail.empty() ? "" : ", ") + std::string("loss ") + p + "% each direction";
    }
    say("delay: " + host->name + "'s eth0: " + record.detail);
    return record;
  }
  return fail(Errc::invalid_argument, "unknown fault '", o.kind, "'");
}

// Undoes one recorded fault.
Result<void> heal(LabState& state, const FaultRecord& f) {
  if (f.kind == "etcd-stop") {
    LAB_RESULT_TRY(members, etcd_members(state, f.target));
    // Every stopped member first, then their health: a cluster answers only once a quorum runs.
    for (const auto& m : members) {
      ProcessRecord* etcd = find_etcd(state, m.netns);
      if (!etcd) return fail(Errc::not_found, "the lab has no etcd in ", m.netns);
      if (f.detail == "SIGSTOP") {
        if (::kill(etcd->pid, SIGCONT) != 0) return fail(Errc::io, "SIGCONT to etcd failed");
      } else if (process_status(*etcd) != ProcessStatus::running) {
        if (auto r = respawn(*etcd); !r) return r;
      }
    }
    std::string pids;
    for (const auto& m : members) {
      const ProcessRecord* etcd = find_etcd(state, m.netns);
      if (auto r = wait_etcd_healthy(m.netns, 15s, 0, etcd->log, m.address); !r) return r;
      pids += (pids.empty() ? "" : ", ") + std::to_string(etcd->pid);
    }
    say("heal: " + f.target + (f.detail == "SIGSTOP" ? " resumed with SIGCONT" : " started again") + " (pid " + pids +
        ") and healthy");
    return {};
  }
  if (f.kind == "kill-weftd") {
    ProcessRecord* weftd = state.agent(f.target);
    if (!weftd) return fail(Errc::not_found, "the lab runs no weftd on ", f.target);
    if (process_status(*weftd) != ProcessStatus::running) {
      if (auto r = respawn(*weftd); !r) return r;
    }
    say("heal: weftd on " + f.target + " started again (pid " + std::to_string(weftd->pid) + ")");
    return {};
  }
  if (f.kind == "partition") {
    LAB_RESULT_TRY(host, lab_host(state, f.target));
    if (auto r = lab_ip(segment_netns(*host), {"link", "set", host->switch_port, "master", "br0"}); !r) return r;
    say("heal: " + f.target + " is back on the underlay");
    return {};
  }
  if (f.kind == "router-down") {
    if (auto r = delete_fault_table(std::string(kRouterNetns)); !r) return r;
    say("heal: the router forwards between segments again");
    return {};
  }
  if (f.kind == "delay") {
    LAB_RESULT_TRY(host, lab_host(state, f.target));
    if (f.detail.find("netem") != std::string::npos) {
      auto r = run_checked(Command{.argv = {"tc", "-n", host->netns, "qdisc", "del", "dev", "eth0", "root"}}, 10s);
      if (!r) return std::unexpected(r.error());
    }
    if (f.detail.find("loss") != std::string::npos) {
      if (auto r = delete_fault_table(host->netns); !r) return r;
    }
    say("heal: " + f.target + "'s eth0 has no delay or loss any more");
    return {};
  }
  return fail(Errc::corrupt, "lab.json records an unknown fault '", f.kind, "'");
}

// Heals the faults `which` selects, newest first; each one leaves the state file as soon as it is
// undone. Returns the exit code.
int heal_faults(const std::string& state_dir, const std::function<bool(const FaultRecord&)>& which) {
  auto state = load_existing_lab(state_dir);
  if (!state) return report(state.error());
  const LabLock lock;
  int healed = 0;
  for (auto it = state->faults.rbegin(); it != state->faults.rend(); ++it) {
    if (!which(*it)) continue;
    const FaultRecord fault = *it;
    auto fresh = load_existing_lab(state_dir);  // changed since by a command that held the lock
    if (!fresh) return report(fresh.error());
    if (auto r = heal(*fresh, fault); !r) return report(wrap(r.error(), "healing " + fault.kind + " " + fault.target).error());
    std::erase_if(fresh->faults, [&](const FaultRecord& f) { return f.kind == fault.kind && f.target == fault.target; });
    if (auto r = save_state(*fresh); !r) return report(r.error());
    ++healed;
  }
  if (healed == 0) say("heal: no fault to undo");
  return exit_ok;
}

int list_faults(const std::string& state_dir, Context& ctx) {
  auto state = load_existing_lab(state_dir);
  if (!state) return report(state.error());
  if (ctx.json()) {
    Json out = Json::array();
    for (const auto& f : state->faults) {
      out.push_back({{"kind", f.kind}, {"target", f.target}, {"sinceMs", f.since_ms}, {"detail", f.detail}});
    }
    std::cout << out.dump(2) << '\n';
    return exit_ok;
  }
  if (state->faults.empty()) std::cout << "no fault in place\n";
  for (const auto& f : state->faults) {
    std::cout << f.kind << " " << f.target << " since " << clock_text(f.since_ms) << " (" << f.detail << ")\n";
  }
  return exit_ok;
}

}  // namespace

Result<std::chrono::milliseconds> parse_fault_duration(std::string_view text) {
  size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  if (digits == 0 || digits > 9) return fail(Errc::invalid_argument, "duration '", std::string(text), "': expected N[ms|s|m]");
  const int64_t n = std::stoll(std::string(text.substr(0, digits)));
  const std::string_view unit = text.substr(digits);
  if (unit == "ms") return std::chrono::milliseconds(n);
  if (unit.empty() || unit == "s") return std::chrono::milliseconds(n * 1000);
  if (unit == "m") return std::chrono::milliseconds(n * 60'000);
  return fail(Errc::invalid_argument, "duration '", std::string(text), "': unit must be ms, s or m");
}

int fault(const std::string& state_dir, const FaultOptions& options, Context& ctx) {
  if (options.kind == "list") return list_faults(state_dir, ctx);
  if (options.kind == "heal") return heal_faults(state_dir, [](const FaultRecord&) { return true; });
  std::optional<FaultRecord> record;
  {
    const LabLock lock;  // not held during --for: other lab commands run meanwhile
    auto state = load_existing_lab(state_dir);
    if (!state) return report(state.error());
    auto applied = apply(*state, options);
    if (!applied) return report(applied.error());
    record = *applied;
    if (!record->kind.empty()) state->faults.push_back(*record);
    if (auto r = save_state(*state); !r) return report(r.error());
  }
  if (record->kind.empty() || options.duration.count() == 0) return exit_ok;
  say("holding for " + std::to_string(options.duration.count()) + " ms");
  std::this_thread::sleep_for(options.duration);
  const FaultRecord mine = *record;
  return heal_faults(state_dir, [&](const FaultRecord& f) { return f.kind == mine.kind && f.target == mine.target; });
}

#undef LAB_RESULT_TRY

}  // namespace weft::cli::lab
