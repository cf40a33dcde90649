#include "kernel/netlink_kernel.h"

#include <mutex>
#include <optional>

#include "kernel/addresses.h"
#include "kernel/bpf_ops.h"
#include "kernel/links.h"
#include "kernel/neighbours.h"
#include "kernel/netlink_socket.h"
#include "kernel/nftables.h"
#include "kernel/routes.h"
#include "kernel/sysctl.h"

namespace weft::kernel {
namespace {

class NetlinkKernel final : public KernelOps {
 private:
  template <class F>
  auto locked(F&& body) -> std::invoke_result_t<F&> {
    std::lock_guard lock(mutex_);
    return body();
  }
  template <class F>
  auto in_netns(F&& body) -> std::invoke_result_t<F&> {
    std::lock_guard lock(mutex_);
    auto guard = NetnsGuard::enter(netns_);
    if (!guard) return std::unexpected(guard.error());
    return body();
  }


 public:
  NetlinkKernel(NetlinkSocket sock, NetnsFd netns) : sock_(std::move(sock)), netns_(std::move(netns)) {}

  Result<LinkInfo> create_veth(const VethSpec& spec) override { return locked([&] { return kernel::create_veth(sock_, spec); }); }
  Result<LinkInfo> create_vxlan(const VxlanSpec& spec) override { return locked([&] { return kernel::create_vxlan(sock_, spec); }); }
  Result<LinkInfo> get_link(int index) override { return locked([&] { return kernel::get_link(sock_, index); }); }
  Result<LinkInfo> find_link(std::string_view name) override { return locked([&] { return kernel::find_link(sock_, name); }); }
  Result<std::vector<LinkInfo>> list_links() override { return locked([&] { return kernel::list_links(sock_); }); }
  Result<void> set_link_up(int index, bool up) override { return locked([&] { return kernel::set_link_up(sock_, index, up); }); }
  Result<void> set_link_mtu(int index, uint32_t mtu) override { return locked([&] { return kernel::set_link_mtu(sock_, index, mtu); }); }
  Result<void> set_link_mac(int index, const MacAddress& mac) override {
    return locked([&] { return kernel::set_link_mac(sock_, index, mac); });
  }
  Result<void> delete_link(int index) override { return locked([&] { return kernel::delete_link(sock_, index); }); }

  Result<void> add_address(const LinkAddress& a) override { return locked([&] { return kernel::add_address(sock_, a); }); }
  Result<void> delete_address(const LinkAddress& a) override { return locked([&] { return kernel::delete_address(sock_, a); }); }
  Result<std::vector<LinkAddress>> list_addresses(int ifindex, std::optional<Family> family) override {
    return locked([&] { return kernel::list_addresses(sock_, ifindex, family); });
  }

  Result<void> replace_route(const Route& r) override { return locked([&] { return kernel::replace_route(sock_, r); }); }
  Result<void> delete_route(const Route& r) override { return locked([&] { return kernel::delete_route(sock_, r); }); }
  Result<std::vector<Route>> list_routes(const RouteFilter& filter) override {
    return locked([&] { return kernel::list_routes(sock_, filter); });
  }
  Result<Route> lookup_route(const IpAddress& destination) override {
    return locked([&] { return kernel::lookup_route(sock_, destination); });
  }

  Result<void> replace_neighbour(const Neighbour& n) override { return locked([&] { return kernel::replace_neighbour(sock_, n); }); }
  Result<void> delete_neighbour(const Neighbour& n) override { return locked([&] { return kernel::delete_neighbour(sock_, n); }); }
  Result<std::vector<Neighbour>> list_neighbours(int ifindex, bool all_states) override {
    return locked([&] { return kernel::list_neighbours(sock_, ifindex, all_states); });
  }
  Result<void> replace_fdb(const FdbEntry& e) override { return locked([&] { return kernel::replace_fdb(sock_, e); }); }
  Result<void> delete_fdb(const FdbEntry& e) override { return locked([&] { return kernel::delete_fdb(sock_, e); }); }
  Result<std::vector<FdbEntry>> list_fdb(int ifindex) override { return locked([&] { return kernel::list_fdb(sock_, ifindex); }); }

