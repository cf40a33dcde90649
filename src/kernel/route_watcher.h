// RouteWatcher: a subscription to the kernel's IPv4 and IPv6 route notifications in one network
// namespace (RTNLGRP_IPV4_ROUTE, RTNLGRP_IPV6_ROUTE).
//
// Used to prove that a reconcile changed nothing (a weftd restart must not delete and re-add a
// route that is already right) and, later, to react to routes removed behind weft's back.
//
// Contract:
// - Events arrive in kernel order; every route of every protocol and table is reported (filter on
//   Route::protocol). A replace (NLM_F_REPLACE) is reported as `added` with the new route — the
//   kernel sends RTM_NEWROUTE and no RTM_DELROUTE for it — so "no `deleted` event" means no route
//   went away. Replacing a route with an identical one produces no event at all.
// - poll() waits up to `timeout` for the first event, then returns everything already queued
//   (possibly nothing). If the kernel dropped notifications because the socket buffer overflowed,
//   poll() returns Errc::unavailable: the caller must resync by listing.
// - fd() can be watched by an event loop; the socket is non-blocking.
#pragma once

#include <chrono>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "kernel/nl_handles.h"
#include "kernel/route.h"

namespace weft::kernel {

struct RouteEvent {
  enum class Kind { added, deleted };
  Kind kind = Kind::added;
  Route route{};
};

class RouteWatcher {
 public:
  static Result<RouteWatcher> open();  // the calling thread's namespace
  static Result<RouteWatcher> open_in_netns(std::string_view netns_name);

  Result<std::vector<RouteEvent>> poll(std::chrono::milliseconds timeout);
  int fd() const;

 private:
  explicit RouteWatcher(NlSockPtr sock) : sock_(std::move(sock)) {}
  NlSockPtr sock_;
};

}  // namespace weft::kernel
