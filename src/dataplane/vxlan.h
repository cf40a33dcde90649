// The VXLAN backend (flannel vxlan; the tunnelled half of cross-subnet).
//
// Wants, when any pool uses VXLAN: the device weft.vxlan (VNI, UDP port, local underlay address,
// learning off, MTU underlay - 50, the node's VTEP MAC) carrying this node's VTEP addresses; and
// per remote block on a VXLAN path, `block via <VTEP address> dev weft.vxlan onlink`, a permanent
// neighbour entry VTEP address -> VTEP MAC, and an FDB entry VTEP MAC -> node underlay address.
// A node's VTEP address in a family is the first address of its first block (in key order) in a
// VXLAN pool of that family, as flannel does; the CNI plugin never hands that address out.
//
// Design history, kept because the order matters: the kernel must never need to ARP or flood
// for a remote VTEP. So the neighbour (VTEP address -> MAC) goes in first, then the FDB entry
// (MAC -> underlay), and only then the route that makes traffic use them (the reconciler applies
// routes between this backend's two phases); removals run the other way, route first. With the
// L2 entries in place before any route points at the VTEP address, the first packet finds a
// complete path. A device whose VNI, port, local address or underlay differ is recreated (those
// cannot be changed in place); MAC, MTU, up state and addresses are corrected in place.
#pragma once

#include <optional>

#include "dataplane/backend.h"

namespace weft::dataplane {

// The VTEP address of `node` for `family`, or nullopt when it holds no block of a VXLAN pool of
// that family.
std::optional<IpAddress> vtep_address(const model::ClusterModel& model, const std::string& node, Family family);

class VxlanBackend final : public Backend {
 public:
  std::string_view name() const override { return "vxlan"; }
  void contribute(const BackendInput& in, DesiredState& out) const override;
  // Device, then neighbour and FDB additions.
  void reconcile_before_routes(const DesiredState& desired, kernel::KernelOps& kernel, ReconcileReport& report) override;
  // Stale FDB entries, then stale neighbours.
  void reconcile_after_routes(const DesiredState& desired, kernel::KernelOps& kernel, ReconcileReport& report) override;

 private:
  Result<int> ensure_device(const std::optional<VxlanDevice>& wanted, kernel::KernelOps& kernel, ReconcileReport& report);
  void apply_neighbours(const DesiredState& desired, kernel::KernelOps& kernel, ReconcileReport& report, bool removing);
  void apply_fdb(const DesiredState& desired, kernel::KernelOps& kernel, ReconcileReport& report, bool removing);

  int ifindex_ = 0;  // the device, from this round's reconcile_before_routes (0: none)
};

}  // namespace weft::dataplane
