#include "cli/lab/port_probe.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "kernel/netns.h"

namespace weft::cli::lab {
namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kUdpResend = std::chrono::milliseconds(200);
constexpr char kPayload[] = "weft-lab-probe";

class Socket {
 public:
  explicit Socket(int fd = -1) : fd_(fd) {}
  Socket(Socket&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  Socket& operator=(Socket&& o) noexcept {
    std::swap(fd_, o.fd_);
    return *this;
  }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  ~Socket() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

int sock_type(ProbeProtocol p) { return p == ProbeProtocol::tcp ? SOCK_STREAM : SOCK_DGRAM; }

sockaddr_in v4(uint32_t address_host_order, uint16_t port) {
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  sa.sin_addr.s_addr = htonl(address_host_order);
  return sa;
}

std::string describe(const Listener& l) {
  return std::string(to_string(l.protocol)) + "/" + std::to_string(l.port) + " in " + l.netns;
}

Result<Socket> open_listener(const Listener& l) {
  auto guard = kernel::NetnsGuard::enter(l.netns);
  if (!guard) return std::unexpected(guard.error());
  Socket s(::socket(AF_INET, sock_type(l.protocol) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (s.get() < 0) return fail(Errc::io, "listener ", describe(l), ": socket: ", std::strerror(errno));
  const int one = 1;
  ::setsockopt(s.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  const sockaddr_in any = v4(INADDR_ANY, l.port);
  if (::bind(s.get(), reinterpret_cast<const sockaddr*>(&any), sizeof any) != 0) {
    return fail(Errc::io, "listener ", describe(l), ": bind: ", std::strerror(errno));
  }
  if (l.protocol == ProbeProtocol::tcp && ::listen(s.get(), 1024) != 0) {
    return fail(Errc::io, "listener ", describe(l), ": listen: ", std::strerror(errno));
  }
  return s;
}

// A probe in flight.
struct Pending {
  Probe* probe;
  Socket socket;
  bool done = false;
  Clock::time_point sent{};
};

// Opens the probe's socket in its source namespace and starts the connection. A probe that fails
// at once (refused, unreachable) is done and blocked.
Result<Pending> start_probe(Probe& p) {
  Pending out{&p, Socket{}};
  auto guard = kernel::NetnsGuard::enter(p.from_netns);
  if (!guard) return std::unexpected(guard.error());
  out.socket = Socket(::socket(AF_INET, sock_type(p.protocol) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (out.socket.get() < 0) return fail(Errc::io, "probe socket in ", p.from_netns, ": ", std::strerror(errno));
  const sockaddr_in to = v4(p.to.v4_host_order(), p.port);
  const int r = ::connect(out.socket.get(), reinterpret_cast<const sockaddr*>(&to), sizeof to);
  if (r != 0 && errno != EINPROGRESS) {
    out.done = true;  // blocked
    return out;
  }
  if (p.protocol == ProbeProtocol::udp) {
    (void)::send(out.socket.get(), kPayload, sizeof kPayload - 1, MSG_NOSIGNAL);
    out.sent = Clock::now();
  } else if (r == 0) {
    p.allowed = out.done = true;
  }
  return out;
}

void serve(const Listener& l, int fd) {
  if (l.protocol == ProbeProtocol::tcp) {
    for (int c; (c = ::accept4(fd, nullptr, nullptr, SOCK_CLOEXEC)) >= 0;) ::close(c);
    return;
  }
  char buf[512];
  for (;;) {
    sockaddr_storage from{};
    socklen_t len = sizeof from;
    const ssize_t n = ::recvfrom(fd, buf, sizeof buf, MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&from), &len);
    if (n < 0) return;
    (void)::sendto(fd, buf, static_cast<size_t>(n), MSG_DONTWAIT | MSG_NOSIGNAL, reinterpret_cast<sockaddr*>(&from), len);
  }
}

// Moves a probe on after poll() said something about its socket.
void advance(Pending& p, short revents) {
  if (p.probe->protocol == ProbeProtocol::tcp) {
    if ((revents & (POLLOUT | POLLERR | POLLHUP)) == 0) return;
    int err = 0;
    socklen_t len = sizeof err;
    ::getsockopt(p.socket.get(), SOL_SOCKET, SO_ERROR, &err, &len);
    p.probe->allowed = err == 0;
    p.done = true;
    return;
  }
  char buf[64];
  const ssize_t n = ::recv(p.socket.get(), buf, sizeof buf, MSG_DONTWAIT);
  if (n >= 0) {
    p.probe->allowed = true;
    p.done = true;
  } else if (errno != EAGAIN && errno != EWOULDBLOCK) {
    p.done = true;  // an ICMP error came back: refused or unreachable
  }
}

Result<void> run_batch(const std::vector<Listener>& listeners, const std::vector<Socket>& listening,
                       std::vector<Probe*> batch, std::chrono::milliseconds timeout) {
  // Grouped by source namespace, so the thread moves once per namespace rather than per probe.
  std::stable_sort(batch.begin(), batch.end(), [](const Probe* a, const Probe* b) { return a->from_netns < b->from_netns; });
  std::vector<Pending> pending;
  pending.reserve(batch.size());
  for (Probe* p : batch) {
    auto started = start_probe(*p);
    if (!started) return std::unexpected(started.error());
    pending.push_back(std::move(*started));
  }
  const auto deadline = Clock::now() + timeout;
  std::vector<pollfd> fds;
  std::vector<Pending*> polled;
  for (;;) {
    fds.clear();
    polled.clear();
    for (const auto& s : listening) fds.push_back({s.get(), POLLIN, 0});
    for (auto& p : pending) {
      if (p.done) continue;
      fds.push_back({p.socket.get(), static_cast<short>(p.probe->protocol == ProbeProtocol::tcp ? POLLOUT : POLLIN), 0});
      polled.push_back(&p);
    }
    const auto now = Clock::now();
    if (polled.empty() || now >= deadline) break;
    const auto wait = std::min(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now) + std::chrono::milliseconds(1),
                               std::chrono::milliseconds(kUdpResend));
    const int n = ::poll(fds.data(), fds.size(), static_cast<int>(wait.count()));
    if (n < 0 && errno != EINTR) return fail(Errc::io, "poll: ", std::strerror(errno));
    for (size_t i = 0; i < listening.size(); ++i) {
      if (fds[i].revents & POLLIN) serve(listeners[i], listening[i].get());
    }
    for (size_t i = 0; i < polled.size(); ++i) {
      if (fds[listening.size() + i].revents != 0) advance(*polled[i], fds[listening.size() + i].revents);
    }
    for (auto* p : polled) {
      if (!p->done && p->probe->protocol == ProbeProtocol::udp && Clock::now() - p->sent >= kUdpResend) {
        (void)::send(p->socket.get(), kPayload, sizeof kPayload - 1, MSG_DONTWAIT | MSG_NOSIGNAL);
        p->sent = Clock::now();
      }
    }
  }
  return {};  // what is not done by the deadline stays blocked
}

}  // namespace

std::string_view to_string(ProbeProtocol protocol) { return protocol == ProbeProtocol::tcp ? "tcp" : "udp"; }

Result<void> run_probes(const std::vector<Listener>& listeners, std::vector<Probe>& probes, const ProbeOptions& options) {
  for (const auto& p : probes) {
    if (!p.to.is_v4()) return fail(Errc::invalid_argument, "probe to ", p.to.to_string(), ": IPv4 only");
  }
  std::vector<Socket> listening;
  for (const auto& l : listeners) {
    auto s = open_listener(l);
    if (!s) return std::unexpected(s.error());
    listening.push_back(std::move(*s));
  }
  const size_t per_batch = std::max<size_t>(1, options.max_open);
  for (size_t first = 0; first < probes.size(); first += per_batch) {
    std::vector<Probe*> batch;
    for (size_t i = first; i < std::min(probes.size(), first + per_batch); ++i) {
      probes[i].allowed = false;
      batch.push_back(&probes[i]);
    }
    if (auto r = run_batch(listeners, listening, std::move(batch), options.timeout); !r) return r;
  }
  return {};
}

}  // namespace weft::cli::lab
