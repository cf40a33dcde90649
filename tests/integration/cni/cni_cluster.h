// A one-node weft cluster for weft-cni's integration tests and benchmark, built only inside
// network namespaces this process creates (DESIGN.md safety rules):
//
//   weft-t-<pid>-<tag>-peer   u1 198.18.0.2/24 (a client on the underlay; route to the pools via h1)
//        │ veth
//   weft-t-<pid>-<tag>-h1     u0 198.18.0.1/24, lo; etcd on 127.0.0.1:2379, weftd (node h1)
//   weft-t-<pid>-<tag>-<name> container namespaces made by container()
//
// etcd runs inside h1 because weftd in h1 cannot reach the root namespace's loopback. Pools:
// "lab" 198.19.0.0/16 with /24 blocks and "lab6" fd00:198:19::/48 with /120 blocks (plus any
// extra given). Namespaces are made with kernel/netns.h; programs are started with
// kernel/netns_exec.h (setns between fork and exec; never `ip netns exec`, which remounts /sys).
// stop() (and the destructor) stops the processes it started, by PID, and deletes every
// namespace it created, also after a failure halfway through start().
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/process.h"

namespace weft::testing {

using ProcResult = CommandResult;  // exit_code is 128 + signal when killed

// Runs argv (absolute path or looked up in PATH/sbin) to completion, inside network namespace
// `netns` (a name under /run/netns) when not empty, with `env` added to the environment and
// `input` on stdin. A failure to start is exit code -1 with the reason in `err`.
ProcResult run_in(const std::string& netns, const std::vector<std::string>& argv,
                  const std::map<std::string, std::string>& env = {}, const std::string& input = {});

struct PoolSpec {
  std::string name;
  std::string cidr;
  int block_length = 24;
};

class CniCluster {
 public:
  struct Paths {
    std::string weftd;
    std::string weft_cli;
    std::string weft_cni;
  };
  CniCluster(std::string tag, Paths paths);
  ~CniCluster();
  CniCluster(const CniCluster&) = delete;
  CniCluster& operator=(const CniCluster&) = delete;

  // Empty on success, else what failed (with the tail of the daemon logs).
  std::string start(const std::vector<PoolSpec>& extra_pools = {});
  void stop();

  const std::string& host() const { return host_; }  // the host namespace's name
  const std::string& peer() const { return peer_; }
  const std::string& socket_path() const { return socket_; }
  const std::string& dir() const { return dir_; }
  std::string store_url() const { return "etcd://127.0.0.1:2379"; }

  // A fresh container namespace "weft-t-<pid>-<tag>-<name>"; returns its path (/run/netns/...).
  std::string container(const std::string& name);
  void remove_container(const std::string& name);

  // {"cniVersion": version, "name": "weft", "type": "weft-cni", "socket": <ours>} plus `extra`
  // (a JSON object's members, without braces, e.g. R"("mtu": 1400)").
  std::string config(const std::string& version = "1.0.0", const std::string& extra = "") const;
  // Runs weft-cni in the host namespace as a runtime does.
  ProcResult cni(const std::string& command, const std::string& container_id, const std::string& netns_path,
                 const std::string& config_json, const std::string& ifname = "eth0",
                 const std::map<std::string, std::string>& extra_env = {}) const;
  // Runs any CNI plugin binary the same way (for chained plugins: portmap, bandwidth).
  ProcResult plugin(const std::string& path, const std::string& command, const std::string& container_id,
                    const std::string& netns_path, const std::string& config_json, const std::string& ifname = "eth0",
                    const std::map<std::string, std::string>& extra_env = {}) const;
  // `weft --store ... ARGS` and `etcdctl ... ARGS` in the host namespace.
  ProcResult weft(const std::vector<std::string>& args) const;
  ProcResult etcdctl(const std::vector<std::string>& args) const;
  // Keys under `prefix` in the store (etcdctl --keys-only); nullopt (with etcdctl's error on
  // stderr) when etcdctl fails, which no caller may read as "no keys".
  std::optional<std::vector<std::string>> keys(const std::string& prefix) const;

 private:
  std::string fail(const std::string& what);
  std::string tag_;
  Paths paths_;
  std::string dir_;
  std::string host_, peer_;
  std::string socket_;
  std::vector<std::string> namespaces_;
  std::map<std::string, std::string> containers_;  // name -> namespace name
  Child etcd_;
  Child weftd_;
};

}  // namespace weft::testing
