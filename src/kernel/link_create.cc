// Creating veth pairs, bridges and VXLAN devices: one RTM_NEWLINK with NLM_F_EXCL each, built by
// libnl from a template link, then a read-back so the caller gets the kernel's view (index, MAC
// and MTU the kernel chose).
#include <netlink/route/link/bridge.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/link/vxlan.h>

#include <functional>

#include "kernel/errors.h"
#include "kernel/link_internal.h"
#include "kernel/links.h"
#include "kernel/nl_convert.h"

namespace weft::kernel {
namespace {

// Applies the attributes every kind shares: name, MTU and MAC.
Result<void> set_common(rtnl_link* link, const std::string& name, uint32_t mtu,
                        const std::optional<MacAddress>& mac) {
  if (auto ok = validate_link_name(name); !ok) return ok;
  rtnl_link_set_name(link, name.c_str());
  if (mtu != 0) rtnl_link_set_mtu(link, mtu);
  if (mac) {
    NlAddrPtr address = to_nl_addr(*mac);
    if (!address) return fail(Errc::internal, "out of memory");
    rtnl_link_set_addr(link, address.get());  // takes its own reference
  }
  return {};
}

// `what` describes the creation for error messages; called only on failure.
Result<LinkInfo> add_and_read_back(NetlinkSocket& sock, rtnl_link* link, const std::string& name,
                                   const std::function<std::string()>& what) {
  nl_msg* raw = nullptr;
  int err = rtnl_link_build_add_request(link, NLM_F_CREATE | NLM_F_EXCL, &raw);
  NlMsgPtr msg(raw);
  if (err < 0) return wrap(libnl_error(err), what());
  if (auto done = sock.request(std::move(msg)); !done) return wrap(done.error(), what());
  auto created = find_link(sock, name);
  if (!created) return wrap(created.error(), what() + ": reading it back");
  return created;
}

}  // namespace

Result<LinkInfo> create_veth(NetlinkSocket& sock, const VethSpec& spec) {
  const std::string what = "creating veth pair " + spec.name + " / " + spec.peer_name +
                           (spec.peer_netns_fd >= 0 ? " (peer in another namespace)" : "");
  RtnlLinkPtr link(rtnl_link_veth_alloc());
  if (!link) return fail(Errc::internal, what, ": out of memory");
  RtnlLinkPtr peer(rtnl_link_veth_get_peer(link.get()));  // a second reference, released by peer
  if (auto ok = set_common(link.get(), spec.name, spec.mtu, spec.mac); !ok) return wrap(ok.error(), what);
  if (auto ok = set_common(peer.get(), spec.peer_name, spec.mtu, spec.peer_mac); !ok) {
    return wrap(ok.error(), what);
  }
  if (spec.peer_netns_fd >= 0) rtnl_link_set_ns_fd(peer.get(), spec.peer_netns_fd);
  return add_and_read_back(sock, link.get(), spec.name, [&] { return what; });
}

Result<LinkInfo> create_bridge(NetlinkSocket& sock, const BridgeSpec& spec) {
  const std::string what = "creating bridge " + spec.name;
  RtnlLinkPtr link(rtnl_link_alloc());
  if (!link || rtnl_link_set_type(link.get(), "bridge") < 0) return fail(Errc::internal, what, ": out of memory");
  if (auto ok = set_common(link.get(), spec.name, spec.mtu, spec.mac); !ok) return wrap(ok.error(), what);
  return add_and_read_back(sock, link.get(), spec.name, [&] { return what; });
}

Result<LinkInfo> create_vxlan(NetlinkSocket& sock, const VxlanSpec& spec) {
  auto describe = [&] {
    std::string what = "creating vxlan " + spec.name + " (vni " + std::to_string(spec.vni) + ", port " +
                       std::to_string(spec.port);
    if (spec.local) what += ", local " + spec.local->to_string();
    if (spec.underlay != 0) what += ", dev " + link_label(sock, spec.underlay);
    return what + ")";
  };
  if (spec.vni > VXLAN_ID_MAX) return fail(Errc::invalid_argument, describe(), ": VNI out of range");
  RtnlLinkPtr link(rtnl_link_vxlan_alloc());
  if (!link) return fail(Errc::internal, describe(), ": out of memory");
  if (auto ok = set_common(link.get(), spec.name, spec.mtu, spec.mac); !ok) return wrap(ok.error(), describe());
  rtnl_link_vxlan_set_id(link.get(), spec.vni);
  rtnl_link_vxlan_set_port(link.get(), spec.port);
  rtnl_link_vxlan_set_learning(link.get(), spec.learning ? 1 : 0);
  if (spec.underlay != 0) rtnl_link_vxlan_set_link(link.get(), static_cast<uint32_t>(spec.underlay));
  if (spec.local) {
    NlAddrPtr local = to_nl_addr(*spec.local);
    if (!local || rtnl_link_vxlan_set_local(link.get(), local.get()) < 0) {
      return fail(Errc::internal, describe(), ": cannot set the local address");
    }
  }
  return add_and_read_back(sock, link.get(), spec.name, describe);
}

}  // namespace weft::kernel
