// A data-plane backend: one way of carrying traffic (direct routes, VXLAN, BGP-learned routes,
// NAT; next IPIP and policy), as a unit with two halves:
// - contribute(): its part of the desired state, a pure function of the model and the node's
//   facts (no kernel);
// - reconcile_before_routes() / reconcile_after_routes(): the kernel objects it owns besides
//   routes (devices, neighbour and FDB entries, nftables tables), made to match the desired state
//   through KernelOps. Routes of every backend are applied together by the Reconciler between the
//   two (one diff over weft's routes, so no backend deletes another's), which gives each backend
//   the order it needs: create what routes point at before them, remove it after them.
//
// Reconcile contract: change only what differs, only objects the backend owns; log and collect
// every failure in the report and go on with the rest (the next round retries).
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "dataplane/desired_state.h"
#include "dataplane/block_paths.h"
#include "kernel/kernel_ops.h"

namespace weft::dataplane {

struct ReconcileReport {
  std::vector<std::string> changes;  // "route add 198.19.2.0/24 via ...", in the order applied
  std::vector<Error> errors;
  // Devices a backend found or created this round, by name: the route phase resolves routes'
  // device names from here before it asks the kernel (one lookup per device per round).
  std::map<std::string, int> devices;
  // What a backend could not set up for a reason an operator must act on (the kernel refused a
  // BPF program, a device the dataplane needs is missing): shown as node problems.
  std::vector<std::string> problems;
  bool ok() const { return errors.empty(); }
  void change(std::string what);     // logs and records
  void error(const Error& error);    // logs and records
};

struct BackendInput {
  const model::ClusterModel& model;
  const LocalFacts& self;
  const LearnedRoutes& learned;
  const std::vector<BlockPath>& blocks;  // every block with the path chosen for it
  const std::optional<kernel::NftTable>& policy;  // the compiled policy table (compute_desired)
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string_view name() const = 0;
  virtual void contribute(const BackendInput& in, DesiredState& out) const = 0;
  virtual void reconcile_before_routes(const DesiredState&, kernel::KernelOps&, ReconcileReport&) {}
  virtual void reconcile_after_routes(const DesiredState&, kernel::KernelOps&, ReconcileReport&) {}
};

// Every backend weftd runs, in reconcile order.
std::vector<std::unique_ptr<Backend>> all_backends();

}  // namespace weft::dataplane
