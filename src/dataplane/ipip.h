// The IPIP backend (Calico's IPIP; the tunnelled half of ipip cross-subnet), IPv4 only.
//
// Two data planes, one behaviour (LocalFacts::ipip, chosen by weftd's --dataplane):
// - kernel: the ipip module's tunl0 (up, MTU underlay - 20, this node's tunnel address) and per
//   remote block `block via <node underlay> dev tunl0 onlink`; the kernel builds the outer header.
// - ebpf: weft's tc programs on the underlay device (bpf/ipip.bpf.c) and per remote block a
//   plain route out of the underlay device — via the node itself on this segment, via the
//   underlay's gateway beyond it (LocalFacts::underlay_next_hops) — plus a weft_ipip_tun entry
//   block -> (node underlay, our underlay) that makes the egress program encapsulate. The pools
//   map and the node map (this node SELF, the others PEER) tell the ingress program what to
//   decapsulate.
// Routes learned over BGP for an ipip pool come here too (bgp_routes.cc), through add_ipip_path.
//
// Reconcile (eBPF): the object is loaded once per weftd run (maps reused from their pins, so a
// restart keeps every entry); a tc slot whose program has another tag than the loaded one is
// replaced in one request; map entries are diffed by key: new and changed ones are written
// before routes (the first packet a new route sends is already encapsulated), stale ones deleted
// after. Nothing unchanged is rewritten, so a restart changes nothing. A kernel that refuses the
// program is a node problem; the rest of the data plane goes on.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "dataplane/backend.h"

namespace weft::dataplane {

// Adds the route and, with eBPF, the tunnel entry that carry IPv4 `block` to the node whose
// underlay address is `remote`. A problem instead when the outer next hop is unknown.
void add_ipip_path(const Prefix& block, const IpAddress& remote, const BackendInput& in, DesiredState& out);

// The outer next hops (LocalFacts::underlay_next_hops) for every other node's IPv4 underlay off
// this node's subnet, from the kernel's routes; empty when no pool uses IPIP.
std::map<IpAddress, IpAddress> underlay_next_hops(const model::ClusterModel& model, const LocalFacts& self,
                                                  kernel::KernelOps& kernel);

class IpipBackend final : public Backend {
 public:
  std::string_view name() const override { return "ipip"; }
  void contribute(const BackendInput& in, DesiredState& out) const override;
  // tunl0 settings; or the programs and new/changed map entries.
  void reconcile_before_routes(const DesiredState& desired, kernel::KernelOps& kernel, ReconcileReport& report) override;
  // Stale map entries; programs when IPIP is no longer wanted.
  void reconcile_after_routes(const DesiredState& desired, kernel::KernelOps& kernel, ReconcileReport& report) override;

 private:
  void reconcile_tunl0(const IpipState& want, kernel::KernelOps& kernel, ReconcileReport& report);
  bool ensure_programs(const IpipState& want, int ifindex, kernel::KernelOps& kernel, ReconcileReport& report);
  void apply_maps(const IpipState& want, kernel::KernelOps& kernel, ReconcileReport& report, bool removing);
  void detach_programs(const IpipState& want, kernel::KernelOps& kernel, ReconcileReport& report);

  std::optional<kernel::BpfLoaded> loaded_;  // this run's load, for its pin_dir
  std::string loaded_dir_;
  bool cleaned_ = false;  // IPIP unwanted and its programs and entries already removed
};

}  // namespace weft::dataplane
