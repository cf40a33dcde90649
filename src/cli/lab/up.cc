// weft lab up: namespaces and underlay, etcd, pools, one weftd per host, pods; recorded in
// <state-dir>/lab.json before each step so that `weft lab down` can always remove what exists.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <set>
#include <thread>

#include "cli/lab/cni_pods.h"
#include "cli/lab/commands.h"
#include "cli/lab/fabric_router.h"
#include "cli/lab/pod_wiring.h"
#include "cli/lab/processes.h"
#include "cli/lab/underlay.h"
#include "model/bgp_config.h"

namespace weft::cli::lab {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

// The weftd binary: --weftd, else $WEFT_WEFTD, else <dir of weft>/../agent/weftd (the build
// tree's layout), else weftd on PATH. `looked` lists what was tried, for the error message.
std::optional<std::string> resolve_weftd(const std::string& flag, std::vector<std::string>& looked) {
  if (!flag.empty()) {
    looked.push_back("--weftd " + flag);
    return find_program(flag);
  }
  if (const char* env = std::getenv("WEFT_WEFTD"); env != nullptr && *env != '\0') {
    looked.push_back("$WEFT_WEFTD=" + std::string(env));
    return find_program(env);
  }
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const fs::path candidate = (self.parent_path() / ".." / "agent" / "weftd").lexically_normal();
    looked.push_back(candidate.string());
    if (::access(candidate.c_str(), X_OK) == 0) return candidate.string();
  }
  looked.push_back("weftd on PATH");
  return find_program("weftd");
}

std::string join(const std::vector<std::string>& items, std::string_view sep) {
  std::string out;
  for (const auto& i : items) {
    if (!out.empty()) out += sep;
    out += i;
  }
  return out;
}

class Builder {
 public:
  Builder(const UpOptions& options, Context& ctx, Mode mode, Topology topology)
      : options_(options), ctx_(ctx), topology_(std::move(topology)) {
    state_.state_dir = options.state_dir;
    state_.mode = mode;
    state_.options = options.topology;
    state_.store = topology_.store_url();
    state_.agents = !options.no_agent;
    state_.namespaces = topology_.namespaces();
    state_.hosts = topology_.hosts;
  }

  int run() {
    if (auto r = save(); !r) return report(r.error());
    if (auto r = build(); !r) {
      std::cerr << "weft: " << r.error().message << '\n'
                << "weft: the lab is partly built (state in " << options_.state_dir
                << "); `weft lab down` removes it\n";
      return exit_error;
    }
    return exit_ok;
  }

 private:
  Result<void> save() { return save_state(state_); }

  void progress(const std::string& line) {
    if (!ctx_.json()) std::cout << line << std::endl;
  }

