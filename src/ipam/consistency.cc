#include "ipam/consistency.h"

#include <algorithm>
#include <tuple>

#include "ipam/ipam_protocol.h"
#include "model/keys.h"

namespace weft::ipam::consistency {
namespace {

Attachment attachment_of(const AllocationRecord& r) { return {r.node, r.container_id, r.ifname}; }
Attachment attachment_of(const model::Endpoint& ep) { return {ep.node, ep.container_id, ep.ifname}; }

std::string endpoint_key(const Attachment& a) { return model::keys::endpoint(a.node, a.container_id, a.ifname); }

std::string block_text(std::string_view pool, const Prefix& block) { return std::string(pool) + " " + block.to_string(); }

std::string pod_of(const model::Endpoint& ep) {
  return ep.pod_name.empty() ? "" : " (pod " + ep.pod_namespace + "/" + ep.pod_name + ")";
}

std::string join(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : std::string(sep)) + p;
  return out;
}

// Who holds an address, from both sides.
struct Holders {
  struct Allocated {
    std::string pool;
    Prefix block;
    Attachment attachment;
  };
  std::vector<Allocated> allocated;
  std::vector<const model::Endpoint*> endpoints;
};

std::map<IpAddress, Holders> index_addresses(const StoreState& store) {
  std::map<IpAddress, Holders> out;
  for (const auto& r : store.allocations) {
    for (const auto& [address, record] : r.addresses) out[address].allocated.push_back({r.pool, r.block, attachment_of(record)});
  }
  for (const auto& ep : store.endpoints) {
    for (const auto& a : ep.addresses) {
      auto& eps = out[a.address].endpoints;
      if (std::find(eps.begin(), eps.end(), &ep) == eps.end()) eps.push_back(&ep);
    }
  }
  return out;
}

void duplicate_addresses(const std::map<IpAddress, Holders>& index, Report& out) {
  for (const auto& [address, h] : index) {
    if (h.allocated.size() < 2 && h.endpoints.size() < 2) continue;
    Finding f{.check = Check::duplicate_address, .addresses = {address}};
    for (const auto& a : h.allocated) {
      f.holders.push_back("allocation in " + block_text(a.pool, a.block) + " to " + a.attachment.to_string());
    }
    for (const auto* ep : h.endpoints) f.holders.push_back("endpoint " + attachment_of(*ep).to_string() + pod_of(*ep));
    f.message = address.to_string() + " is held " + std::to_string(f.holders.size()) + " times: " + join(f.holders, "; ");
    out.findings.push_back(std::move(f));
  }
}

// CIDR prefixes either nest or are disjoint, so in order of first address (then shortest first)
// every prefix overlaps exactly those on a stack of the earlier ones still containing it.
void overlapping_blocks(const StoreState& store, Report& out) {
  struct Block {
    Prefix prefix;
    std::string pool;
    std::string what;  // "held by h1", "reserved for h1", "allocations only"
  };
  std::map<std::tuple<Prefix, std::string>, Block> blocks;
  for (const auto& b : store.blocks) {
    blocks[{b.block, b.pool}] = {b.block, b.pool, (b.reserved ? "reserved for " : "held by ") + b.node};
  }
  for (const auto& r : store.allocations) blocks.try_emplace({r.block, r.pool}, Block{r.block, r.pool, "allocations only"});
  std::vector<const Block*> open;
  for (const auto& [k, block] : blocks) {  // Prefix orders by address, then length
    const Block* b = &block;
    while (!open.empty() && !open.back()->prefix.contains(b->prefix)) open.pop_back();
    for (const Block* outer : open) {
      Finding f{.check = Check::overlapping_blocks};
      f.holders = {block_text(outer->pool, outer->prefix) + " (" + outer->what + ")",
                   block_text(b->pool, b->prefix) + " (" + b->what + ")"};
      f.message = f.holders[0] + " overlaps " + f.holders[1];
      out.findings.push_back(std::move(f));
    }
    open.push_back(b);
  }
}

bool lists(const model::Endpoint& ep, const IpAddress& address) {
  return std::any_of(ep.addresses.begin(), ep.addresses.end(), [&](const auto& a) { return a.address == address; });
}

void allocations_without_endpoint(const StoreState& store, Report& out) {
  std::map<Attachment, const model::Endpoint*> endpoints;
  for (const auto& ep : store.endpoints) endpoints[attachment_of(ep)] = &ep;
  for (const auto& r : store.allocations) {
    for (const auto& [address, record] : r.addresses) {
      const Attachment a = attachment_of(record);
      if (store.unreadable.contains(endpoint_key(a))) continue;  // its endpoint may well list it
      auto ep = endpoints.find(a);
      if (ep != endpoints.end() && lists(*ep->second, address)) continue;
      Finding f{.check = Check::allocation_without_endpoint, .node = a.node, .attachment = a, .addresses = {address},
                .pool = r.pool, .block = r.block};
      f.message = address.to_string() + " in " + block_text(r.pool, r.block) + " is allocated to " + a.to_string() +
                  (ep == endpoints.end() ? ", which has no endpoint" : ", whose endpoint does not list it");
      out.findings.push_back(std::move(f));
    }
  }
}

void endpoints_without_allocation(const StoreState& store, const std::map<IpAddress, Holders>& index, Report& out) {
  for (const auto& ep : store.endpoints) {
    const Attachment a = attachment_of(ep);
    Finding f{.check = Check::endpoint_without_allocation, .node = ep.node, .attachment = a};
    for (const auto& listed : ep.addresses) {
      // An unreadable record may hold it: not judged (the record is a finding of its own).
      if (store.unreadable.contains(model::keys::allocation(listed.pool, listed.block))) continue;
      const auto& allocated = index.at(listed.address).allocated;
      const bool ours = std::any_of(allocated.begin(), allocated.end(), [&](const auto& h) { return h.attachment == a; });
      if (!ours) f.addresses.push_back(listed.address);
    }
    std::vector<std::string> texts;
    for (const auto& address : f.addresses) texts.push_back(address.to_string());
    if (ep.addresses.empty()) {
      f.message = a.to_string() + pod_of(ep) + " lists no address";
    } else if (!f.addresses.empty()) {
      f.message = a.to_string() + pod_of(ep) + " lists " + join(texts, ", ") + " without an allocation";
    } else {
      continue;
    }
    out.findings.push_back(std::move(f));
  }
}

void endpoints_without_veth(const StoreState& store, const std::vector<KernelState>& kernels, Report& out) {
  for (const auto& k : kernels) {
    std::set<std::string> names;
    for (const auto& [index, name] : k.links) names.insert(name);
    for (const auto& ep : store.endpoints) {
      if (ep.node != k.node) continue;
      const std::string veth = ep.host_veth.empty() ? protocol::host_veth_name(ep.container_id, ep.ifname) : ep.host_veth;
      if (names.contains(veth)) continue;
      Finding f{.check = Check::endpoint_without_veth, .node = ep.node, .attachment = attachment_of(ep), .veth = veth,
                .endpoint_created_at_unix = ep.created_at_unix};
      for (const auto& a : ep.addresses) f.addresses.push_back(a.address);
      f.message = attachment_of(ep).to_string() + pod_of(ep) + ": no device " + veth + " on " + k.node;
      out.findings.push_back(std::move(f));
    }
  }
}

void stale_routes(const StoreState& store, const std::vector<KernelState>& kernels, Report& out) {
  for (const auto& k : kernels) {
    for (const auto& route : k.routes) {
      auto why = stale_route_reason(store, route);
      if (!why) continue;
      Finding f{.check = Check::stale_route, .node = k.node, .route = route};
      f.route_text = kernel::to_string(route, [&](int index) {
        auto it = k.links.find(index);
        return it != k.links.end() ? it->second : "#" + std::to_string(index);
      });
      f.message = k.node + ": " + f.route_text + ": " + *why;
      out.findings.push_back(std::move(f));
    }
  }
}

}  // namespace

