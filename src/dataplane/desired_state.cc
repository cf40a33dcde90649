#include "dataplane/desired_state.h"

#include <algorithm>

#include "base/log.h"
#include "dataplane/backend.h"
#include "dataplane/bgp_routes.h"
#include "dataplane/block_paths.h"
#include "dataplane/direct.h"
#include "dataplane/ipip.h"
#include "dataplane/nat.h"
#include "dataplane/policy.h"
#include "dataplane/vxlan.h"

namespace weft::dataplane {
namespace {

template <class T>
void sort_unique(std::vector<T>& v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
}

}  // namespace

void ReconcileReport::change(std::string what) {
  spdlog::info("kernel: {}", what);
  changes.push_back(std::move(what));
}

void ReconcileReport::error(const Error& e) {
  spdlog::warn("kernel: {}", e.describe());
  errors.push_back(e);
}

std::vector<std::unique_ptr<Backend>> all_backends() {
  std::vector<std::unique_ptr<Backend>> out;
  out.push_back(std::make_unique<DirectBackend>());
  out.push_back(std::make_unique<VxlanBackend>());
  out.push_back(std::make_unique<IpipBackend>());
  out.push_back(std::make_unique<BgpRoutesBackend>());
  out.push_back(std::make_unique<NatBackend>());
  out.push_back(std::make_unique<PolicyBackend>());
  return out;
}

DesiredState compute_desired(const model::ClusterModel& model, const LocalFacts& self, const LearnedRoutes& learned,
                             const std::optional<kernel::NftTable>& policy) {
  static const auto backends = all_backends();  // contribute() is const: one set serves every caller
  DesiredState out;
  out.workload_mtu = self.underlay_mtu;
  const auto blocks = classify_blocks(model, self, out.problems);
  for (const auto& b : blocks) {
    if (b.path == Path::local) out.routes.push_back({kernel::Route::blackhole(b.block->block), ""});
  }
  const BackendInput input{model, self, learned, blocks, policy};
  for (const auto& backend : backends) backend->contribute(input, out);
  std::stable_sort(out.routes.begin(), out.routes.end(), [](const DesiredRoute& a, const DesiredRoute& b) {
    return a.route.destination < b.route.destination;
  });
  sort_unique(out.neighbours);
  sort_unique(out.fdb);
  sort_unique(out.ipip.tunnels);
  sort_unique(out.ipip.pools);
  sort_unique(out.ipip.nodes);
  return out;
}

}  // namespace weft::dataplane
