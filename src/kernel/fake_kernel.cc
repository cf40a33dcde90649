#include "kernel/fake_kernel.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>

#include "kernel/errors.h"

namespace weft::kernel {
namespace {

std::string dev(int index) { return " dev #" + std::to_string(index); }

std::string text(const Neighbour& n) {
  return n.address.to_string() + (n.mac ? " lladdr " + n.mac->to_string() : "") + dev(n.ifindex);
}
std::string text(const FdbEntry& f) { return f.mac.to_string() + " dst " + f.remote.to_string() + dev(f.ifindex); }

bool same_slot(const Route& a, const Route& b) {
  return a.table == b.table && a.destination == b.destination && a.effective_metric() == b.effective_metric();
}

std::unexpected<Error> failed(const std::string& call, int err) {
  const Error e = errno_error(err);
  return std::unexpected(Error{e.code, call + ": " + e.message});
}

}  // namespace

// ---- test controls

LinkInfo FakeKernel::add_device(LinkInfo link) {
  std::lock_guard lock(mutex_);
  return new_link(std::move(link));
}

void FakeKernel::add_route_silently(const Route& route) {
  std::lock_guard lock(mutex_);
  std::erase_if(routes_, [&](const Route& r) { return same_slot(r, route); });
  routes_.push_back(route);
}

void FakeKernel::add_address_silently(const LinkAddress& address) {
  std::lock_guard lock(mutex_);
  addresses_.push_back(address);
}

void FakeKernel::set_peer_namespace(int fd, FakeKernel* peer) {
  std::lock_guard lock(mutex_);
  peer_namespaces_[fd] = peer;
}

void FakeKernel::fail_call(int n, int err) {
  std::lock_guard lock(mutex_);
  armed_[call_count_ + static_cast<uint64_t>(n)] = err;
}

std::vector<std::string> FakeKernel::calls() const {
  std::lock_guard lock(mutex_);
  return calls_;
}

std::vector<std::string> FakeKernel::writes() const {
  std::lock_guard lock(mutex_);
  return writes_;
}

void FakeKernel::clear_calls() {
  std::lock_guard lock(mutex_);
  calls_.clear();
  writes_.clear();
}

std::vector<Route> FakeKernel::routes() const {
  std::lock_guard lock(mutex_);
  return routes_;
}

std::optional<std::string> FakeKernel::sysctl(const std::string& key) const {
  std::lock_guard lock(mutex_);
  auto it = sysctls_.find(key);
  if (it == sysctls_.end()) return std::nullopt;
  return it->second;
}

// ---- internals

std::optional<Error> FakeKernel::begin(std::string call, bool write) {
  ++call_count_;
  calls_.push_back(call);
  if (write) writes_.push_back(call);
  auto it = armed_.find(call_count_);
  if (it == armed_.end()) return std::nullopt;
  const int err = it->second;
  armed_.erase(it);
  return failed(call, err).error();
}

LinkInfo* FakeKernel::link_by_index(int index) {
  auto it = links_.find(index);
  return it == links_.end() ? nullptr : &it->second;
}

LinkInfo* FakeKernel::link_by_name(std::string_view name) {
  for (auto& [index, link] : links_) {
    if (link.name == name) return &link;
  }
  return nullptr;
}

LinkInfo FakeKernel::new_link(LinkInfo link) {
  link.index = next_index_++;
  if (!link.mac) link.mac = MacAddress({0x02, 0, 0, 0, static_cast<uint8_t>(link.index >> 8), static_cast<uint8_t>(link.index)});
  if (link.mtu == 0) link.mtu = 1500;
  links_[link.index] = link;
  return link;
}

void FakeKernel::remove_link(int index) {
  links_.erase(index);
  std::erase_if(addresses_, [&](const LinkAddress& a) { return a.ifindex == index; });
  std::erase_if(routes_, [&](const Route& r) {
    return std::any_of(r.nexthops.begin(), r.nexthops.end(), [&](const Nexthop& nh) { return nh.ifindex == index; });
  });
  std::erase_if(neighbours_, [&](const auto& kv) { return kv.first.first == index; });
  std::erase_if(fdb_, [&](const auto& kv) { return kv.first.first == index; });
}

// ---- devices

Result<LinkInfo> FakeKernel::create_veth(const VethSpec& spec) {
  std::unique_lock lock(mutex_);
  if (auto e = begin("create_veth " + spec.name + " peer " + spec.peer_name, true)) return std::unexpected(*e);
  if (link_by_name(spec.name) != nullptr) return failed("create_veth " + spec.name, EEXIST);
  FakeKernel* peer_ns = this;
  if (spec.peer_netns_fd != -1) {
    auto it = peer_namespaces_.find(spec.peer_netns_fd);
    if (it == peer_namespaces_.end()) return failed("create_veth " + spec.name, EBADF);  // as the kernel would
    peer_ns = it->second;
  }
  auto local = new_link(LinkInfo{.name = spec.name, .kind = "veth", .mtu = spec.mtu, .mac = spec.mac});
  LinkInfo peer{.name = spec.peer_name, .kind = "veth", .mtu = spec.mtu, .mac = spec.peer_mac, .link = local.index};
  if (peer_ns == this) {
    peer = new_link(peer);
  } else {
    // Lock order: by address, so that two fakes creating veths into each other cannot deadlock.
    lock.unlock();
    std::scoped_lock both(mutex_, peer_ns->mutex_);
    peer = peer_ns->new_link(peer);
    links_[local.index].link = peer.index;
    return links_[local.index];
  }
  links_[local.index].link = peer.index;
  return links_[local.index];
}

Result<LinkInfo> FakeKernel::create_vxlan(const VxlanSpec& spec) {
  std::lock_guard lock(mutex_);
  if (auto e = begin("create_vxlan " + spec.name + " vni " + std::to_string(spec.vni), true)) return std::unexpected(*e);
  if (link_by_name(spec.name) != nullptr) return failed("create_vxlan " + spec.name, EEXIST);
  return new_link(LinkInfo{.name = spec.name,
                           .kind = "vxlan",
                           .mtu = spec.mtu == 0 ? 1450 : spec.mtu,
                           .mac = spec.mac,
                           .vxlan = VxlanInfo{.vni = spec.vni, .port = spec.port, .local = spec.local,
                                              .underlay = spec.underlay, .learning = spec.learning}});
}

Result<LinkInfo> FakeKernel::get_link(int index) {
  std::lock_guard lock(mutex_);
  if (auto e = begin("get_link" + dev(index), false)) return std::unexpected(*e);
  if (auto* l = link_by_index(index)) return *l;
  return failed("get_link" + dev(index), ENODEV);
}

Result<LinkInfo> FakeKernel::find_link(std::string_view name) {
  std::lock_guard lock(mutex_);
  const std::string call = "find_link " + std::string(name);
  if (auto e = begin(call, false)) return std::unexpected(*e);
  if (auto* l = link_by_name(name)) return *l;
  return failed(call, ENODEV);
}

Result<std::vector<LinkInfo>> FakeKernel::list_links() {
  std::lock_guard lock(mutex_);
  if (auto e = begin("list_links", false)) return std::unexpected(*e);
  std::vector<LinkInfo> out;
  for (const auto& [index, link] : links_) out.push_back(link);
  return out;
}

Result<void> FakeKernel::set_link_up(int index, bool up) {
  std::lock_guard lock(mutex_);
  const std::string call = "set_link_up" + dev(index) + (up ? " up" : " down");
  if (auto e = begin(call, true)) return std::unexpected(*e);
  auto* l = link_by_index(index);
  if (l == nullptr) return failed(call, ENODEV);
  l->up = up;
  l->lower_up = up;
  return {};
}

Result<void> FakeKernel::set_link_mtu(int index, uint32_t mtu) {
  std::lock_guard lock(mutex_);
  const std::string call = "set_link_mtu" + dev(index) + " " + std::to_string(mtu);
  if (auto e = begin(call, true)) return std::unexpected(*e);
  auto* l = link_by_index(index);
  if (l == nullptr) return failed(call, ENODEV);
  l->mtu = mtu;
  return {};
}

Result<void> FakeKernel::set_link_mac(int index, const MacAddress& mac) {
  std::lock_guard lock(mutex_);
  const std::string call = "set_link_mac" + dev(index) + " " + mac.to_string();
  if (auto e = begin(call, true)) return std::unexpected(*e);
  auto* l = link_by_index(index);
  if (l == nullptr) return failed(call, ENODEV);
  l->mac = mac;
  return {};
}

Result<void> FakeKernel::delete_link(int index) {
  std::lock_guard lock(mutex_);
  const std::string call = "delete_link" + dev(index);
  if (auto e = begin(call, true)) return std::unexpected(*e);
  auto* l = link_by_index(index);
  if (l == nullptr) return failed(call, ENODEV);
  const int peer = l->kind == "veth" ? l->link : 0;
  const bool peer_here = peer != 0 && link_by_index(peer) != nullptr && link_by_index(peer)->link == index;
  remove_link(index);
  if (peer_here) remove_link(peer);
  return {};
}

// ---- addresses

Result<void> FakeKernel::add_address(const LinkAddress& a) {
  std::lock_guard lock(mutex_);
  const std::string call = "add_address " + a.to_string() + dev(a.ifindex);
  if (auto e = begin(call, true)) return std::unexpected(*e);
  if (link_by_index(a.ifindex) == nullptr) return failed(call, ENODEV);
  for (const auto& have : addresses_) {
    if (have.ifindex != a.ifindex || have.address != a.address) continue;
    if (have.prefix_length == a.prefix_length) return {};
    return failed(call, EEXIST);
  }
  addresses_.push_back(a);
  return {};
}

Result<void> FakeKernel::delete_address(const LinkAddress& a) {
  std::lock_guard lock(mutex_);
  const std::string call = "delete_address " + a.to_string() + dev(a.ifindex);
  if (auto e = begin(call, true)) return std::unexpected(*e);
  auto it = std::find(addresses_.begin(), addresses_.end(), a);
  if (it == addresses_.end()) return failed(call, EADDRNOTAVAIL);
  addresses_.erase(it);
  return {};
}

Result<std::vector<LinkAddress>> FakeKernel::list_addresses(int ifindex, std::optional<Family> family) {
  std::lock_guard lock(mutex_);
  if (auto e = begin("list_addresses" + dev(ifindex), false)) return std::unexpected(*e);
  std::vector<LinkAddress> out;
  for (const auto& a : addresses_) {
    if (ifindex != 0 && a.ifindex != ifindex) continue;
    if (family && a.address.family() != *family) continue;
    out.push_back(a);
  }
  return out;
}

// ---- routes

Result<void> FakeKernel::replace_route(const Route& route) {
  std::lock_guard lock(mutex_);
  const std::string call = "replace_route " + to_string(route);
  if (auto e = begin(call, true)) return std::unexpected(*e);
  if (route.type == RouteType::unicast && route.nexthops.empty()) return failed(call, EINVAL);
  for (const auto& nh : route.nexthops) {
    if (nh.ifindex != 0 && link_by_index(nh.ifindex) == nullptr) return failed(call, ENODEV);
    if (nh.gateway && nh.gateway->family() != route.destination.family()) return failed(call, EINVAL);
  }
  std::erase_if(routes_, [&](const Route& r) { return same_slot(r, route); });
  routes_.push_back(route);
  return {};
}

Result<void> FakeKernel::delete_route(const Route& route) {
  std::lock_guard lock(mutex_);
  const std::string call = "delete_route " + to_string(route);
  if (auto e = begin(call, true)) return std::unexpected(*e);
  auto it = std::find_if(routes_.begin(), routes_.end(), [&](const Route& r) {
    return same_slot(r, route) && r.protocol == route.protocol && (route.nexthops.empty() || r == route);
  });
  if (it == routes_.end()) return failed(call, ESRCH);
  routes_.erase(it);
  return {};
}

Result<std::vector<Route>> FakeKernel::list_routes(const RouteFilter& filter) {
  std::lock_guard lock(mutex_);
  if (auto e = begin("list_routes", false)) return std::unexpected(*e);
  std::vector<Route> out;
  for (const auto& r : routes_) {
    if (filter.family && r.destination.family() != *filter.family) continue;
    if (filter.table && r.table != *filter.table) continue;
    if (filter.protocol && r.protocol != *filter.protocol) continue;
    out.push_back(r);
  }
  return out;
}

Result<Route> FakeKernel::lookup_route(const IpAddress& destination) {
  std::lock_guard lock(mutex_);
  const std::string call = "lookup_route " + destination.to_string();
  if (auto e = begin(call, false)) return std::unexpected(*e);
  const Route* best = nullptr;
  for (const auto& r : routes_) {
    if (r.table != kMainTable || !r.destination.contains(destination)) continue;
    if (best == nullptr || r.destination.length() > best->destination.length()) best = &r;
  }
  if (best == nullptr || best->type != RouteType::unicast) return failed(call, ENETUNREACH);
  return *best;
}

// ---- neighbours and FDB

Result<void> FakeKernel::replace_neighbour(const Neighbour& n) {
  std::lock_guard lock(mutex_);
  const std::string call = "replace_neighbour " + text(n);
  if (auto e = begin(call, true)) return std::unexpected(*e);
  if (!n.mac) return failed(call, EINVAL);
  if (link_by_index(n.ifindex) == nullptr) return failed(call, ENODEV);
  Neighbour stored = n;
  stored.permanent = true;
  neighbours_[{n.ifindex, n.address}] = stored;
  return {};
}

Result<void> FakeKernel::delete_neighbour(const Neighbour& n) {
  std::lock_guard lock(mutex_);
  const std::string call = "delete_neighbour " + text(n);
  if (auto e = begin(call, true)) return std::unexpected(*e);
  if (neighbours_.erase({n.ifindex, n.address}) == 0) return failed(call, ENOENT);
  return {};
}

Result<std::vector<Neighbour>> FakeKernel::list_neighbours(int ifindex, bool all_states) {
  std::lock_guard lock(mutex_);
  if (auto e = begin("list_neighbours" + dev(ifindex), false)) return std::unexpected(*e);
  std::vector<Neighbour> out;
  for (const auto& [key, n] : neighbours_) {
    if (key.first == ifindex && (all_states || n.permanent)) out.push_back(n);
  }
  return out;
}

Result<void> FakeKernel::replace_fdb(const FdbEntry& f) {
  std::lock_guard lock(mutex_);
  const std::string call = "replace_fdb " + text(f);
  if (auto e = begin(call, true)) return std::unexpected(*e);
  if (link_by_index(f.ifindex) == nullptr) return failed(call, ENODEV);
  fdb_[{f.ifindex, f.mac}] = f;
  return {};
}

Result<void> FakeKernel::delete_fdb(const FdbEntry& f) {
  std::lock_guard lock(mutex_);
  const std::string call = "delete_fdb " + text(f);
  if (auto e = begin(call, true)) return std::unexpected(*e);
  auto it = fdb_.find({f.ifindex, f.mac});
  if (it == fdb_.end() || it->second.remote != f.remote) return failed(call, ENOENT);
  fdb_.erase(it);
  return {};
}

Result<std::vector<FdbEntry>> FakeKernel::list_fdb(int ifindex) {
  std::lock_guard lock(mutex_);
  if (auto e = begin("list_fdb" + dev(ifindex), false)) return std::unexpected(*e);
  std::vector<FdbEntry> out;
  for (const auto& [key, f] : fdb_) {
    if (key.first == ifindex) out.push_back(f);
  }
  return out;
}

// ---- sysctl and nftables

Result<void> FakeKernel::write_sysctl(std::string_view key, std::string_view value) {
  std::lock_guard lock(mutex_);
  const std::string call = "write_sysctl " + std::string(key) + "=" + std::string(value);
  if (auto e = begin(call, true)) return std::unexpected(*e);
  sysctls_[std::string(key)] = std::string(value);
  return {};
}

Result<void> FakeKernel::nft_replace_table(const NftTable& table) {
  std::lock_guard lock(mutex_);
  if (auto e = begin("nft_replace_table " + table.family + " " + table.name, true)) return std::unexpected(*e);
  nft_[table.family + " " + table.name] = table;
  ++nft_generation_;
  return {};
}

Result<void> FakeKernel::nft_delete_table(std::string_view family, std::string_view name) {
  std::lock_guard lock(mutex_);
  const std::string id = std::string(family) + " " + std::string(name);
  if (auto e = begin("nft_delete_table " + id, true)) return std::unexpected(*e);
  if (nft_.erase(id) == 0) return failed("nft_delete_table " + id, ENOENT);
  ++nft_generation_;
  return {};
}

Result<std::optional<NftTable>> FakeKernel::nft_get_table(std::string_view family, std::string_view name) {
  std::lock_guard lock(mutex_);
  const std::string id = std::string(family) + " " + std::string(name);
  if (auto e = begin("nft_get_table " + id, false)) return std::unexpected(*e);
  auto it = nft_.find(id);
  if (it == nft_.end()) return std::optional<NftTable>{};
  return std::optional<NftTable>(it->second);
}

namespace {

template <class T>
auto find_named(std::vector<T>& items, const std::string& name) {
  return std::find_if(items.begin(), items.end(), [&](const T& x) { return x.name == name; });
}

// The patch applied to `t` in the kernel's order (nft_table.h, NftTablePatch); errno on failure.
int apply_patch(NftTable& t, const NftTablePatch& patch) {
  for (const auto& set : patch.add_sets) {
    if (find_named(t.sets, set.name) != t.sets.end()) return EEXIST;
    t.sets.push_back(set);
  }
  for (const auto& chain : patch.add_chains) {
    if (find_named(t.chains, chain.name) != t.chains.end()) return EEXIST;
    t.chains.push_back(chain);
  }
  for (const auto& chain : patch.rewrite_chains) {
    auto c = find_named(t.chains, chain.name);
    if (c == t.chains.end()) return ENOENT;
    c->rules = chain.rules;
  }
  for (const auto& change : patch.elements) {
    auto set = find_named(t.sets, change.set);
    if (set == t.sets.end()) return ENOENT;
    for (const auto& key : change.remove) {
      auto e = std::find_if(set->elements.begin(), set->elements.end(), [&](const std::string& x) { return element_key(x) == key; });
      if (e == set->elements.end()) return ENOENT;
      set->elements.erase(e);
    }
  }
  for (const auto& change : patch.elements) {
    auto set = find_named(t.sets, change.set);
    for (const auto& element : change.add) {
      const auto key = element_key(element);
      if (std::any_of(set->elements.begin(), set->elements.end(), [&](const std::string& x) { return element_key(x) == key; })) {
        return EEXIST;
      }
      set->elements.push_back(element);
    }
  }
  for (const auto& name : patch.delete_chains) {
    auto c = find_named(t.chains, name);
    if (c == t.chains.end()) return ENOENT;
    t.chains.erase(c);
  }
  for (const auto& set : patch.delete_sets) {
    auto s = find_named(t.sets, set.name);
    if (s == t.sets.end()) return ENOENT;
    t.sets.erase(s);
  }
  return 0;
}

}  // namespace

Result<void> FakeKernel::nft_patch_table(std::string_view family, std::string_view name, const NftTablePatch& patch) {
  std::lock_guard lock(mutex_);
  const std::string id = std::string(family) + " " + std::string(name);
  if (auto e = begin("nft_patch_table " + id, true)) return std::unexpected(*e);
  auto it = nft_.find(id);
  if (it == nft_.end()) return failed("nft_patch_table " + id, ENOENT);
  NftTable edited = it->second;  // all or nothing, as one nft transaction
  if (const int err = apply_patch(edited, patch)) return failed("nft_patch_table " + id, err);
  it->second = std::move(edited);
  ++nft_generation_;
  return {};
}

Result<uint32_t> FakeKernel::nft_generation() {
  std::lock_guard lock(mutex_);
  if (auto e = begin("nft_generation", false)) return std::unexpected(*e);
  return nft_generation_;
}

namespace {

std::string hex_bytes(const Bytes& bytes) {
  std::string out;
  char buf[3];
  for (uint8_t b : bytes) {
    std::snprintf(buf, sizeof buf, "%02x", b);
    out += buf;
  }
  return out;
}

}  // namespace

Result<BpfLoaded> FakeKernel::bpf_load(const BpfObjectSpec& spec) {
  std::lock_guard lock(mutex_);
  if (auto e = begin("bpf_load " + spec.name + " " + spec.pin_dir, true)) return std::unexpected(*e);
  BpfLoaded out;
  for (const auto& program : spec.programs) {
    uint64_t hash = 1469598103934665603ull;  // FNV-1a over the object and the program's name
    auto mix = [&](unsigned char c) {
      hash ^= c;
      hash *= 1099511628211ull;
    };
    for (unsigned char c : spec.elf) mix(c);
    for (unsigned char c : program) mix(c);
    char tag[17];
    std::snprintf(tag, sizeof tag, "%016llx", static_cast<unsigned long long>(hash));
    out.tags[program] = tag;
    pinned_programs_[bpf_program_pin(spec.pin_dir, program)] = tag;
  }
  bpf_pin_dirs_.insert(spec.pin_dir);
  return out;
}

Result<std::optional<TcProgram>> FakeKernel::tc_program(int ifindex, TcDirection direction) {
  std::lock_guard lock(mutex_);
  const std::string call = "tc_program #" + std::to_string(ifindex) + " " + std::string(to_string(direction));
  if (auto e = begin(call, false)) return std::unexpected(*e);
  if (link_by_index(ifindex) == nullptr) return failed(call, ENODEV);
  auto it = tc_.find({ifindex, direction});
  if (it == tc_.end()) return std::optional<TcProgram>{};
  return std::optional<TcProgram>(it->second);
}

Result<void> FakeKernel::tc_attach(int ifindex, TcDirection direction, const std::string& program_pin) {
  std::lock_guard lock(mutex_);
  const std::string call = "tc_attach #" + std::to_string(ifindex) + " " + std::string(to_string(direction)) + " " + program_pin;
  if (auto e = begin(call, true)) return std::unexpected(*e);
  if (link_by_index(ifindex) == nullptr) return failed(call, ENODEV);
  auto pinned = pinned_programs_.find(program_pin);
  if (pinned == pinned_programs_.end()) return failed(call, ENOENT);
  tc_[{ifindex, direction}] = TcProgram{.id = next_program_id_++,
                                        .name = program_pin.substr(program_pin.rfind('/') + 1),
                                        .tag = pinned->second};
  return {};
}

Result<void> FakeKernel::tc_detach(int ifindex, TcDirection direction) {
  std::lock_guard lock(mutex_);
  const std::string call = "tc_detach #" + std::to_string(ifindex) + " " + std::string(to_string(direction));
  if (auto e = begin(call, true)) return std::unexpected(*e);
  if (tc_.erase({ifindex, direction}) == 0) return failed(call, ENOENT);
  return {};
}

bool FakeKernel::map_exists(const std::string& map_pin) const {
  for (const auto& dir : bpf_pin_dirs_) {
    if (map_pin.starts_with(dir + "/maps/")) return true;
  }
  return false;
}

Result<std::vector<BpfMapEntry>> FakeKernel::bpf_map_entries(const std::string& map_pin) {
  std::lock_guard lock(mutex_);
  if (auto e = begin("bpf_map_entries " + map_pin, false)) return std::unexpected(*e);
  if (!map_exists(map_pin)) return failed("bpf_map_entries " + map_pin, ENOENT);
  std::vector<BpfMapEntry> out;
  for (const auto& [key, value] : bpf_maps_[map_pin]) out.push_back({key, value});
  return out;
}

Result<void> FakeKernel::bpf_map_update(const std::string& map_pin, const BpfMapEntry& entry) {
  std::lock_guard lock(mutex_);
  const std::string call = "bpf_map_update " + map_pin + " " + hex_bytes(entry.key) + " " + hex_bytes(entry.value);
  if (auto e = begin(call, true)) return std::unexpected(*e);
  if (!map_exists(map_pin)) return failed(call, ENOENT);
  bpf_maps_[map_pin][entry.key] = entry.value;
  return {};
}

Result<void> FakeKernel::bpf_map_delete(const std::string& map_pin, const Bytes& key) {
  std::lock_guard lock(mutex_);
  const std::string call = "bpf_map_delete " + map_pin + " " + hex_bytes(key);
  if (auto e = begin(call, true)) return std::unexpected(*e);
  if (!map_exists(map_pin) || bpf_maps_[map_pin].erase(key) == 0) return failed(call, ENOENT);
  return {};
}

void FakeKernel::set_tc_program_silently(int ifindex, TcDirection direction, TcProgram program) {
  std::lock_guard lock(mutex_);
  tc_[{ifindex, direction}] = std::move(program);
}

std::vector<BpfMapEntry> FakeKernel::bpf_map(const std::string& map_pin) const {
  std::lock_guard lock(mutex_);
  std::vector<BpfMapEntry> out;
  if (auto it = bpf_maps_.find(map_pin); it != bpf_maps_.end()) {
    for (const auto& [key, value] : it->second) out.push_back({key, value});
  }
  return out;
}

}  // namespace weft::kernel
