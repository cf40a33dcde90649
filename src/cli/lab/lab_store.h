// The lab's etcd and what the lab reads and writes in it.
//
// The root namespace cannot reach 198.18.0.2 (the lab adds no route there, on purpose), so every
// store call runs in a forked child that has setns()ed into weft-lab-etcd, where the address is
// local: it depends on etcd only, not on the router. The child opens the store with
// store::open_store and ipam's functions exactly as weft's own commands do, and returns JSON
// through a pipe. Running it in a child (not a thread of this process) keeps gRPC's threads out of
// the CLI, which forks elsewhere, and lets the child be in the namespace whole.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "base/ip.h"
#include "base/result.h"
#include "cli/lab/lab_state.h"
#include "cli/lab/topology.h"

namespace weft::cli::lab {

// Starts member `member` of the lab's etcd cluster `members` in its namespace, data and log under
// <state-dir>/etcd (member 1) or <state-dir>/etcdN; returns its record at once.
Result<ProcessRecord> start_etcd(const std::string& state_dir, const std::vector<EtcdMember>& members,
                                 const EtcdMember& member);
// Waits until http://ADDRESS:2379/health answers true, asked from inside `netns` (the etcd
// namespace, or a host to test the underlay). unavailable on timeout; when `etcd_pid` is a child
// of this process that exits meanwhile, internal with the log's tail.
Result<void> wait_etcd_healthy(const std::string& netns, std::chrono::milliseconds timeout, pid_t etcd_pid = 0,
                               const std::string& log = "", const std::string& address = std::string(kEtcdAddress));

// Adds the pools "lab" and "lab6" with the mode's encapsulation.
Result<void> create_pools(Mode mode);

// For `--router bgp`: every host peers with the router on its segment ("router-hN", iBGP in the
// cluster's AS, as `weft bgp peer add --node hN` would add it); `node_mesh` false turns the
// node-to-node mesh off.
Result<void> configure_fabric_bgp(const Topology& topology, bool node_mesh);

// What the store says about the lab's hosts: node records and held blocks per node and pool.
struct StoreSnapshot {
  std::set<std::string> nodes;
  // node -> pool -> blocks, sorted
  std::map<std::string, std::map<std::string, std::vector<Prefix>>> blocks;

  // The node's first block of `pool`, if it holds one.
  const Prefix* block(const std::string& node, std::string_view pool) const;
};
Result<StoreSnapshot> read_snapshot();

// BGP sessions per node as the agents published them: node -> (established, total).
Result<std::map<std::string, std::pair<int, int>>> read_bgp_sessions();

// Without agents (--no-agent): reserves block i-1 of each pool for host hi, as weftd would claim.
Result<void> reserve_blocks(const std::vector<Host>& hosts);

}  // namespace weft::cli::lab
