// Owning handles for libnl objects (internal to src/kernel).
//
// Every libnl object weft allocates is held by one of these unique_ptrs, so it is released on
// every path, early returns included. Each libnl type has its own release function (put/free);
// the deleters below name it once. Objects borrowed from libnl (getters such as
// rtnl_route_get_dst) are never wrapped: libnl keeps owning them.
#pragma once

#include <netlink/addr.h>
#include <netlink/handlers.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/neighbour.h>
#include <netlink/route/nexthop.h>
#include <netlink/route/route.h>
#include <netlink/socket.h>

#include <memory>

namespace weft::kernel {

template <class T, void (*Release)(T*)>
struct NlDeleter {
  void operator()(T* p) const noexcept {
    if (p != nullptr) Release(p);
  }
};

using NlSockPtr = std::unique_ptr<nl_sock, NlDeleter<nl_sock, nl_socket_free>>;
using NlMsgPtr = std::unique_ptr<nl_msg, NlDeleter<nl_msg, nlmsg_free>>;
using NlCbPtr = std::unique_ptr<nl_cb, NlDeleter<nl_cb, nl_cb_put>>;
using NlAddrPtr = std::unique_ptr<nl_addr, NlDeleter<nl_addr, nl_addr_put>>;
using RtnlLinkPtr = std::unique_ptr<rtnl_link, NlDeleter<rtnl_link, rtnl_link_put>>;
using RtnlAddrPtr = std::unique_ptr<rtnl_addr, NlDeleter<rtnl_addr, rtnl_addr_put>>;
using RtnlRoutePtr = std::unique_ptr<rtnl_route, NlDeleter<rtnl_route, rtnl_route_put>>;
using RtnlNeighPtr = std::unique_ptr<rtnl_neigh, NlDeleter<rtnl_neigh, rtnl_neigh_put>>;
// A nexthop is owned by the route it is added to (rtnl_route_add_nexthop); this handle owns it
// only until then: release() it when handing it over.
using RtnlNexthopPtr = std::unique_ptr<rtnl_nexthop, NlDeleter<rtnl_nexthop, rtnl_route_nh_free>>;

}  // namespace weft::kernel
