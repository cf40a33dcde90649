// weft lab up|down|status|exec|check|ipam-check|pod|fault|bench: a whole weft cluster on this machine, in network
// namespaces (DESIGN.md "The lab"). The commands live in their own files; this one parses.

#include <iostream>

#include "cli/context.h"
#include "cli/lab/bench.h"
#include "cli/lab/commands.h"

namespace weft::cli {
namespace {

// The lab lock (lab_state.h) for the whole of a short command: released when the process exits.
void lock_lab() { static lab::LabLock lock; }

}  // namespace

void add_lab_commands(CLI::App& app, Context& ctx, int& exit_code) {
  auto* lab_cmd = app.add_subcommand("lab", "a whole weft cluster on this machine, in network namespaces");
  lab_cmd->require_subcommand(1);
  lab_cmd->fallthrough();  // --state-dir may follow the subcommand

  auto state_dir = std::make_shared<std::string>(lab::kDefaultStateDir);
  lab_cmd->add_option("--state-dir", *state_dir, "where the lab keeps its state, logs and etcd data")
      ->capture_default_str();

  auto up_options = std::make_shared<lab::UpOptions>();
  auto* up = lab_cmd->add_subcommand(
      "up", "build the lab: underlay, etcd, pools, weftd on every host, pods (replaces a previous lab)");
  up->add_option("--hosts", up_options->topology.hosts, "number of hosts")->capture_default_str();
  up->add_option("--segments", up_options->topology.segments, "L2 segments; hosts are spread round-robin")
      ->capture_default_str();
  up->add_option("--mode", up_options->mode,
                 "direct, vxlan, vxlan-cross-subnet, bgp (full mesh), bgp-rr (h1 reflects), ipip, ipip-cross-subnet, "
                 "bgp-ipip-cross-subnet or bgp-node-mesh-off (only the fabric router carries routes; needs --router bgp)")
      ->check(CLI::IsMember({"direct", "vxlan", "vxlan-cross-subnet", "bgp", "bgp-rr", "ipip", "ipip-cross-subnet",
                             "bgp-ipip-cross-subnet", "bgp-node-mesh-off"}))
      ->capture_default_str();
  up->add_option("--router", up_options->router,
                 "the router between the segments: plain (IP forwarding only) or bgp (BIRD as the hosts' iBGP route "
                 "reflector, installing every pod block: routed modes cross segments without a tunnel)")
      ->check(CLI::IsMember({"plain", "bgp"}))
      ->capture_default_str();
  up->add_option("--pods-per-host", up_options->topology.pods_per_host, "pods on every host")
      ->capture_default_str();
  up->add_option("--etcd-members", up_options->topology.etcd_members,
                 "etcd members, each in its own namespace (1, 3 or 5); weftd and the CLI get every endpoint")
      ->check(CLI::IsMember({1, 3, 5}))
      ->capture_default_str();
  up->add_option("--lease-ttl", up_options->lease_ttl,
                 "seconds a host's node lease outlives its weftd: a host cut off longer loses its blocks")
      ->check(CLI::Range(5, 86400))
      ->capture_default_str();
  up->add_option("--weftd", up_options->weftd,
                 "weftd binary (default: $WEFT_WEFTD, <dir of weft>/../agent/weftd, weftd on PATH)");
  // For testing the lab itself before weftd exists: no agents; one block of each pool is reserved
  // per host and the pods are wired from it, so only pods on the same host can reach each other.
  up->add_flag("--no-agent", up_options->no_agent, "")->group("");
  up->callback([&ctx, &exit_code, up_options, state_dir] {
    up_options->state_dir = *state_dir;
    lock_lab();
    exit_code = lab::up(*up_options, ctx);
  });

  lab_cmd->add_subcommand("down", "stop the lab's processes, delete its namespaces and state")
      ->callback([&ctx, &exit_code, state_dir] {
        lock_lab();
        exit_code = lab::down(*state_dir, ctx);
      });

  lab_cmd->add_subcommand("status", "hosts (blocks, agent) and pods")
      ->callback([&ctx, &exit_code, state_dir] { exit_code = lab::status(*state_dir, ctx); });

  auto check_options = std::make_shared<lab::CheckOptions>();
  auto timeout_ms = std::make_shared<int>(static_cast<int>(check_options->timeout.count()));
  auto* check = lab_cmd->add_subcommand(
      "check", "every pod pings every other pod (exit 0 if all the mode can connect are); with --tcp/--udp: "
               "a listener on those ports in every pod and the allowed/blocked matrix of real connections");
  check->add_option("--tcp", check_options->tcp, "TCP ports to probe (80,81)")->delimiter(',')->check(CLI::Range(1, 65535));
  check->add_option("--udp", check_options->udp, "UDP ports to probe (53); a probe is allowed when its echo returns")
      ->delimiter(',')
      ->check(CLI::Range(1, 65535));
  check->add_option("--timeout-ms", *timeout_ms, "how long a port probe waits")->check(CLI::Range(100, 60000))->capture_default_str();
  check->callback([&ctx, &exit_code, state_dir, check_options, timeout_ms] {
    check_options->timeout = std::chrono::milliseconds(*timeout_ms);
    exit_code = check_options->tcp.empty() && check_options->udp.empty() ? lab::check(*state_dir, ctx)
                                                                          : lab::port_check(*state_dir, *check_options, ctx);
  });

  auto ipam_options = std::make_shared<lab::IpamCheckOptions>();
  auto* ipam_check = lab_cmd->add_subcommand(
      "ipam-check", "weft ipam check over the store and every host's kernel: duplicate addresses, overlapping "
                    "blocks, allocations and endpoints without each other, endpoints without veth, stale weft routes "
                    "(exit 0 clean, 1 not everything checked, 3 findings)");
  ipam_check->add_flag("--repair", ipam_options->repair, "fix what can be fixed, print each action, then check again");
  ipam_check->add_option("--grace", ipam_options->grace_seconds,
                         "--repair spares endpoints without veth younger than this many seconds (an ADD in progress)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  ipam_check->callback([&ctx, &exit_code, state_dir, ipam_options] {
    exit_code = lab::ipam_check(*state_dir, *ipam_options, ctx);
  });

