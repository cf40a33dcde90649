// Reconciler: makes the kernel match a DesiredState, touching only objects weft owns — routes
// with kWeftRouteProtocol in the main table, and the weft.vxlan device with its neighbour and
// FDB entries — and changing only what differs (felix's model: read back, diff, apply the delta).
// Applying the same state twice changes nothing, and a restart of weftd deletes and re-adds
// nothing that is already right: routes are written with NLM_F_REPLACE only when they differ.
//
// Order, for VXLAN (why: the kernel must never need to ARP or flood for a remote VTEP):
//   adds:    neighbour (VTEP address -> MAC), then FDB (MAC -> underlay), then the route;
//   removes: the route first, then FDB, then neighbour.
// With the neighbour and FDB entry in place before any route points at the VTEP address, the
// first packet already finds a complete L2 and L3 path.
//
// Every change is logged; failures do not stop the rest of the round: they are collected in the
// report and the next round (on change, or periodically) retries them.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "dataplane/desired_state.h"
#include "kernel/netlink_socket.h"

namespace weft::dataplane {

struct ReconcileReport {
  std::vector<std::string> changes;  // "route add 198.19.2.0/24 via ...", in the order applied
  std::vector<Error> errors;
  bool ok() const { return errors.empty(); }
};

class Reconciler {
 public:
  explicit Reconciler(kernel::NetlinkSocket& sock) : sock_(sock) {}

  // Creates, corrects or removes the VXLAN device; returns its ifindex, or 0 when none is wanted.
  // A device whose VNI, port, local address or underlay differ is recreated (those cannot be
  // changed in place); MAC, MTU, up state and addresses are corrected in place.
  Result<int> ensure_vxlan(const std::optional<VxlanDevice>& wanted, ReconcileReport& report);

  // Routes, neighbours and FDB entries; `vxlan` is the device's ifindex from ensure_vxlan (0: none).
  void apply(const DesiredState& desired, int vxlan, ReconcileReport& report);

 private:
  void apply_neighbours(const DesiredState& desired, int vxlan, ReconcileReport& report, bool removing);
  void apply_fdb(const DesiredState& desired, int vxlan, ReconcileReport& report, bool removing);
  void apply_routes(const DesiredState& desired, ReconcileReport& report);

  kernel::NetlinkSocket& sock_;
};

}  // namespace weft::dataplane
