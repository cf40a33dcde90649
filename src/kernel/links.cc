// Reading and changing existing devices. Creation is in link_create.cc.
#include <linux/if.h>
#include <netlink/route/link/vxlan.h>

#include <functional>

#include "kernel/errors.h"
#include "kernel/link_internal.h"
#include "kernel/links.h"
#include "kernel/nl_convert.h"

namespace weft::kernel {
namespace {

std::optional<VxlanInfo> vxlan_from_nl(rtnl_link* link) {
  if (!rtnl_link_is_vxlan(link)) return std::nullopt;
  VxlanInfo info;
  rtnl_link_vxlan_get_id(link, &info.vni);
  uint32_t port = 0;
  if (rtnl_link_vxlan_get_port(link, &port) == 0) info.port = static_cast<uint16_t>(port);
  nl_addr* local = nullptr;
  if (rtnl_link_vxlan_get_local(link, &local) == 0) {
    NlAddrPtr owned(local);
    info.local = ip_from_nl(owned.get());
  }
  uint32_t underlay = 0;
  if (rtnl_link_vxlan_get_link(link, &underlay) == 0) info.underlay = static_cast<int>(underlay);
  info.learning = rtnl_link_vxlan_get_learning(link) > 0;
  return info;
}

// Sends an RTM_NEWLINK change for device `index` carrying the attributes set on `changes`.
// `what` describes the change for an error message; it is only called on failure (it may look
// device names up).
Result<void> change_link(NetlinkSocket& sock, int index, rtnl_link* changes,
                         const std::function<std::string()>& what) {
  RtnlLinkPtr original(rtnl_link_alloc());
  if (!original) return fail(Errc::internal, what(), ": out of memory");
  rtnl_link_set_ifindex(original.get(), index);
  nl_msg* raw = nullptr;
  int err = rtnl_link_build_change_request(original.get(), changes, 0, &raw);
  NlMsgPtr msg(raw);
  if (err < 0) return wrap(libnl_error(err), what());
  if (auto done = sock.request(std::move(msg)); !done) return wrap(done.error(), what());
  return {};
}

Result<RtnlLinkPtr> new_changes() {
  RtnlLinkPtr changes(rtnl_link_alloc());
  if (!changes) return fail(Errc::internal, "changing a device: out of memory");
  return changes;
}

}  // namespace

LinkInfo link_from_nl(rtnl_link* link) {
  LinkInfo info;
  info.index = rtnl_link_get_ifindex(link);
  if (const char* name = rtnl_link_get_name(link)) info.name = name;
  if (const char* kind = rtnl_link_get_type(link)) info.kind = kind;
  info.mtu = rtnl_link_get_mtu(link);
  info.mac = mac_from_nl(rtnl_link_get_addr(link));
  unsigned flags = rtnl_link_get_flags(link);
  info.up = (flags & IFF_UP) != 0;
  info.lower_up = (flags & IFF_LOWER_UP) != 0;
  info.master = rtnl_link_get_master(link);
  info.link = rtnl_link_get_link(link);
  info.vxlan = vxlan_from_nl(link);
  return info;
}

Result<void> validate_link_name(std::string_view name) {
  bool bad = name.empty() || name.size() >= IFNAMSIZ || name == "." || name == "..";
  for (char c : name) bad = bad || c == '/' || c == ':' || c <= ' ' || c == 0x7F;
  if (bad) return fail(Errc::invalid_argument, "invalid device name '", name, "'");
  return {};
}

// A GET by index or by name (index 0), answered by one link or an error.
Result<LinkInfo> get_link_by(NetlinkSocket& sock, int index, const char* name) {
  nl_msg* raw = nullptr;
  int err = rtnl_link_build_get_request(index, name, &raw);
  NlMsgPtr msg(raw);
  if (err < 0) return std::unexpected(libnl_error(err));
  std::optional<LinkInfo> found;
  auto done = sock.request(std::move(msg), [&](nl_object* object) {
    if (!found) found = link_from_nl(reinterpret_cast<rtnl_link*>(object));
  });
  if (!done) return std::unexpected(done.error());
  if (!found) return fail(Errc::internal, "the kernel answered without a device");
  return *found;
}

Result<LinkInfo> get_link(NetlinkSocket& sock, int index) {
  auto link = get_link_by(sock, index, nullptr);
  if (!link) return wrap(link.error(), "getting device #" + std::to_string(index));
  return link;
}

Result<LinkInfo> find_link(NetlinkSocket& sock, std::string_view name) {
  if (auto ok = validate_link_name(name); !ok) return std::unexpected(ok.error());
  const std::string owned(name);
  auto link = get_link_by(sock, 0, owned.c_str());
  if (!link) return wrap(link.error(), "getting device " + owned);
  return link;
}

Result<std::vector<LinkInfo>> list_links(NetlinkSocket& sock) {
  ifinfomsg header{};
  header.ifi_family = AF_UNSPEC;
  auto msg = dump_request(RTM_GETLINK, &header, sizeof(header));
  if (!msg) return std::unexpected(msg.error());
  std::vector<LinkInfo> links;
  auto done = sock.request(std::move(*msg), [&](nl_object* object) {
    links.push_back(link_from_nl(reinterpret_cast<rtnl_link*>(object)));
  });
  if (!done) return wrap(done.error(), "listing devices");
  return links;
}

Result<void> set_link_up(NetlinkSocket& sock, int index, bool up) {
  auto changes = new_changes();
  if (!changes) return std::unexpected(changes.error());
  if (up) {
    rtnl_link_set_flags(changes->get(), IFF_UP);
  } else {
    rtnl_link_unset_flags(changes->get(), IFF_UP);
  }
  return change_link(sock, index, changes->get(),
                     [&] { return std::string(up ? "setting up " : "setting down ") + link_label(sock, index); });
}

Result<void> set_link_mtu(NetlinkSocket& sock, int index, uint32_t mtu) {
  auto changes = new_changes();
  if (!changes) return std::unexpected(changes.error());
  rtnl_link_set_mtu(changes->get(), mtu);
  return change_link(sock, index, changes->get(),
                     [&] { return "setting mtu " + std::to_string(mtu) + " on " + link_label(sock, index); });
}

Result<void> set_link_mac(NetlinkSocket& sock, int index, const MacAddress& mac) {
  auto changes = new_changes();
  if (!changes) return std::unexpected(changes.error());
  NlAddrPtr address = to_nl_addr(mac);
  if (!address) return fail(Errc::internal, "setting address ", mac.to_string(), ": out of memory");
  rtnl_link_set_addr(changes->get(), address.get());
  return change_link(sock, index, changes->get(),
                     [&] { return "setting address " + mac.to_string() + " on " + link_label(sock, index); });
}

Result<void> set_link_master(NetlinkSocket& sock, int index, int master) {
  auto changes = new_changes();
  if (!changes) return std::unexpected(changes.error());
  rtnl_link_set_master(changes->get(), master);
  return change_link(sock, index, changes->get(), [&] {
    if (master == 0) return "releasing " + link_label(sock, index) + " from its bridge";
    return "enslaving " + link_label(sock, index) + " to " + link_label(sock, master);
  });
}

Result<void> move_link_to_netns(NetlinkSocket& sock, int index, int netns_fd) {
  auto changes = new_changes();
  if (!changes) return std::unexpected(changes.error());
  rtnl_link_set_ns_fd(changes->get(), netns_fd);
  return change_link(sock, index, changes->get(),
                     [&] { return "moving " + link_label(sock, index) + " to another network namespace"; });
}

Result<void> delete_link(NetlinkSocket& sock, int index) {
  const std::string label = link_label(sock, index);
  RtnlLinkPtr link(rtnl_link_alloc());
  if (!link) return fail(Errc::internal, "deleting device ", label, ": out of memory");
  rtnl_link_set_ifindex(link.get(), index);
  nl_msg* raw = nullptr;
  int err = rtnl_link_build_delete_request(link.get(), &raw);
  NlMsgPtr msg(raw);
  if (err < 0) return wrap(libnl_error(err), "deleting device " + label);
  if (auto done = sock.request(std::move(msg)); !done) return wrap(done.error(), "deleting device " + label);
  return {};
}

std::string link_label(NetlinkSocket& sock, int index) {
  auto link = get_link_by(sock, index, nullptr);
  if (link && !link->name.empty()) return link->name;
  return "#" + std::to_string(index);
}

}  // namespace weft::kernel
