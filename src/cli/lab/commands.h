// The `weft lab` subcommands. Each returns the process exit code (cli/context.h convention: 0 ok,
// 1 error with "weft: ..." on stderr, 2 usage); `exec` returns the command's own exit code.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "base/json.h"
#include "cli/context.h"
#include "cli/lab/lab_state.h"
#include "cli/lab/lab_store.h"
#include "cli/lab/topology.h"

namespace weft::cli::lab {

struct UpOptions {
  TopologyOptions topology;
  std::string mode = "vxlan";
  std::string router = "plain";
  std::string weftd;  // empty: $WEFT_WEFTD, <dir of weft>/../agent/weftd, weftd on PATH
  std::string state_dir = std::string(kDefaultStateDir);
  bool no_agent = false;  // hidden: reserve blocks instead of running weftd (tests the lab itself)
  std::chrono::seconds agent_timeout{20};
  int lease_ttl = 60;  // weftd --lease-ttl: how long a host cut off keeps its blocks
};

int up(const UpOptions& options, Context& ctx);
// `quiet`: as a step of `up`, print one line instead of the full report.
int down(const std::string& state_dir, Context& ctx, bool quiet = false);
int status(const std::string& state_dir, Context& ctx);
int exec(const std::string& state_dir, const std::string& name, const std::vector<std::string>& command);
int check(const std::string& state_dir, Context& ctx);  // the ping check

// weft lab check --tcp/--udp: the port matrix (port_check.cc).
struct CheckOptions {
  std::vector<int> tcp;
  std::vector<int> udp;
  std::chrono::milliseconds timeout{2000};
};
int port_check(const std::string& state_dir, const CheckOptions& options, Context& ctx);

// weft lab pod add|delete (pod.cc).
struct PodAddOptions {
  std::string name;
  std::string host;
  std::string pod_namespace = "default";
  std::vector<std::string> labels;  // KEY=VALUE
  std::vector<std::string> ports;   // NAME=PORT[/PROTOCOL]
};
int pod_add(const std::string& state_dir, const PodAddOptions& options, Context& ctx);
int pod_delete(const std::string& state_dir, const std::string& name, Context& ctx);

// weft lab fault (fault.cc). kind: etcd-stop, kill-weftd, restart-weftd, partition, router-down,
// delay, heal (undo every fault in place) or list.
struct FaultOptions {
  std::string kind;
  std::string host;   // kill-weftd, restart-weftd, partition, delay
  bool hang = false;  // etcd-stop: SIGSTOP (a store that hangs) instead of stopping it
  int member = 0;     // etcd-stop: only this member (1..M); 0: all of them
  int delay_ms = 0;
  int loss_percent = 0;
  std::chrono::milliseconds duration{0};  // --for: heal after this long (0: stay until `heal`)
};
int fault(const std::string& state_dir, const FaultOptions& options, Context& ctx);
// "90s", "500ms", "2m", "30" (seconds).
Result<std::chrono::milliseconds> parse_fault_duration(std::string_view text);

// weft lab ipam-check (ipam_check.cc): `weft ipam check` with every lab host's kernel.
struct IpamCheckOptions {
  bool repair = false;
  int64_t grace_seconds = 60;
};
int ipam_check(const std::string& state_dir, const IpamCheckOptions& options, Context& ctx);

// The JSON of `weft lab status -o json` (snapshot may be null when the store cannot be read).
Json status_json(const LabState& state, const StoreSnapshot* snapshot);

}  // namespace weft::cli::lab
