// KernelOps: the one narrow interface between weft and the kernel's networking state, for the
// code that programs a node (the data-plane reconciler and drivers, underlay discovery, the IPAM
// veth sweeper, weft-cni's wiring). Two implementations: NetlinkKernel (libnl, libnftables,
// /proc/sys; netlink_kernel.h) and FakeKernel (a recording fake that keeps state and can fail a
// chosen call; fake_kernel.h), so everything above the kernel is unit-tested without root.
//
// Contract (both implementations): every call acts on one network namespace, the one the object
// was opened for. Results and error codes are those of the libnl layer (links.h, addresses.h,
// routes.h, neighbours.h, sysctl.h, nftables.h): already_exists / not_found / invalid_argument /
// io from the kernel's errno (errors.h), messages naming the operation and the object. Listings
// answer from the current state; a failed call changes nothing. Implementations are thread-safe
// (calls are serialised).
//
// The lab's own plumbing (bridges, moving links between namespaces, enslaving) stays on the
// libnl functions: it is not node programming and has no fake.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/ip.h"
#include "base/result.h"
#include "kernel/address.h"
#include "kernel/bpf.h"
#include "kernel/link.h"
#include "kernel/neighbour.h"
#include "kernel/nft_table.h"
#include "kernel/route.h"

namespace weft::kernel {

class KernelOps {
 public:
  virtual ~KernelOps() = default;

  // Devices. create_veth's peer goes to the namespace of spec.peer_netns_fd (-1: this one).
  virtual Result<LinkInfo> create_veth(const VethSpec& spec) = 0;
  virtual Result<LinkInfo> create_vxlan(const VxlanSpec& spec) = 0;
  virtual Result<LinkInfo> get_link(int index) = 0;
  virtual Result<LinkInfo> find_link(std::string_view name) = 0;
  virtual Result<std::vector<LinkInfo>> list_links() = 0;
  virtual Result<void> set_link_up(int index, bool up) = 0;
  virtual Result<void> set_link_mtu(int index, uint32_t mtu) = 0;
  virtual Result<void> set_link_mac(int index, const MacAddress& mac) = 0;
  virtual Result<void> delete_link(int index) = 0;

  // Addresses (add is idempotent for the same address and prefix length).
  virtual Result<void> add_address(const LinkAddress& address) = 0;
  virtual Result<void> delete_address(const LinkAddress& address) = 0;
  virtual Result<std::vector<LinkAddress>> list_addresses(int ifindex, std::optional<Family> family = std::nullopt) = 0;

  // Routes: replace is create-or-replace in one message (a no-op when identical).
  virtual Result<void> replace_route(const Route& route) = 0;
  virtual Result<void> delete_route(const Route& route) = 0;
  virtual Result<std::vector<Route>> list_routes(const RouteFilter& filter = {}) = 0;
  virtual Result<Route> lookup_route(const IpAddress& destination) = 0;

  // Permanent neighbour entries and VXLAN FDB entries.
  virtual Result<void> replace_neighbour(const Neighbour& neighbour) = 0;
  virtual Result<void> delete_neighbour(const Neighbour& neighbour) = 0;
  virtual Result<std::vector<Neighbour>> list_neighbours(int ifindex, bool all_states = false) = 0;
  virtual Result<void> replace_fdb(const FdbEntry& entry) = 0;
  virtual Result<void> delete_fdb(const FdbEntry& entry) = 0;
  virtual Result<std::vector<FdbEntry>> list_fdb(int ifindex) = 0;

  // Kernel parameters ("net.ipv4.ip_forward", "net/ipv4/conf/weft.1/proxy_arp").
  virtual Result<void> write_sysctl(std::string_view key, std::string_view value) = 0;

  // nftables tables of weft's own: replaced atomically, read back as values, deleted.
  virtual Result<void> nft_replace_table(const NftTable& table) = 0;
  virtual Result<void> nft_delete_table(std::string_view family, std::string_view name) = 0;
  // nullopt when the table does not exist.
  virtual Result<std::optional<NftTable>> nft_get_table(std::string_view family, std::string_view name) = 0;
  // Edits of an existing table (nft_table.h, NftTablePatch), all in one transaction: nothing
  // applied on error (adding what exists is already_exists, removing what is not there not_found).
  virtual Result<void> nft_patch_table(std::string_view family, std::string_view name, const NftTablePatch& patch) = 0;
  // The nftables ruleset generation of the namespace: every committed nftables transaction, of
  // any table and anyone, moves it on. Equal before and after: nothing changed in between.
  virtual Result<uint32_t> nft_generation() = 0;

  // eBPF objects of weft's own (bpf.h, bpf_ops.h): load an object with pinned maps and
  // programs, attach a pinned program at weft's tc slot of a device (replacing atomically),
  // and read and edit pinned maps entry by entry.
  virtual Result<BpfLoaded> bpf_load(const BpfObjectSpec& spec) = 0;
  // nullopt: weft's slot on that hook is empty.
  virtual Result<std::optional<TcProgram>> tc_program(int ifindex, TcDirection direction) = 0;
  virtual Result<void> tc_attach(int ifindex, TcDirection direction, const std::string& program_pin) = 0;
  virtual Result<void> tc_detach(int ifindex, TcDirection direction) = 0;
  virtual Result<std::vector<BpfMapEntry>> bpf_map_entries(const std::string& map_pin) = 0;
  virtual Result<void> bpf_map_update(const std::string& map_pin, const BpfMapEntry& entry) = 0;
  virtual Result<void> bpf_map_delete(const std::string& map_pin, const Bytes& key) = 0;
};

}  // namespace weft::kernel
