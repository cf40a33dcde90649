#include "dataplane/vxlan.h"

#include <algorithm>
#include <set>

namespace weft::dataplane {
namespace {

bool uses_vxlan(const model::Pool& pool) { return pool.encapsulation == model::Encapsulation::vxlan; }

bool same_tunnel(const kernel::VxlanInfo& actual, const kernel::VxlanSpec& wanted) {
  return actual.vni == wanted.vni && actual.port == wanted.port && actual.local == wanted.local &&
         actual.underlay == wanted.underlay && actual.learning == wanted.learning;
}

bool is_link_local(const IpAddress& a) {
  static const Prefix v6_link_local = *Prefix::parse("fe80::/10");
  return !a.is_v4() && v6_link_local.contains(a);
}

const std::string kDevice(kVxlanDevice);

}  // namespace

std::optional<IpAddress> vtep_address(const model::ClusterModel& model, const std::string& node, Family family) {
  return tunnel_address(model, node, family, model::Encapsulation::vxlan);
}

void VxlanBackend::contribute(const BackendInput& in, DesiredState& out) const {
  const bool any = std::any_of(in.model.pools.begin(), in.model.pools.end(), [](const auto& p) { return uses_vxlan(p.second); });
  if (!any) return;
  out.workload_mtu = std::min(out.workload_mtu, in.self.underlay_mtu - kVxlanOverhead);
  VxlanDevice device;
  device.spec = kernel::VxlanSpec{.name = kDevice,
                                  .vni = in.self.vxlan.vni,
                                  .port = in.self.vxlan.port,
                                  .local = in.self.underlay.address,
                                  .underlay = in.self.underlay_ifindex,
                                  .learning = false,
                                  .mtu = in.self.underlay_mtu - kVxlanOverhead,
                                  .mac = in.self.vtep_mac};
  for (Family f : {Family::v4, Family::v6}) {
    if (auto a = vtep_address(in.model, in.self.node, f)) device.addresses.push_back(Prefix(*a, a->bit_width()));
  }
  out.vxlan = device;

  for (const auto& b : in.blocks) {
    if (b.path != Path::vxlan) continue;
    auto mac = kernel::MacAddress::parse(b.node->vtep_mac);
    if (!mac || mac->is_zero()) {
      out.problems.push_back(b.node->name + " has no VTEP MAC yet: no VXLAN route to " + b.block->block.to_string());
      continue;
    }
    auto vtep = vtep_address(in.model, b.node->name, b.block->block.family());
    if (!vtep) continue;  // cannot happen: this very block makes one
    out.routes.push_back({kernel::Route::via_gateway(b.block->block, *vtep, 0, /*onlink=*/true), kDevice});
    out.neighbours.push_back(kernel::Neighbour{0, *vtep, *mac, true});
    out.fdb.push_back(kernel::FdbEntry{0, *mac, *b.underlay});
  }
}

void VxlanBackend::reconcile_before_routes(const DesiredState& desired, kernel::KernelOps& kernel,
                                           ReconcileReport& report) {
  auto index = ensure_device(desired.vxlan, kernel, report);
  if (!index) {
    report.error(index.error());
    ifindex_ = 0;
    return;
  }
  ifindex_ = *index;
  if (ifindex_ == 0) return;
  report.devices[kDevice] = ifindex_;
  apply_neighbours(desired, kernel, report, /*removing=*/false);
  apply_fdb(desired, kernel, report, /*removing=*/false);
}

void VxlanBackend::reconcile_after_routes(const DesiredState& desired, kernel::KernelOps& kernel,
                                          ReconcileReport& report) {
  if (ifindex_ == 0) return;
  apply_fdb(desired, kernel, report, /*removing=*/true);
  apply_neighbours(desired, kernel, report, /*removing=*/true);
}

Result<int> VxlanBackend::ensure_device(const std::optional<VxlanDevice>& wanted, kernel::KernelOps& kernel,
                                        ReconcileReport& report) {
  auto existing = kernel.find_link(kDevice);
  if (!existing && existing.error().code != Errc::not_found) return std::unexpected(existing.error());
  if (existing && (!wanted || !existing->vxlan || !same_tunnel(*existing->vxlan, wanted->spec))) {
    if (auto r = kernel.delete_link(existing->index); !r) return std::unexpected(r.error());
    report.change("link delete " + kDevice + (wanted ? " (tunnel settings changed)" : " (no pool uses vxlan)"));
    existing = std::unexpected(Error{Errc::not_found, ""});
  }
  if (!wanted) return 0;
  if (!existing) {
    auto created = kernel.create_vxlan(wanted->spec);
    if (!created) return std::unexpected(created.error());
    report.change("link add " + kDevice + " vni " + std::to_string(wanted->spec.vni) + " port " +
                  std::to_string(wanted->spec.port));
    existing = created;
  }
  const int index = existing->index;
  // From here on the device exists: a correction that fails is reported and the round goes on
  // with it, so that routes through it still find their neighbour and FDB entries.
  if (wanted->spec.mac && existing->mac != wanted->spec.mac) {
    if (auto r = kernel.set_link_mac(index, *wanted->spec.mac); !r) {
      report.error(r.error());
    } else {
      report.change("link set " + kDevice + " address " + wanted->spec.mac->to_string());
    }
  }
  if (wanted->spec.mtu != 0 && existing->mtu != wanted->spec.mtu) {
    if (auto r = kernel.set_link_mtu(index, wanted->spec.mtu); !r) {
      report.error(r.error());
    } else {
      report.change("link set " + kDevice + " mtu " + std::to_string(wanted->spec.mtu));
    }
  }
  if (!existing->up) {
    if (auto r = kernel.set_link_up(index, true); !r) {
      report.error(r.error());
    } else {
      report.change("link set " + kDevice + " up");
    }
  }
  auto addresses = kernel.list_addresses(index);
  if (!addresses) {
    report.error(addresses.error());
    return index;
  }
  std::set<Prefix> want(wanted->addresses.begin(), wanted->addresses.end());
  std::set<Prefix> have;
  for (const auto& a : *addresses) {
    if (is_link_local(a.address)) continue;
    Prefix p(a.address, a.prefix_length);
    if (a.prefix_length == a.address.bit_width() && want.contains(p)) {
      have.insert(p);
      continue;
    }
    if (auto r = kernel.delete_address(a); !r) {
      report.error(r.error());
    } else {
      report.change("address delete " + a.to_string() + " dev " + kDevice);
    }
  }
  for (const auto& p : want) {
    if (have.contains(p)) continue;
    kernel::LinkAddress a{index, p.address(), p.length()};
    if (auto r = kernel.add_address(a); !r) {
      report.error(r.error());
    } else {
      report.change("address add " + a.to_string() + " dev " + kDevice);
    }
  }
  return index;
}

void VxlanBackend::apply_neighbours(const DesiredState& desired, kernel::KernelOps& kernel, ReconcileReport& report,
                                    bool removing) {
  // Permanent entries only: the kernel's own (multicast, NOARP) entries are not ours.
  auto actual = kernel.list_neighbours(ifindex_, /*all_states=*/false);
  if (!actual) return report.error(actual.error());
  std::set<kernel::Neighbour> have(actual->begin(), actual->end());
  std::set<kernel::Neighbour> want;
  for (auto n : desired.neighbours) {
    n.ifindex = ifindex_;
    want.insert(n);
  }
  if (!removing) {
    for (const auto& n : want) {
      if (have.contains(n)) continue;
      if (auto r = kernel.replace_neighbour(n); !r) {
        report.error(r.error());
      } else {
        report.change("neighbour replace " + n.address.to_string() + " lladdr " + n.mac->to_string() + " dev " + kDevice);
      }
    }
    return;
  }
  for (const auto& n : have) {
    if (want.contains(n)) continue;
    // An entry for a wanted address with other contents was just replaced; only delete strays.
    if (std::any_of(want.begin(), want.end(), [&](const auto& w) { return w.address == n.address; })) continue;
    if (auto r = kernel.delete_neighbour(n); !r) {
      if (r.error().code != Errc::not_found) report.error(r.error());
    } else {
      report.change("neighbour delete " + n.address.to_string() + " dev " + kDevice);
    }
  }
}

void VxlanBackend::apply_fdb(const DesiredState& desired, kernel::KernelOps& kernel, ReconcileReport& report,
                             bool removing) {
  auto actual = kernel.list_fdb(ifindex_);
  if (!actual) return report.error(actual.error());
  std::set<kernel::FdbEntry> have(actual->begin(), actual->end());
  std::set<kernel::FdbEntry> want;
  for (auto f : desired.fdb) {
    f.ifindex = ifindex_;
    want.insert(f);
  }
  if (!removing) {
    for (const auto& f : want) {
      if (have.contains(f)) continue;
      if (auto r = kernel.replace_fdb(f); !r) {
        report.error(r.error());
      } else {
        report.change("fdb replace " + f.mac.to_string() + " dst " + f.remote.to_string() + " dev " + kDevice);
      }
    }
    return;
  }
  for (const auto& f : have) {
    if (want.contains(f)) continue;
    if (auto r = kernel.delete_fdb(f); !r) {
      if (r.error().code != Errc::not_found) report.error(r.error());
    } else {
      report.change("fdb delete " + f.mac.to_string() + " dst " + f.remote.to_string());
    }
  }
}

}  // namespace weft::dataplane
