#include "dataplane/ipip.h"

#include <algorithm>
#include <set>

#include "dataplane/bpf/ipip_object.h"

namespace weft::dataplane {
namespace {

bool uses_ipip(const model::Pool& pool) {
  return pool.encapsulation == model::Encapsulation::ipip && pool.cidr.family() == Family::v4;
}

const std::pair<std::string_view, kernel::TcDirection> kPrograms[] = {
    {kIpipEgressProgram, kernel::TcDirection::egress},
    {kIpipIngressProgram, kernel::TcDirection::ingress},
};

std::string describe(std::string_view map, const kernel::BpfMapEntry& entry) {
  if (map == kIpipTunnelMap) {
    if (auto t = decode_tunnel(entry)) return t->block.to_string() + " -> " + t->remote.to_string() + " from " + t->local.to_string();
  } else if (map == kIpipPoolMap) {
    if (auto p = decode_pool(entry)) return p->to_string();
  } else if (auto n = decode_node(entry)) {
    return n->address.to_string() + (n->self ? " (this node)" : " (peer)");
  }
  return "an entry weft cannot read";
}

Result<int> device_index(const std::string& device, kernel::KernelOps& kernel, ReconcileReport& report) {
  if (auto it = report.devices.find(device); it != report.devices.end()) return it->second;
  auto link = kernel.find_link(device);
  if (!link) return std::unexpected(link.error());
  report.devices[device] = link->index;
  return link->index;
}

}  // namespace

std::string_view to_string(IpipDataplane dataplane) { return dataplane == IpipDataplane::kernel ? "kernel" : "ebpf"; }

void add_ipip_path(const Prefix& block, const IpAddress& remote, const BackendInput& in, DesiredState& out) {
  if (in.self.ipip == IpipDataplane::kernel) {
    out.routes.push_back({kernel::Route::via_gateway(block, remote, 0, /*onlink=*/true), std::string(kIpipKernelDevice)});
    return;
  }
  IpAddress hop = remote;
  if (!in.self.underlay.subnet().contains(remote)) {
    auto it = in.self.underlay_next_hops.find(remote);
    if (it == in.self.underlay_next_hops.end()) {
      out.problems.push_back("ipip: no underlay route to " + remote.to_string() + ": no route to " + block.to_string());
      return;
    }
    hop = it->second;
  }
  out.routes.push_back({kernel::Route::via_gateway(block, hop), in.self.underlay_device});
  out.ipip.tunnels.push_back(encode(IpipTunnel{block, remote, in.self.underlay.address}));
}

std::map<IpAddress, IpAddress> underlay_next_hops(const model::ClusterModel& model, const LocalFacts& self,
                                                  kernel::KernelOps& kernel) {
  std::map<IpAddress, IpAddress> out;
  const bool any = std::any_of(model.pools.begin(), model.pools.end(), [](const auto& p) { return uses_ipip(p.second); });
  if (!any || self.ipip != IpipDataplane::ebpf) return out;
  for (const auto& [name, node] : model.nodes) {
    if (name == self.node) continue;
    const auto address = model::underlay_v4(node);
    if (!address || self.underlay.subnet().contains(*address)) continue;
    auto route = kernel.lookup_route(*address);
    if (!route || route->nexthops.empty()) continue;  // no route: add_ipip_path reports it
    out[*address] = route->nexthops.front().gateway.value_or(*address);
  }
  return out;
}

void IpipBackend::contribute(const BackendInput& in, DesiredState& out) const {
  IpipState& state = out.ipip;
  state.dataplane = in.self.ipip;
  state.device = in.self.ipip == IpipDataplane::kernel ? std::string(kIpipKernelDevice) : in.self.underlay_device;
  state.pin_dir = in.self.bpf_dir;
  const bool any = std::any_of(in.model.pools.begin(), in.model.pools.end(), [](const auto& p) { return uses_ipip(p.second); });
  if (!any) return;
  state.wanted = true;
  state.mtu = in.self.underlay_mtu - kIpipOverhead;
  out.workload_mtu = std::min(out.workload_mtu, state.mtu);
  if (in.self.ipip == IpipDataplane::kernel) {
    if (auto a = tunnel_address(in.model, in.self.node, Family::v4, model::Encapsulation::ipip)) state.tunnel_address = Prefix(*a, 32);
  } else {
    for (const auto& [name, pool] : in.model.pools) {
      if (uses_ipip(pool)) state.pools.push_back(encode_pool(pool.cidr));
    }
    state.nodes.push_back(encode(IpipNode{in.self.underlay.address, true}));
    for (const auto& [name, node] : in.model.nodes) {
      const auto address = model::underlay_v4(node);
      if (name != in.self.node && address && *address != in.self.underlay.address) state.nodes.push_back(encode(IpipNode{*address, false}));
    }
  }
  for (const auto& b : in.blocks) {
    if (b.path == Path::ipip) add_ipip_path(b.block->block, *b.underlay, in, out);
  }
}

void IpipBackend::reconcile_before_routes(const DesiredState& desired, kernel::KernelOps& kernel, ReconcileReport& report) {
  const IpipState& want = desired.ipip;
  if (!want.wanted) return;  // removals run after the routes that use them are gone
  cleaned_ = false;
  if (want.dataplane == IpipDataplane::kernel) return reconcile_tunl0(want, kernel, report);
  auto ifindex = device_index(want.device, kernel, report);
  if (!ifindex) return report.error(ifindex.error());
  if (!ensure_programs(want, *ifindex, kernel, report)) return;
  apply_maps(want, kernel, report, /*removing=*/false);
}

void IpipBackend::reconcile_after_routes(const DesiredState& desired, kernel::KernelOps& kernel, ReconcileReport& report) {
  const IpipState& want = desired.ipip;
  if (want.dataplane == IpipDataplane::kernel) return;  // tunl0 belongs to the ipip module: left as it is
  if (want.wanted) return apply_maps(want, kernel, report, /*removing=*/true);
  // No pool uses IPIP (any more): once per change, take the programs off and empty the maps.
  if (cleaned_ || want.device.empty()) return;
  detach_programs(want, kernel, report);
  apply_maps(want, kernel, report, /*removing=*/true);
  cleaned_ = report.ok();
}

void IpipBackend::reconcile_tunl0(const IpipState& want, kernel::KernelOps& kernel, ReconcileReport& report) {
  auto link = kernel.find_link(want.device);
  if (!link) {
    report.problems.push_back("ipip: dataplane kernel needs the ipip module's " + want.device +
                              " device, which this kernel does not have (use --dataplane ebpf)");
    return report.error(link.error());
  }
  report.devices[want.device] = link->index;
  if (link->mtu != want.mtu) {
    if (auto r = kernel.set_link_mtu(link->index, want.mtu); !r) report.error(r.error());
    else report.change("set " + want.device + " mtu " + std::to_string(want.mtu));
  }
  if (!link->up) {
    if (auto r = kernel.set_link_up(link->index, true); !r) report.error(r.error());
    else report.change("set " + want.device + " up");
  }
  auto addresses = kernel.list_addresses(link->index, Family::v4);
  if (!addresses) return report.error(addresses.error());
  bool have = false;
  for (const auto& a : *addresses) {
    if (want.tunnel_address && a.address == want.tunnel_address->address() && a.prefix_length == 32) {
      have = true;
      continue;
    }
    if (auto r = kernel.delete_address(a); !r) report.error(r.error());
    else report.change("address del " + a.to_string() + " dev " + want.device);
  }
  if (want.tunnel_address && !have) {
    const kernel::LinkAddress a{link->index, want.tunnel_address->address(), 32};
    if (auto r = kernel.add_address(a); !r) report.error(r.error());
    else report.change("address add " + a.to_string() + " dev " + want.device);
  }
}

bool IpipBackend::ensure_programs(const IpipState& want, int ifindex, kernel::KernelOps& kernel, ReconcileReport& report) {
  if (!loaded_ || loaded_dir_ != want.pin_dir) {
    auto loaded = kernel.bpf_load(ipip_object(want.pin_dir));
    if (!loaded) {
      report.problems.push_back("ipip: the kernel refused weft's eBPF IPIP program, so IPIP pools are not encapsulated "
                                "on this node: " + loaded.error().message);
      report.error(loaded.error());
      return false;
    }
    loaded_ = std::move(*loaded);
    loaded_dir_ = want.pin_dir;
  }
  bool ok = true;
  for (const auto& [program, direction] : kPrograms) {
    const std::string& tag = loaded_->tags[std::string(program)];
    auto attached = kernel.tc_program(ifindex, direction);
    if (!attached) {
      report.error(attached.error());
      ok = false;
      continue;
    }
    if (*attached && (*attached)->tag == tag) continue;
    const std::string what = std::string(program) + " on " + want.device + " " + std::string(kernel::to_string(direction)) +
                             (*attached ? " (replacing " + (*attached)->name + " tag " + (*attached)->tag + ")" : "");
    if (auto r = kernel.tc_attach(ifindex, direction, kernel::bpf_program_pin(want.pin_dir, program)); !r) {
      report.error(r.error());
      ok = false;
      continue;
    }
    report.change("tc attach " + what);
  }
  return ok;
}

void IpipBackend::apply_maps(const IpipState& want, kernel::KernelOps& kernel, ReconcileReport& report, bool removing) {
  const std::pair<std::string_view, const std::vector<kernel::BpfMapEntry>*> maps[] = {
      {kIpipTunnelMap, &want.tunnels}, {kIpipPoolMap, &want.pools}, {kIpipNodeMap, &want.nodes}};
  for (const auto& [map, entries] : maps) {
    const std::string pin = kernel::bpf_map_pin(want.pin_dir, map);
    auto have = kernel.bpf_map_entries(pin);
    if (!have) {
      // Never loaded on this host (no IPIP pool ever): nothing to remove.
      if (!(removing && have.error().code == Errc::not_found)) report.error(have.error());
      continue;
    }
    std::map<kernel::Bytes, kernel::Bytes> current;
    for (auto& e : *have) current[e.key] = e.value;
    if (!removing) {
      for (const auto& e : *entries) {
        auto it = current.find(e.key);
        if (it != current.end() && it->second == e.value) continue;
        if (auto r = kernel.bpf_map_update(pin, e); !r) report.error(r.error());
        else report.change("bpf map " + std::string(map) + " set " + describe(map, e));
      }
      continue;
    }
    std::set<kernel::Bytes> wanted_keys;
    for (const auto& e : *entries) wanted_keys.insert(e.key);
    for (const auto& [key, value] : current) {
      if (wanted_keys.contains(key)) continue;
      if (auto r = kernel.bpf_map_delete(pin, key); !r) report.error(r.error());
      else report.change("bpf map " + std::string(map) + " delete " + describe(map, {key, value}));
    }
  }
}

void IpipBackend::detach_programs(const IpipState& want, kernel::KernelOps& kernel, ReconcileReport& report) {
  auto ifindex = device_index(want.device, kernel, report);
  if (!ifindex) return report.error(ifindex.error());
  for (const auto& [program, direction] : kPrograms) {
    auto attached = kernel.tc_program(*ifindex, direction);
    if (!attached) {
      report.error(attached.error());
      continue;
    }
    if (!*attached || !(*attached)->name.starts_with("weft_ipip")) continue;  // not ours
    if (auto r = kernel.tc_detach(*ifindex, direction); !r) report.error(r.error());
    else report.change("tc detach " + (*attached)->name + " from " + want.device + " " + std::string(kernel::to_string(direction)));
  }
}

}  // namespace weft::dataplane