  Result<void> build() {
    progress("namespaces: router, etcd, " + std::to_string(topology_.segments.size()) + " segment(s), " +
             std::to_string(topology_.hosts.size()) + " host(s)");
    state_.phase = "underlay";
    if (auto r = save(); !r) return r;
    std::set<std::string> pod_namespaces;  // made with the pods, as a runtime would
    for (const auto& p : topology_.pods) pod_namespaces.insert(p.netns);
    for (const auto& ns : state_.namespaces) {
      if (pod_namespaces.contains(ns)) continue;
      if (auto r = create_netns(ns); !r) return r;
    }
    if (auto r = configure_router_netns(); !r) return r;
    for (const auto& h : topology_.hosts) {
      if (auto r = configure_host_netns(h); !r) return r;
    }
    if (auto r = build_underlay(topology_); !r) return r;

    // Every member first: a cluster answers /health only once a quorum runs.
    std::vector<ProcessRecord> members;
    for (const auto& m : topology_.etcd) {
      auto etcd = start_etcd(options_.state_dir, topology_.etcd, m);
      if (!etcd) return std::unexpected(etcd.error());
      state_.processes.push_back(*etcd);
      members.push_back(*etcd);
      if (auto r = save(); !r) return r;
    }
    for (size_t i = 0; i < members.size(); ++i) {
      const auto& m = topology_.etcd[i];
      if (auto r = wait_etcd_healthy(m.netns, 15s, members[i].pid, members[i].log, m.address); !r) return r;
    }
    for (const auto& h : topology_.hosts) {
      for (const auto& m : topology_.etcd) {
        if (auto r = wait_etcd_healthy(h.netns, 3s, 0, "", m.address); !r) {
          return wrap(r.error(), "underlay: " + h.name + " cannot reach etcd through the router");
        }
      }
    }
    progress("underlay: every host reaches etcd (" + state_.store + ") through the router");

    if (auto r = create_pools(state_.mode); !r) return r;
    progress("pools: " + std::string(kPoolV4) + " " + std::string(kPoolV4Cidr) + " /" +
             std::to_string(kPoolV4BlockLength) + ", " + std::string(kPoolV6) + " " + std::string(kPoolV6Cidr) +
             " /" + std::to_string(kPoolV6BlockLength) + ", encapsulation " +
             std::string(pool_encapsulation(state_.mode)) + "/" + std::string(pool_encapsulate(state_.mode)) +
             ", routes " + std::string(pool_routes(state_.mode)));
    if (state_.options.router == Router::bgp) {
      if (auto r = start_router_bgp(); !r) return r;
    }

    if (options_.no_agent) {
      if (auto r = reserve_blocks(topology_.hosts); !r) return r;
      progress("agents: none (--no-agent); one block of each pool reserved per host");
    } else {
      std::vector<std::string> looked;
      auto weftd = resolve_weftd(options_.weftd, looked);
      if (!weftd) {
        return fail(Errc::not_found, "weftd not found (looked at: ", join(looked, ", "),
                    "). The underlay, etcd and the pools are up; agents and pods are not. Build weftd or "
                    "pass --weftd PATH, then run `weft lab up` again (it replaces this lab)");
      }
      state_.weftd = *weftd;
      if (auto r = start_agents(*weftd); !r) return r;
    }

    auto snapshot = wait_for_blocks();
    if (!snapshot) return std::unexpected(snapshot.error());
    if (auto r = make_pods(*snapshot); !r) return r;
    if (state_.agents && pool_routes(state_.mode) == "bgp") {
      if (auto r = wait_for_bgp(); !r) return r;
    }
    state_.phase = "ready";
    if (auto r = save(); !r) return r;

    if (ctx_.json()) {
      std::cout << status_json(state_, &*snapshot).dump(2) << '\n';
    } else {
      std::cout << "lab up: mode " << to_string(state_.mode) << ", " << topology_.hosts.size() << " host(s) on "
                << topology_.segments.size() << " segment(s), " << state_.pods.size() << " pod(s), store "
                << state_.store << ", state in " << options_.state_dir << "\n"
                << "  weft lab status            hosts, blocks, agents and pods\n"
                << "  weft lab check             every pod pings every other pod\n"
                << "  weft lab exec NAME -- CMD  run CMD in a namespace (h1, h1-p1, router, etcd)\n"
                << "  weft lab down              remove the lab\n";
    }
    return {};
  }

  // BIRD in the router namespace and one peer per host in the store, before any weftd starts (so
  // that every weftd opens its router session at once).
  Result<void> start_router_bgp() {
    if (auto r = configure_fabric_bgp(topology_, node_mesh(state_.mode)); !r) return r;
    auto bird = start_fabric_router(options_.state_dir, topology_);
    if (!bird) return std::unexpected(bird.error());
    state_.processes.push_back(*bird);
    if (auto r = save(); !r) return r;
    progress("router: BIRD reflects the hosts' routes (iBGP, AS " + std::to_string(model::kDefaultAsNumber) +
             (node_mesh(state_.mode) ? ", node mesh on" : ", node mesh off") + "); `weft lab exec router -- birdc -s " +
             fabric_dir(options_.state_dir) + "/bird.ctl show route`");
    return {};
  }

  Result<void> start_agents(const std::string& weftd) {
    for (const auto& h : topology_.hosts) {
      const std::string dir = options_.state_dir + "/" + h.name;
      std::error_code ec;
      fs::create_directories(dir, ec);
      if (ec) return fail(Errc::io, "cannot create ", dir, ": ", ec.message());
      std::vector<std::string> argv{weftd,
                                    "--store", state_.store,
                                    "--node-name", h.name,
                                    "--interface", "eth0",
                                    "--state-dir", dir,
                                    "--socket", dir + "/weftd.sock",
                                    "--metrics-address", "127.0.0.1:9099",
                                    "--bpf-dir", std::string(kBpfDir) + "/" + h.name,
                                    "--lease-ttl", std::to_string(options_.lease_ttl)};
      for (const auto& label : host_labels(state_.mode, h.index)) {
        argv.push_back("--label");
        argv.push_back(label);
      }
      auto record = spawn_daemon("weftd", h.netns, argv, dir + "/weftd.log");
      if (!record) return wrap(record.error(), "starting weftd on " + h.name);
      record->host = h.name;
      state_.processes.push_back(*record);
      if (auto r = save(); !r) return r;
    }
    state_.phase = "agents";
    if (auto r = save(); !r) return r;
    progress("agents: weftd started on " + std::to_string(topology_.hosts.size()) + " host(s) (" + weftd + ")");
    return {};
  }

