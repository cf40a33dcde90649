// NetlinkSocket: one NETLINK_ROUTE socket (libnl nl_sock) and the request/acknowledge exchange
// every kernel call in src/kernel goes through.
//
// Contract:
// - A socket belongs to the network namespace its opening thread was in: open() uses the calling
//   thread's namespace, open_in_netns(name) opens it inside NAME (through a NetnsGuard) and every
//   later call on it acts on NAME, whichever namespace the calling thread is in.
// - request() sends one message and waits until the kernel has answered it completely (ACK,
//   error, or NLMSG_DONE after a dump), handing each returned object (a reply to a GET, the
//   entries of a dump) to `on_object` as a libnl object. On failure its Error carries the exact
//   errno of the kernel's answer (not libnl's lossy translation of it) and the kernel's
//   extended-ack text when there is one: "Network is unreachable (errno 101; kernel: ...)".
//   Callers prepend what they were doing with wrap(). Messages that do not answer the request in
//   flight (leftovers of an exchange abandoned after a libnl error) are skipped, so one failure
//   never poisons the socket for later requests.
// - Not thread-safe: one socket per thread (or external locking). Movable, not copyable.
#pragma once

#include <cstddef>
#include <functional>
#include <string_view>

#include "base/result.h"
#include "kernel/nl_handles.h"

namespace weft::kernel {

class NetlinkSocket {
 public:
  using ObjectFn = std::function<void(nl_object*)>;

  static Result<NetlinkSocket> open();
  static Result<NetlinkSocket> open_in_netns(std::string_view netns_name);

  // `msg` must be a complete request without sequence number; NLM_F_ACK is added.
  Result<void> request(NlMsgPtr msg, const ObjectFn& on_object = nullptr);

  // The kernel's errno for the last request(): 0 after a success or a failure inside libnl.
  // For callers that give one errno a meaning of their own (ENETUNREACH on a lookup).
  int last_errno() const { return last_errno_; }

  nl_sock* get() const { return sock_.get(); }

 private:
  explicit NetlinkSocket(NlSockPtr sock) : sock_(std::move(sock)) {}
  NlSockPtr sock_;
  int last_errno_ = 0;
};

// A dump request (NLM_F_DUMP) of `type` (RTM_GETLINK, RTM_GETROUTE, ...) whose payload is the
// family header `header` of `size` bytes (an ifinfomsg, rtmsg, ifaddrmsg or ndmsg).
Result<NlMsgPtr> dump_request(int type, const void* header, size_t size);

}  // namespace weft::kernel
