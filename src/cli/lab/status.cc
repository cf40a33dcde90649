// weft lab status: the lab's hosts (with the blocks the store says they hold and whether their
// weftd runs) and pods, as a table or JSON.
#include <unistd.h>

#include <iostream>

#include "cli/lab/cni_pods.h"
#include "cli/lab/commands.h"
#include "cli/lab/processes.h"
#include "cli/table.h"

namespace weft::cli::lab {
namespace {

std::vector<std::string> host_blocks(const StoreSnapshot* snapshot, const std::string& host) {
  std::vector<std::string> out;
  if (snapshot == nullptr) return out;
  auto it = snapshot->blocks.find(host);
  if (it == snapshot->blocks.end()) return out;
  for (auto pool : {kPoolV4, kPoolV6}) {
    auto p = it->second.find(std::string(pool));
    if (p == it->second.end()) continue;
    for (const auto& b : p->second) out.push_back(b.to_string());
  }
  for (const auto& [pool, blocks] : it->second) {
    if (pool == kPoolV4 || pool == kPoolV6) continue;
    for (const auto& b : blocks) out.push_back(b.to_string());
  }
  return out;
}


std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : " ") + i;
  return out;
}

}  // namespace

Json status_json(const LabState& state, const StoreSnapshot* snapshot) {
  Json out{{"store", state.store},
           {"mode", std::string(to_string(state.mode))},
           {"stateDir", state.state_dir},
           {"phase", state.phase},
           {"agents", state.agents},
           {"storeReadable", snapshot != nullptr},
           {"hosts", Json::array()},
           {"pods", Json::array()}};
  if (const auto* etcd = state.etcd()) {
    out["etcd"] = Json{{"netns", etcd->netns}, {"pid", etcd->pid},
                       {"running", process_status(*etcd) == ProcessStatus::running}};
  }
  for (const auto& h : state.hosts) {
    Json host{{"name", h.name},
              {"netns", h.netns},
              {"segment", h.segment},
              {"underlay", h.underlay},
              {"blocks", host_blocks(snapshot, h.name)},
              {"agentPid", nullptr},
              {"agentRunning", false},
              {"cniConfig", cni_conflist_path(state, h)}};
    if (const auto* agent = state.agent(h.name)) {
      host["agentPid"] = agent->pid;
      host["agentRunning"] = process_status(*agent) == ProcessStatus::running;
    }
    out["hosts"].push_back(std::move(host));
  }
  for (const auto& p : state.pods) {
    out["pods"].push_back(Json{{"name", p.name}, {"netns", p.netns}, {"host", p.host},
                               {"hostVeth", p.host_veth}, {"addresses", p.addresses}});
  }
  return out;
}

int status(const std::string& state_dir, Context& ctx) {
  auto state = load_state(state_dir);
  if (!state) {
    if (state.error().code == Errc::not_found) {
      return report(Error{Errc::not_found, "no lab at " + state_dir + " (start one with `weft lab up`)"});
    }
    return report(state.error());
  }
  std::optional<StoreSnapshot> snapshot;
  const auto* etcd = state->etcd();
  if (::geteuid() != 0) {
    std::cerr << "weft: warning: not root: the store cannot be read from inside the lab\n";
  } else if (etcd != nullptr && process_status(*etcd) == ProcessStatus::running) {
    auto snap = read_snapshot();
    if (snap) {
      snapshot = std::move(*snap);
    } else {
      std::cerr << "weft: warning: cannot read the lab's store: " << snap.error().message << '\n';
    }
  } else {
    std::cerr << "weft: warning: the lab's etcd is not running\n";
  }
  const StoreSnapshot* snap = snapshot ? &*snapshot : nullptr;
  Json json = status_json(*state, snap);
  if (ctx.json()) {
    std::cout << json.dump(2) << '\n';
    return exit_ok;
  }
  std::cout << "lab: mode " << to_string(state->mode) << ", store " << state->store << ", phase "
            << (state->phase.empty() ? "?" : state->phase) << ", state " << state->state_dir << '\n';
  if (json.contains("etcd")) {
    std::cout << "etcd: pid " << json["etcd"]["pid"].get<int>() << ' '
              << (json["etcd"]["running"].get<bool>() ? "running" : "NOT RUNNING") << " in " << kEtcdNetns << "\n";
  }
  std::cout << '\n';
  Table hosts({"HOST", "NETNS", "SEGMENT", "UNDERLAY", "BLOCKS", "AGENT"});
  for (const auto& h : json["hosts"]) {
    std::string agent = !state->agents                     ? "none (--no-agent)"
                        : h["agentPid"].is_null()          ? "not started"
                        : std::to_string(h["agentPid"].get<int>()) +
                              (h["agentRunning"].get<bool>() ? " running" : " NOT RUNNING");
    std::vector<std::string> blocks = h["blocks"].get<std::vector<std::string>>();
    hosts.add({h["name"].get<std::string>(), h["netns"].get<std::string>(), std::to_string(h["segment"].get<int>()),
               h["underlay"].get<std::string>(),
               snap == nullptr ? "?" : blocks.empty() ? "-" : join(blocks), agent});
  }
  hosts.print(std::cout);
  if (!state->pods.empty()) {
    std::cout << '\n';
    Table pods({"POD", "NETNS", "HOST", "VETH", "ADDRESSES"});
    for (const auto& p : state->pods) pods.add({p.name, p.netns, p.host, p.host_veth, join(p.addresses)});
    pods.print(std::cout);
  } else {
    std::cout << "\nno pods\n";
  }
  return exit_ok;
}

}  // namespace weft::cli::lab