  // /proc/sys and libnftables act in the calling thread's namespace: enter ours for the call.
  Result<void> write_sysctl(std::string_view key, std::string_view value) override {
    return in_netns([&] { return kernel::write_sysctl(key, value); });
  }
  Result<void> nft_replace_table(const NftTable& table) override {
    return in_netns([&] { return nft_run(replace_script(table)); });
  }
  Result<void> nft_delete_table(std::string_view family, std::string_view name) override {
    return in_netns([&] { return nft_run(delete_script(family, name)); });
  }
  Result<std::optional<NftTable>> nft_get_table(std::string_view family, std::string_view name) override {
    return in_netns([&]() -> Result<std::optional<NftTable>> {
      auto listing = nft_list("list table " + std::string(family) + " " + std::string(name));
      if (!listing) {
        if (listing.error().code == Errc::not_found) return std::optional<NftTable>{};
        return std::unexpected(listing.error());
      }
      auto table = parse_listing(*listing);
      if (!table) return std::unexpected(table.error());
      return std::optional<NftTable>(std::move(*table));
    });
  }

  Result<void> nft_patch_table(std::string_view family, std::string_view name, const NftTablePatch& patch) override {
    if (patch.empty()) return {};
    const auto script = patch_script(family, name, patch);
    return in_netns([&] { return nft_run(script); });
  }
  Result<uint32_t> nft_generation() override {
    return in_netns([&] { return kernel::nft_generation(); });
  }

  // BPF objects and maps are not namespaced; tc requests go over a netlink socket libbpf opens
  // in the calling thread's namespace, so they enter ours.
  Result<BpfLoaded> bpf_load(const BpfObjectSpec& spec) override { return locked([&] { return load_bpf_object(spec); }); }
  Result<std::optional<TcProgram>> tc_program(int ifindex, TcDirection direction) override {
    return in_netns([&] { return tc_query(ifindex, direction); });
  }
  Result<void> tc_attach(int ifindex, TcDirection direction, const std::string& program_pin) override {
    return in_netns([&] { return kernel::tc_attach(ifindex, direction, program_pin); });
  }
  Result<void> tc_detach(int ifindex, TcDirection direction) override {
    return in_netns([&] { return kernel::tc_detach(ifindex, direction); });
  }
  Result<std::vector<BpfMapEntry>> bpf_map_entries(const std::string& map_pin) override {
    return locked([&] { return bpf_map_read(map_pin); });
  }
  Result<void> bpf_map_update(const std::string& map_pin, const BpfMapEntry& entry) override {
    return locked([&] { return bpf_map_write(map_pin, entry); });
  }
  Result<void> bpf_map_delete(const std::string& map_pin, const Bytes& key) override {
    return locked([&] { return bpf_map_remove(map_pin, key); });
  }

 private:
  std::mutex mutex_;
  NetlinkSocket sock_;
  NetnsFd netns_;
};

}  // namespace

Result<std::unique_ptr<KernelOps>> open_netlink_kernel() {
  // The calling thread's namespace now, for every later call from whichever thread.
  auto here = NetnsFd::current();
  if (!here) return std::unexpected(here.error());
  return open_netlink_kernel(*here);
}

Result<std::unique_ptr<KernelOps>> open_netlink_kernel(const NetnsFd& netns) {
  // Our own descriptor on the namespace: the caller's may close before we do.
  auto own = NetnsFd::open_path("/proc/self/fd/" + std::to_string(netns.get()));
  if (!own) return std::unexpected(own.error());
  auto guard = NetnsGuard::enter(*own);
  if (!guard) return std::unexpected(guard.error());
  auto sock = NetlinkSocket::open();
  if (!sock) return std::unexpected(sock.error());
  return std::make_unique<NetlinkKernel>(std::move(*sock), std::move(*own));
}

}  // namespace weft::kernel