std::string_view title(Check check) {
  switch (check) {
    case Check::duplicate_address: return "duplicate addresses";
    case Check::overlapping_blocks: return "overlapping blocks";
    case Check::allocation_without_endpoint: return "allocations without endpoint";
    case Check::endpoint_without_allocation: return "endpoints without allocation";
    case Check::endpoint_without_veth: return "endpoints without veth";
    case Check::stale_route: return "stale weft routes";
    case Check::unreadable_record: return "unreadable records";
  }
  return "?";
}

std::string_view json_name(Check check) {
  switch (check) {
    case Check::duplicate_address: return "duplicateAddresses";
    case Check::overlapping_blocks: return "overlappingBlocks";
    case Check::allocation_without_endpoint: return "allocationsWithoutEndpoint";
    case Check::endpoint_without_allocation: return "endpointsWithoutAllocation";
    case Check::endpoint_without_veth: return "endpointsWithoutVeth";
    case Check::stale_route: return "staleRoutes";
    case Check::unreadable_record: return "unreadableRecords";
  }
  return "?";
}

bool needs_kernel(Check check) { return check == Check::endpoint_without_veth || check == Check::stale_route; }

std::string Attachment::to_string() const { return node + "/" + container_id + "-" + ifname; }

size_t Report::count(Check check) const {
  return static_cast<size_t>(std::count_if(findings.begin(), findings.end(), [&](const Finding& f) { return f.check == check; }));
}

std::optional<std::string> stale_route_reason(const StoreState& store, const kernel::Route& route) {
  if (route.protocol != kernel::kWeftRouteProtocol) return std::nullopt;
  const Prefix& dst = route.destination;
  std::vector<const model::Pool*> pools;
  for (const auto& p : store.pools) {
    if (p.block_length == dst.length() && p.cidr.contains(dst)) pools.push_back(&p);
  }
  if (pools.empty()) return std::nullopt;  // not a block: nothing to say
  std::vector<const model::BlockAffinity*> holders;
  for (const auto* p : pools) {
    if (store.unreadable.contains(model::keys::block(p->name, dst))) return std::nullopt;
    for (const auto& b : store.blocks) {
      if (b.pool == p->name && b.block == dst) holders.push_back(&b);
    }
  }
  if (holders.empty()) return "no node holds " + dst.to_string();
  std::vector<std::string> gone;
  for (const auto* b : holders) {
    if (b->reserved || store.live_nodes.contains(b->node)) return std::nullopt;
    gone.push_back(b->node);
  }
  return dst.to_string() + " is held by " + join(gone, ", ") + ", which has no liveness key (its lease is gone)";
}

Report check(const StoreState& store, const std::vector<KernelState>& kernels) {
  Report out;
  for (const auto& k : kernels) out.kernel_nodes.push_back(k.node);
  std::sort(out.kernel_nodes.begin(), out.kernel_nodes.end());
  const auto index = index_addresses(store);
  duplicate_addresses(index, out);
  overlapping_blocks(store, out);
  allocations_without_endpoint(store, out);
  endpoints_without_allocation(store, index, out);
  endpoints_without_veth(store, kernels, out);
  stale_routes(store, kernels, out);
  for (const auto& [key, why] : store.unreadable) {
    out.findings.push_back(Finding{.check = Check::unreadable_record, .message = why, .key = key});
  }
  return out;
}

}  // namespace weft::ipam::consistency
