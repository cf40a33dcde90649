#include "cni/ipam_client.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace weft::cni {
namespace {

using Clock = std::chrono::steady_clock;

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

std::unexpected<Error> unreachable(const std::string& path, std::string_view what) {
  return fail(Errc::unavailable, "weftd at ", path, ": ", what);
}

// Waits until `fd` is ready for `events` or the deadline passes.
bool wait_for(int fd, short events, Clock::time_point deadline) {
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return false;
    pollfd p{fd, events, 0};
    const int n = ::poll(&p, 1, static_cast<int>(left));
    if (n > 0) return true;
    if (n < 0 && errno != EINTR) return false;
  }
}

}  // namespace

Result<ipam::protocol::Response> call_weftd(const std::string& socket_path, const ipam::protocol::Request& request,
                                            std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (socket_path.size() >= sizeof addr.sun_path) return fail(Errc::invalid_argument, "socket path is too long: ", socket_path);
  std::memcpy(addr.sun_path, socket_path.data(), socket_path.size());

  Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (fd.get() < 0) return fail(Errc::io, "socket: ", std::strerror(errno));
  for (;;) {
    if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0 || errno == EISCONN) break;
    if (errno == EINTR) continue;
    // A full accept backlog answers EAGAIN on a non-blocking Unix socket: weftd is busy, not gone.
    if (errno != EAGAIN) return unreachable(socket_path, std::strerror(errno));
    if (Clock::now() >= deadline) return unreachable(socket_path, "timed out connecting");
    ::usleep(2000);
  }

  const std::string out = ipam::protocol::encode(request);
  size_t sent = 0;
  while (sent < out.size()) {
    const ssize_t n = ::send(fd.get(), out.data() + sent, out.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) {
      if (!wait_for(fd.get(), POLLOUT, deadline)) return unreachable(socket_path, "timed out sending the request");
      continue;
    }
    return unreachable(socket_path, std::string("sending: ") + std::strerror(errno));
  }

  std::string in;
  char buf[16384];
  for (;;) {
    if (in.size() > ipam::protocol::kMaxMessageBytes) return fail(Errc::invalid_argument, "weftd's answer is too long");
    if (!in.empty() && in.back() == '\n') break;
    const ssize_t n = ::recv(fd.get(), buf, sizeof buf, 0);
    if (n > 0) {
      in.append(buf, static_cast<size_t>(n));
      continue;
    }
    if (n == 0) break;
    if (errno == EINTR) continue;
    if (errno == EAGAIN) {
      if (!wait_for(fd.get(), POLLIN, deadline)) return unreachable(socket_path, "timed out waiting for the answer");
      continue;
    }
    return unreachable(socket_path, std::string("receiving: ") + std::strerror(errno));
  }
  if (in.empty()) return unreachable(socket_path, "closed the connection without an answer");
  return ipam::protocol::decode_response(in);
}

}  // namespace weft::cni
