// Reconciler: makes the kernel match a DesiredState through KernelOps, touching only objects weft
// owns — routes with kWeftRouteProtocol in the main table, and each backend's own objects — and
// changing only what differs (felix's model: read back, diff, apply the delta). Applying the same
// state twice changes nothing (the second round makes no write call), and a restart of weftd
// deletes and re-adds nothing that is already right: routes are written with NLM_F_REPLACE only
// when they differ.
//
// A round: every backend's reconcile_before_routes (devices, L2 entries to add), then weft's
// routes (adds, replaces, removals; device names resolved to indices), then every backend's
// reconcile_after_routes (stale entries, tables). See vxlan.h for why that order.
//
// Failures do not stop the rest of the round: they are logged and collected in the report, and
// the next round (on change, or periodically) retries them. A route whose device cannot be found
// (not created yet, or the lookup failed) is left as it is in the kernel, neither added nor
// removed.
#pragma once

#include <memory>
#include <vector>

#include "dataplane/backend.h"
#include "dataplane/desired_state.h"
#include "kernel/kernel_ops.h"

namespace weft::dataplane {

class Reconciler {
 public:
  explicit Reconciler(kernel::KernelOps& kernel, std::vector<std::unique_ptr<Backend>> backends = all_backends())
      : kernel_(kernel), backends_(std::move(backends)) {}

  ReconcileReport apply(const DesiredState& desired);

 private:
  void apply_routes(const DesiredState& desired, ReconcileReport& report);

  kernel::KernelOps& kernel_;
  std::vector<std::unique_ptr<Backend>> backends_;
};

}  // namespace weft::dataplane
