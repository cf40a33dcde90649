#include "kernel/routes.h"

#include <linux/rtnetlink.h>
#include <netlink/attr.h>

#include <cerrno>

#include "kernel/errors.h"
#include "kernel/links.h"
#include "kernel/nl_convert.h"
#include "kernel/route_convert.h"

namespace weft::kernel {
namespace {

std::string describe(NetlinkSocket& sock, std::string_view verb, const Route& route) {
  return std::string(verb) + " route " + to_string(route, [&](int index) { return link_label(sock, index); });
}

Result<void> send_route(NetlinkSocket& sock, const Route& route, bool remove, int flags, std::string_view verb) {
  auto nl = route_to_nl(route);
  if (!nl) return wrap(nl.error(), describe(sock, verb, route));
  nl_msg* raw = nullptr;
  int err = remove ? rtnl_route_build_del_request(nl->get(), flags, &raw)
                   : rtnl_route_build_add_request(nl->get(), flags, &raw);
  NlMsgPtr msg(raw);
  if (err < 0) return wrap(libnl_error(err), describe(sock, verb, route));
  if (auto done = sock.request(std::move(msg)); !done) return wrap(done.error(), describe(sock, verb, route));
  return {};
}

}  // namespace

Result<void> add_route(NetlinkSocket& sock, const Route& route) {
  return send_route(sock, route, false, NLM_F_CREATE | NLM_F_EXCL, "adding");
}

Result<void> replace_route(NetlinkSocket& sock, const Route& route) {
  return send_route(sock, route, false, NLM_F_CREATE | NLM_F_REPLACE, "replacing");
}

Result<void> delete_route(NetlinkSocket& sock, const Route& route) {
  return send_route(sock, route, true, 0, "deleting");
}

Result<std::vector<Route>> list_routes(NetlinkSocket& sock, const RouteFilter& filter) {
  rtmsg header{};
  header.rtm_family = filter.family ? static_cast<unsigned char>(address_family(*filter.family)) : AF_UNSPEC;
  auto msg = dump_request(RTM_GETROUTE, &header, sizeof(header));
  if (!msg) return std::unexpected(msg.error());
  std::vector<Route> routes;
  auto done = sock.request(std::move(*msg), [&](nl_object* object) {
    auto* nl = reinterpret_cast<rtnl_route*>(object);
    int family = rtnl_route_get_family(nl);
    if (family != AF_INET && family != AF_INET6) return;
    if ((rtnl_route_get_flags(nl) & RTM_F_CLONED) != 0) return;
    if (filter.table && rtnl_route_get_table(nl) != *filter.table) return;
    if (filter.protocol && rtnl_route_get_protocol(nl) != *filter.protocol) return;
    Route route = route_from_nl(nl);
    if (filter.family && route.destination.family() != *filter.family) return;
    routes.push_back(std::move(route));
  });
  if (!done) return wrap(done.error(), "listing routes");
  return routes;
}

Result<Route> lookup_route(NetlinkSocket& sock, const IpAddress& destination) {
  const std::string what = "looking up the route to " + destination.to_string();
  NlMsgPtr msg(nlmsg_alloc_simple(RTM_GETROUTE, 0));
  rtmsg header{};
  header.rtm_family = static_cast<unsigned char>(address_family(destination));
  header.rtm_dst_len = static_cast<unsigned char>(destination.bit_width());
  int size = destination.is_v4() ? 4 : 16;
  if (!msg || nlmsg_append(msg.get(), &header, sizeof(header), NLMSG_ALIGNTO) < 0 ||
      nla_put(msg.get(), RTA_DST, size, destination.bytes().data()) < 0) {
    return fail(Errc::internal, what, ": cannot build the request");
  }
  std::optional<Route> found;
  auto done = sock.request(std::move(msg), [&](nl_object* object) {
    if (!found) found = route_from_nl(reinterpret_cast<rtnl_route*>(object));
  });
  if (!done) {
    Error error = done.error();
    if (sock.last_errno() == ENETUNREACH || sock.last_errno() == EHOSTUNREACH) error.code = Errc::not_found;
    return wrap(error, what);
  }
  if (!found) return fail(Errc::internal, what, ": the kernel answered without a route");
  return *found;
}

}  // namespace weft::kernel