  auto* pod = lab_cmd->add_subcommand("pod", "add or delete a pod through weft-cni");
  pod->require_subcommand(1);
  auto pod_options = std::make_shared<lab::PodAddOptions>();
  auto* pod_add = pod->add_subcommand("add", "a pod on a host, with a namespace, labels and named ports");
  pod_add->add_option("NAME", pod_options->name, "pod name (a DNS label)")->required();
  pod_add->add_option("--host", pod_options->host, "the host (h1, h2, ...)")->required();
  pod_add->add_option("--namespace", pod_options->pod_namespace, "its namespace")->capture_default_str();
  pod_add->add_option("--label", pod_options->labels, "KEY=VALUE (repeatable)");
  pod_add->add_option("--port", pod_options->ports, "a named port NAME=PORT[/tcp|udp|sctp] (repeatable)");
  pod_add->callback([&ctx, &exit_code, state_dir, pod_options] {
    lock_lab();
    exit_code = lab::pod_add(*state_dir, *pod_options, ctx);
  });
  auto pod_name = std::make_shared<std::string>();
  auto* pod_del = pod->add_subcommand("delete", "delete a pod (DEL through weft-cni, then its namespace)");
  pod_del->add_option("NAME", *pod_name, "NAME, or NAMESPACE/NAME outside the default namespace")->required();
  pod_del->callback([&ctx, &exit_code, state_dir, pod_name] {
    lock_lab();
    exit_code = lab::pod_delete(*state_dir, *pod_name, ctx);
  });

  auto exec_name = std::make_shared<std::string>();
  auto exec_command = std::make_shared<std::vector<std::string>>();
  auto* exec = lab_cmd->add_subcommand(
      "exec", "run a command inside a lab namespace (h1, h1-p1, router, etcd, s1 or weft-lab-...), "
              "with WEFT_STORE set to the lab's store");
  exec->add_option("name", *exec_name, "namespace: a host, pod, router, etcd or segment")->required();
  exec->add_option("command", *exec_command, "the command, after --")->required();
  exec->callback([&exit_code, state_dir, exec_name, exec_command] {
    exit_code = lab::exec(*state_dir, *exec_name, *exec_command);
  });

  // weft lab fault KIND [HOST] [--for D]: fault.cc takes the lab lock around each change only, since
  // `--for` holds a fault for minutes while other lab commands (a pod added during an etcd outage)
  // must run.
  auto fault_options = std::make_shared<lab::FaultOptions>();
  auto fault_for = std::make_shared<std::string>();
  auto* fault = lab_cmd->add_subcommand(
      "fault", "break the lab (etcd-stop, kill-weftd, restart-weftd, partition, router-down, delay), list the faults "
               "in place or heal them; each step is printed with its time");
  fault->add_option("KIND", fault_options->kind, "etcd-stop, kill-weftd, restart-weftd, partition, router-down, delay, list, heal")
      ->required()
      ->check(CLI::IsMember({"etcd-stop", "kill-weftd", "restart-weftd", "partition", "router-down", "delay", "list", "heal"}));
  fault->add_option("HOST", fault_options->host, "the host (kill-weftd, restart-weftd, partition, delay)");
  fault->add_option("--for", *fault_for, "undo the fault after this long (90s, 500ms, 2m); default: until `heal`");
  fault->add_option("--member", fault_options->member, "etcd-stop: only this etcd member (1, 2, ...)")->check(CLI::Range(1, 5));
  fault->add_flag("--hang", fault_options->hang, "etcd-stop: freeze etcd (SIGSTOP) instead of stopping it");
  fault->add_option("--ms", fault_options->delay_ms, "delay: added latency (needs netem in the kernel)")->check(CLI::Range(0, 60000));
  fault->add_option("--loss", fault_options->loss_percent, "delay: packets dropped, percent, each direction")
      ->check(CLI::Range(0, 100));
  fault->callback([&ctx, &exit_code, state_dir, fault_options, fault_for] {
    if (!fault_for->empty()) {
      auto duration = lab::parse_fault_duration(*fault_for);
      if (!duration) {
        exit_code = report(duration.error());
        return;
      }
      fault_options->duration = *duration;
    }
    exit_code = lab::fault(*state_dir, *fault_options, ctx);
  });

  auto bench_options = std::make_shared<lab::BenchOptions>();
  auto* bench = lab_cmd->add_subcommand("bench", "throughput per mode against the underlay, convergence, weftd memory (JSON)");
  bench->add_option("--modes", bench_options->modes, "modes to measure throughput in")->delimiter(',');
  bench->add_option("--convergence-hosts", bench_options->convergence_hosts, "lab sizes for convergence")->delimiter(',');
  bench->add_option("--convergence-modes", bench_options->convergence_modes, "modes to measure convergence in")
      ->delimiter(',');
  bench->add_option("--seconds", bench_options->seconds, "seconds per iperf3 run");
  bench->add_option("--repeat", bench_options->repeat, "iperf3 runs per figure (the median is kept)");
  // No lock here: bench runs `weft lab up|down` as children, and they take it.
  bench->callback([&ctx, &exit_code, state_dir, bench_options] {
    bench_options->state_dir = *state_dir;
    exit_code = lab::bench(*bench_options, ctx);
  });
}

}  // namespace weft::cli
