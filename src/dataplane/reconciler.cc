#include "dataplane/reconciler.h"

#include <algorithm>
#include <map>
#include <set>

#include "base/log.h"
#include "kernel/addresses.h"
#include "kernel/links.h"
#include "kernel/neighbours.h"
#include "kernel/routes.h"

namespace weft::dataplane {
namespace {

void record(ReconcileReport& report, std::string change) {
  spdlog::info("kernel: {}", change);
  report.changes.push_back(std::move(change));
}

void record_error(ReconcileReport& report, const Error& error) {
  spdlog::warn("kernel: {}", error.describe());
  report.errors.push_back(error);
}

bool same_tunnel(const kernel::VxlanInfo& actual, const kernel::VxlanSpec& wanted) {
  return actual.vni == wanted.vni && actual.port == wanted.port && actual.local == wanted.local &&
         actual.underlay == wanted.underlay && actual.learning == wanted.learning;
}

bool is_link_local(const IpAddress& a) {
  static const Prefix v6_link_local = *Prefix::parse("fe80::/10");
  return !a.is_v4() && v6_link_local.contains(a);
}

}  // namespace

Result<int> Reconciler::ensure_vxlan(const std::optional<VxlanDevice>& wanted, ReconcileReport& report) {
  auto existing = kernel::find_link(sock_, kVxlanDevice);
  if (!existing && existing.error().code != Errc::not_found) return std::unexpected(existing.error());
  if (existing && (!wanted || !existing->vxlan || !same_tunnel(*existing->vxlan, wanted->spec))) {
    if (auto r = kernel::delete_link(sock_, existing->index); !r) return std::unexpected(r.error());
    record(report, std::string("link delete ") + std::string(kVxlanDevice) +
                       (wanted ? " (tunnel settings changed)" : " (no pool uses vxlan)"));
    existing = std::unexpected(Error{Errc::not_found, ""});
  }
  if (!wanted) return 0;
  if (!existing) {
    auto created = kernel::create_vxlan(sock_, wanted->spec);
    if (!created) return std::unexpected(created.error());
    record(report, "link add " + wanted->spec.name + " vni " + std::to_string(wanted->spec.vni) +
                       " port " + std::to_string(wanted->spec.port));
    existing = created;
  }
  const int index = existing->index;
  if (wanted->spec.mac && existing->mac != wanted->spec.mac) {
    if (auto r = kernel::set_link_mac(sock_, index, *wanted->spec.mac); !r) return std::unexpected(r.error());
    record(report, "link set " + wanted->spec.name + " address " + wanted->spec.mac->to_string());
  }
  if (wanted->spec.mtu != 0 && existing->mtu != wanted->spec.mtu) {
    if (auto r = kernel::set_link_mtu(sock_, index, wanted->spec.mtu); !r) return std::unexpected(r.error());
    record(report, "link set " + wanted->spec.name + " mtu " + std::to_string(wanted->spec.mtu));
  }
  if (!existing->up) {
    if (auto r = kernel::set_link_up(sock_, index, true); !r) return std::unexpected(r.error());
    record(report, "link set " + wanted->spec.name + " up");
  }
  auto addresses = kernel::list_addresses(sock_, index);
  if (!addresses) return std::unexpected(addresses.error());
  std::set<Prefix> want(wanted->addresses.begin(), wanted->addresses.end());
  std::set<Prefix> have;
  for (const auto& a : *addresses) {
    if (is_link_local(a.address)) continue;
    Prefix p(a.address, a.prefix_length);
    if (a.prefix_length == a.address.bit_width() && want.contains(p)) {
      have.insert(p);
      continue;
    }
    if (auto r = kernel::delete_address(sock_, a); !r) {
      record_error(report, r.error());
    } else {
      record(report, "address delete " + a.to_string() + " dev " + wanted->spec.name);
    }
  }
  for (const auto& p : want) {
    if (have.contains(p)) continue;
    kernel::LinkAddress a{index, p.address(), p.length()};
    if (auto r = kernel::add_address(sock_, a); !r) {
      record_error(report, r.error());
    } else {
      record(report, "address add " + a.to_string() + " dev " + wanted->spec.name);
    }
  }
  return index;
}

void Reconciler::apply(const DesiredState& desired, int vxlan, ReconcileReport& report) {
  // Adds in dependency order, then routes (adds, replaces and removes), then stale L2 entries.
  if (vxlan != 0) {
    apply_neighbours(desired, vxlan, report, /*removing=*/false);
    apply_fdb(desired, vxlan, report, /*removing=*/false);
  }
  apply_routes(desired, report);
  if (vxlan != 0) {
    apply_fdb(desired, vxlan, report, /*removing=*/true);
    apply_neighbours(desired, vxlan, report, /*removing=*/true);
  }
}

void Reconciler::apply_neighbours(const DesiredState& desired, int vxlan, ReconcileReport& report, bool removing) {
  // Permanent entries only: the kernel's own (multicast, NOARP) entries are not ours.
  auto actual = kernel::list_neighbours(sock_, vxlan, /*all_states=*/false);
  if (!actual) return record_error(report, actual.error());
  std::set<kernel::Neighbour> have(actual->begin(), actual->end());
  std::set<kernel::Neighbour> want;
  for (const auto& n : desired.neighbours) {
    if (n.ifindex == vxlan) want.insert(n);
  }
  if (!removing) {
    for (const auto& n : want) {
      if (have.contains(n)) continue;
      if (auto r = kernel::replace_neighbour(sock_, n); !r) {
        record_error(report, r.error());
      } else {
        record(report, "neighbour replace " + n.address.to_string() + " lladdr " + n.mac->to_string() +
                           " dev " + std::string(kVxlanDevice));
      }
    }
    return;
  }
  for (const auto& n : have) {
    if (want.contains(n)) continue;
    // An entry for a wanted address with other contents was just replaced; only delete strays.
    if (std::any_of(want.begin(), want.end(), [&](const auto& w) { return w.address == n.address; })) continue;
    if (auto r = kernel::delete_neighbour(sock_, n); !r) {
      if (r.error().code != Errc::not_found) record_error(report, r.error());
    } else {
      record(report, "neighbour delete " + n.address.to_string() + " dev " + std::string(kVxlanDevice));
    }
  }
}

void Reconciler::apply_fdb(const DesiredState& desired, int vxlan, ReconcileReport& report, bool removing) {
  auto actual = kernel::list_fdb(sock_, vxlan);
  if (!actual) return record_error(report, actual.error());
  std::set<kernel::FdbEntry> have(actual->begin(), actual->end());
  std::set<kernel::FdbEntry> want;
  for (const auto& f : desired.fdb) {
    if (f.ifindex == vxlan) want.insert(f);
  }
  if (!removing) {
    for (const auto& f : want) {
      if (have.contains(f)) continue;
      if (auto r = kernel::replace_fdb(sock_, f); !r) {
        record_error(report, r.error());
      } else {
        record(report, "fdb replace " + f.mac.to_string() + " dst " + f.remote.to_string() + " dev " +
                           std::string(kVxlanDevice));
      }
    }
    return;
  }
  for (const auto& f : have) {
    if (want.contains(f)) continue;
    if (auto r = kernel::delete_fdb(sock_, f); !r) {
      if (r.error().code != Errc::not_found) record_error(report, r.error());
    } else {
      record(report, "fdb delete " + f.mac.to_string() + " dst " + f.remote.to_string());
    }
  }
}

void Reconciler::apply_routes(const DesiredState& desired, ReconcileReport& report) {
  auto actual = kernel::list_routes(sock_);
  if (!actual) return record_error(report, actual.error());
  std::map<Prefix, const kernel::Route*> want;
  for (const auto& r : desired.routes) want[r.destination] = &r;
  std::map<Prefix, std::vector<const kernel::Route*>> have;
  for (const auto& r : *actual) have[r.destination].push_back(&r);

  for (const auto& [dest, route] : want) {
    auto it = have.find(dest);
    if (it != have.end() && it->second.size() == 1 && *it->second.front() == *route) continue;
    if (auto r = kernel::replace_route(sock_, *route); !r) {
      record_error(report, r.error());
    } else {
      record(report, std::string(it == have.end() ? "route add " : "route replace ") + kernel::to_string(*route));
    }
  }
  for (const auto& [dest, routes] : have) {
    const auto wanted = want.find(dest);
    for (const auto* route : routes) {
      if (wanted != want.end() && *route == *wanted->second) continue;
      if (wanted != want.end() && routes.size() == 1) continue;  // replaced above
      if (auto r = kernel::delete_route(sock_, *route); !r) {
        if (r.error().code != Errc::not_found) record_error(report, r.error());
      } else {
        record(report, "route delete " + kernel::to_string(*route));
      }
    }
  }
}

}  // namespace weft::dataplane
