// FakeKernel: a recording KernelOps for unit tests (felix's netlink shim is the model). It keeps
// devices, addresses, routes, neighbour and FDB entries, sysctls, nftables tables, pinned BPF
// programs, tc attachments and BPF map entries as values,
// answers listings from them, logs every call, and can fail a chosen call with a chosen errno.
//
// Contract:
// - Behaves like the kernel where weft relies on it: replace_route keys routes by (table,
//   destination, metric); delete_route must match protocol and next hops (not_found otherwise);
//   deleting a device removes its addresses, the routes through it and its neighbour/FDB entries
//   (and a veth's peer when it is in this fake); lookup_route is a longest-prefix match over the
//   main table; list_routes honours RouteFilter; list_neighbours skips non-permanent entries
//   unless all_states.
// - calls() is every call in order as "op object" text (e.g. "replace_route 198.19.2.0/24 via
//   198.18.0.2 dev #2"), reads included; writes() only the calls that change state (successful
//   or not). clear_calls() forgets both.
// - fail_call(n, err): the n-th call from now (1 = the next one; reads count) fails with errno
//   `err` (mapped as the real kernel's would be, errors.h) and changes nothing. Several may be
//   armed at once.
// - Devices get indices from 1 in creation order; add_device() seeds one (an underlay, say).
// - Thread-safe (one mutex), like NetlinkKernel.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "kernel/kernel_ops.h"

namespace weft::kernel {

class FakeKernel final : public KernelOps {
 public:
  // Seeds a device as if it existed before (no call recorded); returns it with its new index.
  LinkInfo add_device(LinkInfo link);
  // Seeds a route / an address without recording a call.
  void add_route_silently(const Route& route);
  void add_address_silently(const LinkAddress& address);
  // A veth created with peer_netns_fd == fd puts its peer into `peer` (another fake).
  void set_peer_namespace(int fd, FakeKernel* peer);

  void fail_call(int n, int err);
  std::vector<std::string> calls() const;
  std::vector<std::string> writes() const;
  void clear_calls();

  // Puts a program at weft's tc slot as if someone else had (an older weftd, an operator).
  void set_tc_program_silently(int ifindex, TcDirection direction, TcProgram program);

  // State, for assertions.
  std::vector<Route> routes() const;
  std::vector<BpfMapEntry> bpf_map(const std::string& map_pin) const;
  std::optional<std::string> sysctl(const std::string& key) const;

  Result<LinkInfo> create_veth(const VethSpec& spec) override;
  Result<LinkInfo> create_vxlan(const VxlanSpec& spec) override;
  Result<LinkInfo> get_link(int index) override;
  Result<LinkInfo> find_link(std::string_view name) override;
  Result<std::vector<LinkInfo>> list_links() override;
  Result<void> set_link_up(int index, bool up) override;
  Result<void> set_link_mtu(int index, uint32_t mtu) override;
  Result<void> set_link_mac(int index, const MacAddress& mac) override;
  Result<void> delete_link(int index) override;

  Result<void> add_address(const LinkAddress& address) override;
  Result<void> delete_address(const LinkAddress& address) override;
  Result<std::vector<LinkAddress>> list_addresses(int ifindex, std::optional<Family> family = std::nullopt) override;

  Result<void> replace_route(const Route& route) override;
  Result<void> delete_route(const Route& route) override;
  Result<std::vector<Route>> list_routes(const RouteFilter& filter = {}) override;
  Result<Route> lookup_route(const IpAddress& destination) override;

  Result<void> replace_neighbour(const Neighbour& neighbour) override;
  Result<void> delete_neighbour(const Neighbour& neighbour) override;
  Result<std::vector<Neighbour>> list_neighbours(int ifindex, bool all_states = false) override;
  Result<void> replace_fdb(const FdbEntry& entry) override;
  Result<void> delete_fdb(const FdbEntry& entry) override;
  Result<std::vector<FdbEntry>> list_fdb(int ifindex) override;

  Result<void> write_sysctl(std::string_view key, std::string_view value) override;

  Result<void> nft_replace_table(const NftTable& table) override;
  Result<void> nft_delete_table(std::string_view family, std::string_view name) override;
  Result<std::optional<NftTable>> nft_get_table(std::string_view family, std::string_view name) override;
  Result<void> nft_patch_table(std::string_view family, std::string_view name, const NftTablePatch& patch) override;
  // Moves on with every successful nftables write, as the kernel's does with every commit.
  Result<uint32_t> nft_generation() override;

  // A loaded program's tag is a hash of the object's bytes and the program's name; maps exist
  // under the pin_dir of any object loaded before (empty until written).
  Result<BpfLoaded> bpf_load(const BpfObjectSpec& spec) override;
  Result<std::optional<TcProgram>> tc_program(int ifindex, TcDirection direction) override;
  Result<void> tc_attach(int ifindex, TcDirection direction, const std::string& program_pin) override;
  Result<void> tc_detach(int ifindex, TcDirection direction) override;
  Result<std::vector<BpfMapEntry>> bpf_map_entries(const std::string& map_pin) override;
  Result<void> bpf_map_update(const std::string& map_pin, const BpfMapEntry& entry) override;
  Result<void> bpf_map_delete(const std::string& map_pin, const Bytes& key) override;

 private:
  bool map_exists(const std::string& map_pin) const;

  // Records the call; returns the armed failure for it, if any. Caller holds mutex_.
  std::optional<Error> begin(std::string call, bool write);
  LinkInfo* link_by_index(int index);
  LinkInfo* link_by_name(std::string_view name);
  LinkInfo new_link(LinkInfo link);  // assigns the index and a MAC
  void remove_link(int index);

  mutable std::mutex mutex_;
  std::map<int, LinkInfo> links_;
  int next_index_ = 1;
  std::vector<LinkAddress> addresses_;
  std::vector<Route> routes_;
  std::map<std::pair<int, IpAddress>, Neighbour> neighbours_;
  std::map<std::pair<int, MacAddress>, FdbEntry> fdb_;
  std::map<std::string, std::string> sysctls_;
  std::map<std::string, NftTable> nft_;
  uint32_t nft_generation_ = 1;
  std::map<int, FakeKernel*> peer_namespaces_;
  std::set<std::string> bpf_pin_dirs_;
  std::map<std::string, std::string> pinned_programs_;  // pin path -> tag
  std::map<std::pair<int, TcDirection>, TcProgram> tc_;
  uint32_t next_program_id_ = 1;
  std::map<std::string, std::map<Bytes, Bytes>> bpf_maps_;
  std::vector<std::string> calls_;
  std::vector<std::string> writes_;
  std::map<uint64_t, int> armed_;  // call number -> errno
  uint64_t call_count_ = 0;
};

}  // namespace weft::kernel
