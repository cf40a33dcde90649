#include "kernel/neighbours.h"

#include <linux/neighbour.h>
#include <netlink/route/neighbour.h>

#include "kernel/errors.h"
#include "kernel/links.h"
#include "kernel/nl_convert.h"

namespace weft::kernel {
namespace {

enum class Op { add, replace, remove };

std::string_view verb(Op op) {
  switch (op) {
    case Op::add: return "adding";
    case Op::replace: return "replacing";
    case Op::remove: return "deleting";
  }
  return "changing";
}

Result<void> send_neigh(NetlinkSocket& sock, rtnl_neigh* neigh, Op op) {
  nl_msg* raw = nullptr;
  int err = 0;
  switch (op) {
    case Op::add: err = rtnl_neigh_build_add_request(neigh, NLM_F_CREATE | NLM_F_EXCL, &raw); break;
    case Op::replace: err = rtnl_neigh_build_add_request(neigh, NLM_F_CREATE | NLM_F_REPLACE, &raw); break;
    case Op::remove: err = rtnl_neigh_build_delete_request(neigh, 0, &raw); break;
  }
  NlMsgPtr msg(raw);
  if (err < 0) return std::unexpected(libnl_error(err));
  return sock.request(std::move(msg));
}

// Sets the link-layer address when there is one; libnl takes its own reference.
Result<void> set_lladdr(rtnl_neigh* neigh, const MacAddress& mac) {
  NlAddrPtr lladdr = to_nl_addr(mac);
  if (!lladdr) return fail(Errc::internal, "out of memory");
  rtnl_neigh_set_lladdr(neigh, lladdr.get());
  return {};
}

Result<void> neighbour_op(NetlinkSocket& sock, const Neighbour& neighbour, Op op) {
  std::string what = std::string(verb(op)) + " neighbour " + neighbour.address.to_string();
  if (neighbour.mac) what += " lladdr " + neighbour.mac->to_string();
  auto with_device = [&] { return what + " dev " + link_label(sock, neighbour.ifindex); };
  if (op != Op::remove && !neighbour.mac) return fail(Errc::invalid_argument, with_device(), ": no MAC address");

  RtnlNeighPtr neigh(rtnl_neigh_alloc());
  NlAddrPtr dst = to_nl_addr(neighbour.address);
  if (!neigh || !dst) return fail(Errc::internal, with_device(), ": out of memory");
  rtnl_neigh_set_ifindex(neigh.get(), neighbour.ifindex);
  rtnl_neigh_set_family(neigh.get(), address_family(neighbour.address));
  if (int err = rtnl_neigh_set_dst(neigh.get(), dst.get()); err < 0) return wrap(libnl_error(err), with_device());
  rtnl_neigh_set_state(neigh.get(), NUD_PERMANENT);
  if (neighbour.mac) {
    if (auto ok = set_lladdr(neigh.get(), *neighbour.mac); !ok) return wrap(ok.error(), with_device());
  }
  if (auto done = send_neigh(sock, neigh.get(), op); !done) return wrap(done.error(), with_device());
  return {};
}

Result<void> fdb_op(NetlinkSocket& sock, const FdbEntry& entry, Op op) {
  auto with_device = [&] {
    return std::string(verb(op)) + " fdb entry " + entry.mac.to_string() + " dst " + entry.remote.to_string() +
           " dev " + link_label(sock, entry.ifindex);
  };
  RtnlNeighPtr neigh(rtnl_neigh_alloc());
  NlAddrPtr dst = to_nl_addr(entry.remote);
  if (!neigh || !dst) return fail(Errc::internal, with_device(), ": out of memory");
  rtnl_neigh_set_ifindex(neigh.get(), entry.ifindex);
  // libnl refuses a destination whose family differs from the entry's, so the IP goes in first
  // and the family is switched to AF_BRIDGE afterwards.
  if (int err = rtnl_neigh_set_dst(neigh.get(), dst.get()); err < 0) return wrap(libnl_error(err), with_device());
  rtnl_neigh_set_family(neigh.get(), AF_BRIDGE);
  rtnl_neigh_set_state(neigh.get(), NUD_PERMANENT);
  rtnl_neigh_set_flags(neigh.get(), NTF_SELF);
  if (auto ok = set_lladdr(neigh.get(), entry.mac); !ok) return wrap(ok.error(), with_device());
  if (auto done = send_neigh(sock, neigh.get(), op); !done) return wrap(done.error(), with_device());
  return {};
}

// Dumps neighbour entries of `family` (AF_UNSPEC: IPv4 and IPv6; AF_BRIDGE: FDB) on `ifindex`.
Result<void> dump_neighbours(NetlinkSocket& sock, int family, int ifindex,
                             const std::function<void(rtnl_neigh*)>& each) {
  ndmsg header{};
  header.ndm_family = static_cast<uint8_t>(family);
  auto msg = dump_request(RTM_GETNEIGH, &header, sizeof(header));
  if (!msg) return std::unexpected(msg.error());
  return sock.request(std::move(*msg), [&](nl_object* object) {
    auto* neigh = reinterpret_cast<rtnl_neigh*>(object);
    if (rtnl_neigh_get_ifindex(neigh) == ifindex) each(neigh);
  });
}

}  // namespace

Result<void> add_neighbour(NetlinkSocket& sock, const Neighbour& n) { return neighbour_op(sock, n, Op::add); }
Result<void> replace_neighbour(NetlinkSocket& sock, const Neighbour& n) { return neighbour_op(sock, n, Op::replace); }
Result<void> delete_neighbour(NetlinkSocket& sock, const Neighbour& n) { return neighbour_op(sock, n, Op::remove); }

Result<std::vector<Neighbour>> list_neighbours(NetlinkSocket& sock, int ifindex, bool all_states) {
  std::vector<Neighbour> neighbours;
  auto done = dump_neighbours(sock, AF_UNSPEC, ifindex, [&](rtnl_neigh* neigh) {
    int family = rtnl_neigh_get_family(neigh);
    if (family != AF_INET && family != AF_INET6) return;
    bool permanent = (rtnl_neigh_get_state(neigh) & NUD_PERMANENT) != 0;
    if (!permanent && !all_states) return;
    auto address = ip_from_nl(rtnl_neigh_get_dst(neigh));
    if (!address) return;
    neighbours.push_back(Neighbour{ifindex, *address, mac_from_nl(rtnl_neigh_get_lladdr(neigh)), permanent});
  });
  if (!done) return wrap(done.error(), "listing neighbours of " + link_label(sock, ifindex));
  return neighbours;
}

Result<void> add_fdb(NetlinkSocket& sock, const FdbEntry& entry) { return fdb_op(sock, entry, Op::add); }
Result<void> replace_fdb(NetlinkSocket& sock, const FdbEntry& entry) { return fdb_op(sock, entry, Op::replace); }
Result<void> delete_fdb(NetlinkSocket& sock, const FdbEntry& entry) { return fdb_op(sock, entry, Op::remove); }

Result<std::vector<FdbEntry>> list_fdb(NetlinkSocket& sock, int ifindex) {
  std::vector<FdbEntry> entries;
  auto done = dump_neighbours(sock, AF_BRIDGE, ifindex, [&](rtnl_neigh* neigh) {
    if ((rtnl_neigh_get_flags(neigh) & NTF_SELF) == 0) return;
    auto mac = mac_from_nl(rtnl_neigh_get_lladdr(neigh));
    auto remote = ip_from_nl(rtnl_neigh_get_dst(neigh));
    if (mac && remote) entries.push_back(FdbEntry{ifindex, *mac, *remote});
  });
  if (!done) return wrap(done.error(), "listing fdb entries of " + link_label(sock, ifindex));
  return entries;
}

}  // namespace weft::kernel
