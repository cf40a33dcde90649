// <state-dir>/lab.json: everything a lab created, so that `weft lab down` can remove it (also after
// `up` crashed half-way: the state is written before each step) and the other commands can find
// hosts, pods and processes.
//
// load_state(): not_found when the directory holds no lab.json; corrupt (naming the field) when it
// cannot be read. save_state() writes lab.json.tmp and renames it over lab.json.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/json.h"
#include "base/result.h"
#include "cli/lab/topology.h"

namespace weft::cli::lab {

// A process the lab started. A PID alone is not enough to kill it later (PIDs are reused), so the
// kernel's start time and the command line are kept too and compared before any signal is sent.
struct ProcessRecord {
  std::string role;   // "etcd" or "weftd"
  std::string host;   // for weftd: the host name
  std::string netns;
  pid_t pid = 0;
  uint64_t start_time = 0;           // field 22 of /proc/PID/stat
  std::vector<std::string> cmdline;  // /proc/PID/cmdline, split at NULs
  std::string log;
};

struct PodRecord {
  std::string name;           // unique in the lab: POD for the default namespace, else NAMESPACE/POD
  std::string netns;
  std::string host;
  std::string host_veth;
  std::vector<std::string> addresses;  // without prefix length
  std::string pod_namespace = "default";  // K8S_POD_NAMESPACE it was created with
  std::string container_id;               // CNI_CONTAINERID ("" in older states: the name)
};

// A fault `weft lab fault` put in place and has not undone yet (`weft lab fault heal` undoes it).
struct FaultRecord {
  std::string kind;    // etcd-stop, kill-weftd, partition, router-down, delay
  std::string target;  // the host ("hN"), "etcd" or "router"
  int64_t since_ms = 0;  // wall clock, ms since the epoch
  std::string detail;    // what was done, in words ("SIGSTOP", "loss 30%")
};

struct LabState {
  static constexpr int kVersion = 1;

  std::string state_dir;
  std::string store = std::string(kStoreUrl);
  Mode mode = Mode::vxlan;
  TopologyOptions options;
  bool agents = true;      // false: a lab built with --no-agent
  std::string weftd;       // the weftd binary used (empty when none was found)
  std::string phase;       // "underlay", "agents", "pods", "ready"
  std::vector<std::string> namespaces;  // every namespace created (or about to be)
  std::vector<ProcessRecord> processes;
  std::vector<Host> hosts;
  std::vector<PodRecord> pods;
  std::vector<FaultRecord> faults;

  const Host* host(std::string_view name) const;
  const ProcessRecord* agent(std::string_view host_name) const;
  ProcessRecord* agent(std::string_view host_name);
  const ProcessRecord* etcd() const;
};

// Serializes the commands that change a lab (up, down, pod add|delete, fault) across processes:
// namespace names are global and lab.json is read, changed and written whole, so two of them
// interleaving would tear the lab or lose one's change. Held while the object lives (flock on
// /run/weft-lab.lock); says on stderr when it has to wait.
class LabLock {
 public:
  LabLock();
  ~LabLock();
  LabLock(const LabLock&) = delete;
  LabLock& operator=(const LabLock&) = delete;

 private:
  int fd_ = -1;
};

std::string state_file(const std::string& state_dir);  // <dir>/lab.json
Json encode(const LabState& state);
Result<LabState> decode_state(const Json& json);
Result<LabState> load_state(const std::string& state_dir);
// load_state for the commands that need a lab: not_found says how to start one.
Result<LabState> load_existing_lab(const std::string& state_dir);
Result<void> save_state(const LabState& state);

}  // namespace weft::cli::lab
