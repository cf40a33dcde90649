#include "dataplane/reconciler.h"

#include <map>
#include <set>

namespace weft::dataplane {

ReconcileReport Reconciler::apply(const DesiredState& desired) {
  ReconcileReport report;
  for (auto& backend : backends_) backend->reconcile_before_routes(desired, kernel_, report);
  apply_routes(desired, report);
  for (auto& backend : backends_) backend->reconcile_after_routes(desired, kernel_, report);
  return report;
}

void Reconciler::apply_routes(const DesiredState& desired, ReconcileReport& report) {
  // Device names to indices: those a backend resolved this round, else one lookup per device.
  std::map<std::string, int>& devices = report.devices;
  std::set<Prefix> held;  // wanted, but its device is missing: leave the kernel's route alone
  std::map<Prefix, kernel::Route> want;
  for (const auto& d : desired.routes) {
    kernel::Route route = d.route;
    if (!d.device.empty()) {
      auto it = devices.find(d.device);
      if (it == devices.end()) {
        auto link = kernel_.find_link(d.device);
        if (!link && link.error().code != Errc::not_found) report.error(link.error());
        it = devices.emplace(d.device, link ? link->index : 0).first;
      }
      if (it->second == 0) {
        held.insert(route.destination);
        continue;
      }
      for (auto& nh : route.nexthops) nh.ifindex = it->second;
    }
    want[route.destination] = std::move(route);
  }

  auto actual = kernel_.list_routes();
  if (!actual) return report.error(actual.error());
  std::map<Prefix, std::vector<const kernel::Route*>> have;
  for (const auto& r : *actual) have[r.destination].push_back(&r);

  for (const auto& [dest, route] : want) {
    auto it = have.find(dest);
    if (it != have.end() && it->second.size() == 1 && *it->second.front() == route) continue;
    if (auto r = kernel_.replace_route(route); !r) {
      report.error(r.error());
    } else {
      report.change(std::string(it == have.end() ? "route add " : "route replace ") + kernel::to_string(route));
    }
  }
  for (const auto& [dest, routes] : have) {
    if (held.contains(dest)) continue;
    const auto wanted = want.find(dest);
    for (const auto* route : routes) {
      if (wanted != want.end() && *route == wanted->second) continue;
      if (wanted != want.end() && routes.size() == 1) continue;  // replaced above
      if (auto r = kernel_.delete_route(*route); !r) {
        if (r.error().code != Errc::not_found) report.error(r.error());
      } else {
        report.change("route delete " + kernel::to_string(*route));
      }
    }
  }
}

}  // namespace weft::dataplane
