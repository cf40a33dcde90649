#include "kernel/route_watcher.h"

#include <linux/rtnetlink.h>
#include <poll.h>

#include <cerrno>

#include "kernel/errors.h"
#include "kernel/netns.h"
#include "kernel/route_convert.h"

namespace weft::kernel {
namespace {

constexpr int kReceiveBuffer = 1 << 20;  // room for a burst of route changes (e.g. a link going down)

// Notifications are not answers to our requests: they carry sequence number 0.
int accept_any_sequence(nl_msg*, void*) { return NL_OK; }

int on_event(nl_msg* msg, void* arg) {
  auto* events = static_cast<std::vector<RouteEvent>*>(arg);
  nlmsghdr* header = nlmsg_hdr(msg);
  if (header->nlmsg_type != RTM_NEWROUTE && header->nlmsg_type != RTM_DELROUTE) return NL_OK;
  rtnl_route* parsed = nullptr;
  if (rtnl_route_parse(header, &parsed) < 0) return NL_OK;
  RtnlRoutePtr route(parsed);
  int family = rtnl_route_get_family(route.get());
  if (family != AF_INET && family != AF_INET6) return NL_OK;
  auto kind = header->nlmsg_type == RTM_NEWROUTE ? RouteEvent::Kind::added : RouteEvent::Kind::deleted;
  events->push_back(RouteEvent{kind, route_from_nl(route.get())});
  return NL_OK;
}

}  // namespace

Result<RouteWatcher> RouteWatcher::open() {
  NlSockPtr sock(nl_socket_alloc());
  if (!sock) return fail(Errc::internal, "opening a route watcher: out of memory");
  // Notifications are not answers to our requests: they carry sequence number 0.
  nl_socket_disable_seq_check(sock.get());
  if (int err = nl_connect(sock.get(), NETLINK_ROUTE); err < 0) {
    return wrap(libnl_error(err), "opening a route watcher");
  }
  if (int err = nl_socket_add_memberships(sock.get(), RTNLGRP_IPV4_ROUTE, RTNLGRP_IPV6_ROUTE, 0); err < 0) {
    return wrap(libnl_error(err), "subscribing to route changes");
  }
  nl_socket_set_buffer_size(sock.get(), kReceiveBuffer, 0);
  if (int err = nl_socket_set_nonblocking(sock.get()); err < 0) {
    return wrap(libnl_error(err), "opening a route watcher");
  }
  return RouteWatcher(std::move(sock));
}

Result<RouteWatcher> RouteWatcher::open_in_netns(std::string_view netns_name) {
  auto guard = NetnsGuard::enter(netns_name);
  if (!guard) return std::unexpected(guard.error());
  auto watcher = open();
  if (!watcher) return wrap(watcher.error(), "in network namespace " + std::string(netns_name));
  return watcher;
}

int RouteWatcher::fd() const { return nl_socket_get_fd(sock_.get()); }

Result<std::vector<RouteEvent>> RouteWatcher::poll(std::chrono::milliseconds timeout) {
  std::vector<RouteEvent> events;
  pollfd waiting{.fd = fd(), .events = POLLIN, .revents = 0};
  int ready = ::poll(&waiting, 1, static_cast<int>(timeout.count()));
  if (ready < 0 && errno != EINTR) return wrap(errno_error(errno), "waiting for route changes");
  if (ready <= 0) return events;

  NlCbPtr cb(nl_cb_alloc(NL_CB_DEFAULT));
  if (!cb) return fail(Errc::internal, "reading route changes: out of memory");
  nl_cb_set(cb.get(), NL_CB_VALID, NL_CB_CUSTOM, on_event, &events);
  nl_cb_set(cb.get(), NL_CB_SEQ_CHECK, NL_CB_CUSTOM, accept_any_sequence, nullptr);
  while (true) {
    int err = nl_recvmsgs_report(sock_.get(), cb.get());  // > 0: messages read
    if (err == 0 || err == -NLE_AGAIN) break;             // drained
    if (err > 0) continue;
    if (err == -NLE_NOMEM) {
      // ENOBUFS on a netlink socket: the kernel dropped notifications.
      return fail(Errc::unavailable, "reading route changes: notifications were lost (socket buffer overflow); resync");
    }
    if (err < 0) return wrap(libnl_error(err), "reading route changes");
  }
  return events;
}

}  // namespace weft::kernel
