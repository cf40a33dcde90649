#include "kernel/addresses.h"

#include <linux/if_addr.h>
#include <netlink/route/addr.h>

#include <algorithm>

#include "kernel/errors.h"
#include "kernel/links.h"
#include "kernel/nl_convert.h"

namespace weft::kernel {
namespace {

Result<RtnlAddrPtr> to_nl(const LinkAddress& address) {
  if (address.prefix_length < 0 || address.prefix_length > address.address.bit_width()) {
    return fail(Errc::invalid_argument, "prefix length out of range");
  }
  RtnlAddrPtr nl(rtnl_addr_alloc());
  NlAddrPtr local = to_nl_addr(address.address, address.prefix_length);
  if (!nl || !local) return fail(Errc::internal, "out of memory");
  rtnl_addr_set_ifindex(nl.get(), address.ifindex);
  rtnl_addr_set_family(nl.get(), address_family(address.address));
  if (int err = rtnl_addr_set_local(nl.get(), local.get()); err < 0) return std::unexpected(libnl_error(err));
  rtnl_addr_set_prefixlen(nl.get(), address.prefix_length);
  if (!address.address.is_v4()) rtnl_addr_set_flags(nl.get(), IFA_F_NODAD);
  return nl;
}

std::string describe(NetlinkSocket& sock, std::string_view verb, const LinkAddress& address,
                     std::string_view preposition) {
  return std::string(verb) + " address " + address.to_string() + " " + std::string(preposition) + " " +
         link_label(sock, address.ifindex);
}

}  // namespace

Result<void> add_address(NetlinkSocket& sock, const LinkAddress& address) {
  auto nl = to_nl(address);
  if (!nl) return wrap(nl.error(), describe(sock, "adding", address, "to"));
  nl_msg* raw = nullptr;
  int err = rtnl_addr_build_add_request(nl->get(), NLM_F_CREATE | NLM_F_EXCL, &raw);
  NlMsgPtr msg(raw);
  if (err < 0) return wrap(libnl_error(err), describe(sock, "adding", address, "to"));
  auto done = sock.request(std::move(msg));
  if (done) return {};
  if (done.error().code == Errc::already_exists) {
    // EEXIST also comes for the same IPv6 address with another prefix length: only an exact
    // match counts as "already there".
    auto existing = list_addresses(sock, address.ifindex, address.address.family());
    if (existing && std::find(existing->begin(), existing->end(), address) != existing->end()) return {};
  }
  return wrap(done.error(), describe(sock, "adding", address, "to"));
}

Result<void> delete_address(NetlinkSocket& sock, const LinkAddress& address) {
  auto nl = to_nl(address);
  if (!nl) return wrap(nl.error(), describe(sock, "deleting", address, "from"));
  nl_msg* raw = nullptr;
  int err = rtnl_addr_build_delete_request(nl->get(), 0, &raw);
  NlMsgPtr msg(raw);
  if (err < 0) return wrap(libnl_error(err), describe(sock, "deleting", address, "from"));
  // An address that is not there: EADDRNOTAVAIL, which errors.h maps to not_found.
  if (auto done = sock.request(std::move(msg)); !done) {
    return wrap(done.error(), describe(sock, "deleting", address, "from"));
  }
  return {};
}

Result<std::vector<LinkAddress>> list_addresses(NetlinkSocket& sock, int ifindex, std::optional<Family> family) {
  ifaddrmsg header{};
  header.ifa_family = family ? static_cast<unsigned char>(address_family(*family)) : AF_UNSPEC;
  auto msg = dump_request(RTM_GETADDR, &header, sizeof(header));
  if (!msg) return std::unexpected(msg.error());
  std::vector<LinkAddress> addresses;
  auto done = sock.request(std::move(*msg), [&](nl_object* object) {
    auto* nl = reinterpret_cast<rtnl_addr*>(object);
    if (ifindex != 0 && rtnl_addr_get_ifindex(nl) != ifindex) return;
    auto ip = ip_from_nl(rtnl_addr_get_local(nl));
    if (!ip || (family && ip->family() != *family)) return;
    addresses.push_back(LinkAddress{rtnl_addr_get_ifindex(nl), *ip, rtnl_addr_get_prefixlen(nl)});
  });
  if (!done) return wrap(done.error(), "listing addresses");
  return addresses;
}

}  // namespace weft::kernel