  // Waits until every host reports all the BGP sessions its mode gives it as Established.
  Result<void> wait_for_bgp() {
    const auto start = std::chrono::steady_clock::now();
    const auto deadline = start + options_.agent_timeout;
    const int hosts = static_cast<int>(topology_.hosts.size());
    std::string missing;
    for (;;) {
      auto sessions = read_bgp_sessions();
      if (sessions) {
        int total = 0;
        std::vector<std::string> lacking;
        for (const auto& h : topology_.hosts) {
          const int want = bgp_sessions_of(state_.mode, state_.options.router, hosts, h.index);
          auto it = sessions->find(h.name);
          if (it == sessions->end() || it->second.first != want || it->second.second != want) {
            lacking.push_back(h.name + " (" + (it == sessions->end() ? "no status" : std::to_string(it->second.first) + "/" + std::to_string(want)) + ")");
          }
          total += want;
        }
        if (lacking.empty()) {
          const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
          progress("bgp: " + std::to_string(total) + " session ends Established (after " + std::to_string(ms.count()) +
                   " ms)");
          return {};
        }
        missing = "sessions not Established on " + join(lacking, ", ");
      } else {
        missing = sessions.error().message;
      }
      if (std::chrono::steady_clock::now() >= deadline) {
        return fail(Errc::unavailable, "BGP did not come up within ", std::to_string(options_.agent_timeout.count()),
                    " s: ", missing, " (see `weft bgp status`, logs in ", options_.state_dir, "/hN/weftd.log)");
      }
      std::this_thread::sleep_for(100ms);
    }
  }

  // Waits until every host's node is registered and holds a block of the IPv4 pool; then gives
  // IPv6 blocks a moment more (a host without one gets IPv4-only pods).
  Result<StoreSnapshot> wait_for_blocks() {
    const auto deadline = std::chrono::steady_clock::now() + options_.agent_timeout;
    std::optional<std::chrono::steady_clock::time_point> v6_deadline;
    std::string missing;
    for (;;) {
      for (const auto& p : state_.processes) {
        int code = 0;
        if (p.role == "weftd" && child_exited(p.pid, &code)) {
          return fail(Errc::internal, "weftd on ", p.host, " exited with code ", std::to_string(code),
                      "; the end of ", p.log, ":\n", tail_file(p.log));
        }
      }
      auto snap = read_snapshot();
      if (snap) {
        std::vector<std::string> lacking, lacking_v6;
        for (const auto& h : topology_.hosts) {
          const bool node_ok = !state_.agents || snap->nodes.contains(h.name);
          if (!node_ok || snap->block(h.name, kPoolV4) == nullptr) lacking.push_back(h.name);
          if (snap->block(h.name, kPoolV6) == nullptr) lacking_v6.push_back(h.name);
        }
        if (lacking.empty()) {
          if (lacking_v6.empty()) return *snap;
          if (!v6_deadline) v6_deadline = std::chrono::steady_clock::now() + 2s;
          if (std::chrono::steady_clock::now() >= *v6_deadline) {
            progress("note: no block of " + std::string(kPoolV6) + " on " + join(lacking_v6, ", ") +
                     ": their pods are IPv4 only");
            return *snap;
          }
        }
        missing = lacking.empty() ? "" : "no node record or no " + std::string(kPoolV4) + " block yet for " +
                                             join(lacking, ", ");
      } else {
        missing = snap.error().message;
      }
      if (std::chrono::steady_clock::now() >= deadline) {
        return fail(Errc::unavailable, "the agents did not register within ",
                    std::to_string(options_.agent_timeout.count()), " s: ", missing,
                    " (logs: ", options_.state_dir, "/hN/weftd.log)");
      }
      std::this_thread::sleep_for(250ms);
    }
  }

  // With agents, pods are made through weft-cni, exactly as a runtime makes them: weftd hands out
  // the addresses and the plugin wires the pod. Without agents (--no-agent) or without the plugin,
  // the lab wires them itself from the block (pod_wiring.h).
  Result<void> make_pods(const StoreSnapshot& snap) {
    if (state_.agents) {
      if (auto plugin = resolve_cni(state_.weftd)) return make_pods_with_cni(*plugin);
      progress("note: weft-cni not found; the lab wires pods itself");
    }
    return wire_pods(snap);
  }

