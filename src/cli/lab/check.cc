// weft lab check: every pod pings every other pod (IPv4, and IPv6 where both have an address),
// `ping -c 1 -W 1` run inside the source pod, at most 16 at a time; a failed pair is tried once
// more before it counts as failed (a first packet may be spent resolving a neighbour). Pairs the
// mode cannot connect by design are reported as n/a with the reason, never as failures; the exit
// code is 0 only if every other pair is connected.
#include <unistd.h>

#include <algorithm>
#include <iostream>
#include <map>

#include "cli/lab/commands.h"
#include "cli/lab/processes.h"
#include "cli/table.h"

namespace weft::cli::lab {
namespace {

constexpr int kParallelPings = 16;

struct Pair {
  const PodRecord* from;
  const PodRecord* to;
  bool v6;
  std::string address;
  bool expected = true;
  std::string reason;  // why not expected
  bool ok = false;
  int attempts = 0;
};

std::optional<std::string> address_of(const PodRecord& pod, bool v6) {
  for (const auto& a : pod.addresses) {
    if ((a.find(':') != std::string::npos) == v6) return a;
  }
  return std::nullopt;
}

void print_matrix(const std::vector<Pair>& pairs, const std::vector<PodRecord>& pods, bool v6) {
  std::map<std::pair<std::string, std::string>, const Pair*> cell;
  std::vector<std::string> names;
  for (const auto& p : pods) {
    if (address_of(p, v6)) names.push_back(p.name);
  }
  if (names.empty()) return;
  for (const auto& p : pairs) {
    if (p.v6 == v6) cell[{p.from->name, p.to->name}] = &p;
  }
  std::vector<std::string> header{v6 ? "IPv6 from\\to" : "IPv4 from\\to"};
  header.insert(header.end(), names.begin(), names.end());
  Table table(header);
  for (const auto& from : names) {
    std::vector<std::string> row{from};
    for (const auto& to : names) {
      auto it = cell.find({from, to});
      if (from == to || it == cell.end()) {
        row.push_back(".");
      } else {
        const Pair& p = *it->second;
        row.push_back(!p.expected ? "n/a" : p.ok ? "ok" : "--");
      }
    }
    table.add(std::move(row));
  }
  table.print(std::cout);
  std::cout << '\n';
}

}  // namespace

int check(const std::string& state_dir, Context& ctx) {
  if (::geteuid() != 0) {
    return report(Error{Errc::invalid_argument, "weft lab check needs root (it enters the pods' namespaces)"});
  }
  auto state = load_existing_lab(state_dir);
  if (!state) return report(state.error());
  if (state->pods.size() < 2) {
    return report(Error{Errc::not_found, "the lab has " + std::to_string(state->pods.size()) +
                                             " pod(s): nothing to check (phase " + state->phase + ")"});
  }
  auto ping = find_program("ping");
  if (!ping) return report(Error{Errc::not_found, "ping not found (install iputils-ping)"});

  std::vector<Pair> pairs;
  for (const auto& from : state->pods) {
    for (const auto& to : state->pods) {
      if (&from == &to) continue;
      for (bool v6 : {false, true}) {
        auto src = address_of(from, v6);
        auto dst = address_of(to, v6);
        if (!src || !dst) continue;
        Pair p{.from = &from, .to = &to, .v6 = v6, .address = *dst};
        const Host* a = state->host(from.host);
        const Host* b = state->host(to.host);
        if (a == nullptr || b == nullptr) {
          p.expected = false;
          p.reason = "unknown host";
        } else {
          p.expected = mode_connects(state->mode, state->options.router, state->agents, *a, *b, &p.reason, v6);
        }
        pairs.push_back(std::move(p));
      }
    }
  }

  for (int round = 0; round < 2; ++round) {
    std::vector<Job> jobs;
    std::vector<Pair*> asked;
    for (auto& p : pairs) {
      if (!p.expected || p.ok) continue;
      jobs.push_back(Job{{*ping, "-n", "-q", "-c", "1", "-W", "1", p.address}, p.from->netns});
      asked.push_back(&p);
    }
    if (jobs.empty()) break;
    auto codes = run_jobs(jobs, kParallelPings);
    for (size_t i = 0; i < asked.size(); ++i) {
      asked[i]->attempts++;
      asked[i]->ok = codes[i] == 0;
    }
  }

  int expected = 0, connected = 0, failed = 0, na = 0;
  std::map<std::string, int> reasons;
  for (const auto& p : pairs) {
    if (!p.expected) {
      ++na;
      reasons[p.reason]++;
    } else {
      ++expected;
      (p.ok ? connected : failed)++;
    }
  }
  const bool all_ok = failed == 0;

  if (ctx.json()) {
    Json out{{"pairs", Json::array()}};
    for (const auto& p : pairs) {
      Json j{{"from", p.from->name}, {"to", p.to->name}, {"family", p.v6 ? "ipv6" : "ipv4"},
             {"address", p.address}, {"expected", p.expected}, {"ok", p.ok}, {"attempts", p.attempts}};
      if (!p.expected) j["reason"] = p.reason;
      out["pairs"].push_back(std::move(j));
    }
    out["summary"] = Json{{"mode", std::string(to_string(state->mode))}, {"pairs", pairs.size()},
                          {"expected", expected}, {"connected", connected}, {"failed", failed},
                          {"notApplicable", na}, {"ok", all_ok}};
    std::cout << out.dump(2) << '\n';
  } else {
    print_matrix(pairs, state->pods, false);
    print_matrix(pairs, state->pods, true);
    std::cout << "ok: connected, --: NOT connected, n/a: the mode cannot connect them, .: same pod\n";
    for (const auto& [reason, count] : reasons) std::cout << "n/a (" << reason << "): " << count << " pair(s)\n";
    for (const auto& p : pairs) {
      if (p.expected && !p.ok) {
        std::cout << "FAILED " << p.from->name << " -> " << p.to->name << " (" << p.address << ")\n";
      }
    }
    std::cout << (all_ok ? "check passed: " : "check FAILED: ") << connected << "/" << expected
              << " expected pairs connected, " << na << " n/a (mode " << to_string(state->mode) << ")\n";
  }
  return all_ok ? exit_ok : exit_error;
}

}  // namespace weft::cli::lab
