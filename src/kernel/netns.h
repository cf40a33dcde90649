// Named network namespaces, the way iproute2 keeps them: a namespace NAME is a bind mount of an
// nsfs file on /run/netns/NAME, so it outlives the process that made it and `ip netns` sees it.
//
// Contract:
// - create_netns() makes a new, empty namespace (only `lo`, down) and returns already_exists if
//   /run/netns/NAME exists; delete_netns() unmounts and removes it, not_found if absent. Neither
//   touches the calling thread's namespace. (Deleting does not kill processes inside: the
//   namespace lives on while they do.)
// - NetnsGuard moves the CALLING THREAD (not the process) into a namespace with setns() and moves
//   it back on destruction, also when the body returns an error or throws. A guard must be
//   destroyed on the thread that made it; failing to return is unrecoverable (the thread would
//   program the wrong namespace), so the destructor aborts the process in that case.
// - Netlink sockets, /proc/sys/net files and /proc/thread-self/net belong to the namespace the
//   thread was in when it opened them (see sysctl.h); /proc/self/net follows the process's main
//   thread, not the calling thread.
// Errors: invalid_argument for a bad name; errno-mapped codes (errors.h) for system calls, with
// the operation and the namespace in the message.
#pragma once

#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <vector>

#include "base/result.h"

namespace weft::kernel {

inline constexpr std::string_view kNetnsDir = "/run/netns";

// A valid name is non-empty, at most 255 bytes, not "." or "..", and has no '/'.
Result<void> validate_netns_name(std::string_view name);
std::string netns_path(std::string_view name);  // "/run/netns/NAME"

// Creates the namespace like `ip netns add NAME`: makes /run/netns a shared mount point (so the
// bind mounts propagate to other mount namespaces), creates the file, and bind-mounts a fresh
// namespace (unshare(CLONE_NEWNET) on a helper thread) onto it.
Result<void> create_netns(std::string_view name);
// Like `ip netns del NAME`: lazy unmount, then unlink.
Result<void> delete_netns(std::string_view name);
bool netns_exists(std::string_view name);
// Names under /run/netns, sorted; empty when the directory does not exist.
Result<std::vector<std::string>> list_netns();

// An open file descriptor on a namespace (O_RDONLY | O_CLOEXEC), closed on destruction. Used to
// create a veth peer in, or move a link to, another namespace (IFLA_NET_NS_FD).
class NetnsFd {
 public:
  static Result<NetnsFd> open(std::string_view name);       // /run/netns/NAME
  static Result<NetnsFd> open_path(const std::string& path);  // e.g. /proc/PID/ns/net
  static Result<NetnsFd> current();                          // the calling thread's namespace

  NetnsFd(NetnsFd&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  NetnsFd& operator=(NetnsFd&& other) noexcept;
  NetnsFd(const NetnsFd&) = delete;
  NetnsFd& operator=(const NetnsFd&) = delete;
  ~NetnsFd();

  int get() const { return fd_; }

 private:
  explicit NetnsFd(int fd) : fd_(fd) {}
  int fd_ = -1;
};

class NetnsGuard {
 public:
  static Result<NetnsGuard> enter(std::string_view name);
  static Result<NetnsGuard> enter(const NetnsFd& target);

  NetnsGuard(NetnsGuard&& other) noexcept;
  NetnsGuard& operator=(NetnsGuard&&) = delete;
  NetnsGuard(const NetnsGuard&) = delete;
  NetnsGuard& operator=(const NetnsGuard&) = delete;
  ~NetnsGuard();

 private:
  NetnsGuard(int original_fd, std::thread::id thread) : original_fd_(original_fd), thread_(thread) {}
  int original_fd_ = -1;
  std::thread::id thread_;
};

// Runs `body` (returning some Result<T>) on the calling thread inside namespace `name` and
// returns its result; the thread is back in its own namespace afterwards either way. An error
// entering the namespace is returned without running the body.
template <class F>
auto run_in_netns(std::string_view name, F&& body) -> std::invoke_result_t<F&> {
  using R = std::invoke_result_t<F&>;
  static_assert(std::is_same_v<typename R::error_type, Error>, "body must return a Result<T>");
  auto guard = NetnsGuard::enter(name);
  if (!guard) return std::unexpected(guard.error());
  return body();
}

}  // namespace weft::kernel