  Result<void> make_pods_with_cni(const std::string& plugin) {
    // weftd opens its IPAM socket after its first reconcile (it then knows the workload MTU).
    const auto deadline = std::chrono::steady_clock::now() + options_.agent_timeout;
    for (const auto& h : state_.hosts) {
      const std::string socket = options_.state_dir + "/" + h.name + "/weftd.sock";
      while (!fs::exists(socket)) {
        if (std::chrono::steady_clock::now() >= deadline) {
          return fail(Errc::unavailable, "weftd on ", h.name, " did not open its IPAM socket ", socket);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
      if (auto r = write_conflist(cni_conflist_path(state_, h), socket); !r) return r;
    }
    for (const auto& slot : topology_.pods) {
      const Host* host = state_.host(slot.host);
      if (auto r = create_netns(slot.netns); !r) return r;
      if (auto r = configure_pod_netns(slot.netns); !r) return r;
      auto attachment = cni_add(plugin, cni_conflist_path(state_, *host), host->netns, slot.name, slot.netns,
                                PodIdentity{.pod_name = slot.name});
      if (!attachment) return wrap(attachment.error(), "pod " + slot.name);
      PodRecord pod{.name = slot.name, .netns = slot.netns, .host = slot.host, .host_veth = attachment->host_veth};
      pod.container_id = slot.name;
      pod.addresses = attachment->addresses;
      state_.pods.push_back(std::move(pod));
    }
    state_.phase = "pods";
    if (auto r = save(); !r) return r;
    progress("pods: " + std::to_string(state_.pods.size()) + " created through weft-cni (" + plugin + ")");
    return {};
  }

  Result<void> wire_pods(const StoreSnapshot& snap) {
    const int mtu = pod_mtu(state_.mode);
    for (const auto& slot : topology_.pods) {
      PodRecord pod{.name = slot.name, .netns = slot.netns, .host = slot.host, .host_veth = slot.host_veth};
      pod.container_id = slot.name;
      PodWiring wiring{.pod_netns = slot.netns,
                       .host_netns = netns_for(slot.host),
                       .host_veth = slot.host_veth,
                       .mtu = mtu};
      for (auto pool : {kPoolV4, kPoolV6}) {
        const Prefix* block = snap.block(slot.host, pool);
        if (block == nullptr) continue;
        auto address = pod_address(*block, slot.slot);
        if (!address) return std::unexpected(address.error());
        wiring.addresses.push_back(*address);
        pod.addresses.push_back(address->to_string());
      }
      if (auto r = create_netns(slot.netns); !r) return r;
      if (auto r = configure_pod_netns(slot.netns); !r) return r;
      if (auto r = wire_pod(wiring); !r) return wrap(r.error(), "wiring pod " + slot.name);
      state_.pods.push_back(std::move(pod));
    }
    state_.phase = "pods";
    if (auto r = save(); !r) return r;
    progress("pods: " + std::to_string(state_.pods.size()) + " wired, MTU " + std::to_string(mtu));
    return {};
  }

  const UpOptions& options_;
  Context& ctx_;
  Topology topology_;
  LabState state_;
};

}  // namespace

int up(const UpOptions& options, Context& ctx) {
  if (::geteuid() != 0) return report(Error{Errc::invalid_argument, "weft lab needs root (network namespaces)"});
  auto mode = parse_mode(options.mode);
  if (!mode) return report(mode.error());
  auto router = parse_router(options.router);
  if (!router) return report(router.error());
  if (auto r = validate_router(*mode, *router); !r) return report(r.error());
  UpOptions resolved = options;
  resolved.topology.router = *router;
  auto topology = plan_topology(resolved.topology);
  if (!topology) return report(topology.error());
  for (const char* tool : {"ip", "etcd"}) {
    if (!find_program(tool)) {
      return report(Error{Errc::not_found, std::string(tool) + " not found (weft lab needs iproute2 and etcd)"});
    }
  }
  if (*router == Router::bgp && !find_program("/usr/sbin/bird")) {
    return report(Error{Errc::not_found, "/usr/sbin/bird not found: --router bgp runs BIRD 2 (apt install bird2)"});
  }

  const std::string& dir = options.state_dir;
  std::error_code ec;
  if (fs::exists(state_file(dir), ec) || !lab_namespaces().empty()) {
    if (!ctx.json()) std::cout << "a previous lab exists: removing it first" << std::endl;
    if (int rc = down(dir, ctx, true); rc != exit_ok) return rc;
  }
  if (fs::exists(dir, ec) && !fs::is_empty(dir, ec)) {
    return report(Error{Errc::already_exists,
                        "state directory " + dir + " is not empty and holds no lab; choose another --state-dir"});
  }
  fs::create_directories(dir, ec);
  if (ec) return report(Error{Errc::io, "cannot create " + dir + ": " + ec.message()});
  const std::string absolute = fs::absolute(dir, ec).lexically_normal().string();

  resolved.state_dir = absolute;
  Builder builder(resolved, ctx, *mode, std::move(*topology));
  return builder.run();
}

}  // namespace weft::cli::lab
