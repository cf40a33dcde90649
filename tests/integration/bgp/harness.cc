// See harness.h.
#include "harness.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <sstream>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "kernel/netns.h"
#include "kernel/netns_exec.h"

namespace weft::bgp::testing {

int sh(const std::string& cmd, std::string* out) {
  auto r = weft::run(shell_command(cmd + " 2>&1"));
  if (!r) return -1;
  if (out) out->append(r->out);
  return r->exit_code;
}

bool eventually(const std::function<bool()>& pred, std::chrono::milliseconds timeout,
                std::chrono::milliseconds every) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(every);
  }
  return pred();
}

void sweep_stale_namespaces(const std::string& prefix) {
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator("/run/netns", ec)) {
    const std::string name = e.path().filename().string();
    if (name.rfind(prefix, 0) != 0) continue;
    const std::string rest = name.substr(prefix.size());
    const auto dash = rest.find('-');
    if (dash == std::string::npos || dash == 0) continue;
    const pid_t owner = static_cast<pid_t>(std::atol(rest.substr(0, dash).c_str()));
    if (owner <= 0 || ::kill(owner, 0) == 0 || errno != ESRCH) continue;
    std::string pids;
    sh("ip netns pids " + name, &pids);
    std::istringstream in(pids);
    for (pid_t p; in >> p;) ::kill(p, SIGKILL);
    (void)kernel::delete_netns(name);
  }
}

Netns::Netns(const std::string& tag, const std::string& prefix)
    : name_(prefix + std::to_string(getpid()) + "-" + tag) {
  (void)kernel::delete_netns(name_);  // a leftover of a crashed run with a recycled pid
  ok_ = kernel::create_netns(name_).has_value() && ip("link set lo up") == 0;
}

Netns::~Netns() { (void)kernel::delete_netns(name_); }

int Netns::ip(const std::string& args, std::string* out) const {
  return sh("ip -n " + name_ + " " + args, out);
}

bool veth(const Netns& a, const std::string& a_if, const std::string& a_addr, const Netns& b,
          const std::string& b_if, const std::string& b_addr) {
  return a.ip("link add " + a_if + " type veth peer name " + b_if + " netns " + b.name()) == 0 &&
         a.ip("addr add " + a_addr + " dev " + a_if) == 0 &&
         b.ip("addr add " + b_addr + " dev " + b_if) == 0 && a.ip("link set " + a_if + " up") == 0 &&
         b.ip("link set " + b_if + " up") == 0;
}

IoThread::IoThread(const std::string& netns_path) : work_(asio::make_work_guard(io_)) {
  std::promise<bool> entered;
  auto ready = entered.get_future();
  thread_ = std::thread([this, netns_path, &entered] {
    bool ok = true;
    if (!netns_path.empty()) {
      // setns() moves only this thread: every socket the speaker opens from it lives there.
      const int fd = open(netns_path.c_str(), O_RDONLY | O_CLOEXEC);
      ok = fd >= 0 && setns(fd, CLONE_NEWNET) == 0;
      if (fd >= 0) ::close(fd);
    }
    entered.set_value(ok);
    io_.run();
  });
  ok_ = ready.get();
}

IoThread::~IoThread() {
  work_.reset();
  io_.stop();
  thread_.join();
}

Process::Process(std::vector<std::string> argv, const std::string& netns_path,
                 const std::string& log_file) {
  Command command{.argv = std::move(argv)};
  if (!netns_path.empty()) {
    auto inside = kernel::in_netns_at(netns_path, std::move(command));
    if (!inside) {
      std::fprintf(stderr, "cannot start a process in %s: %s\n", netns_path.c_str(), inside.error().describe().c_str());
      return;
    }
    command = std::move(*inside);
  }
  auto child = Child::start(command, log_file);
  if (!child) {
    std::fprintf(stderr, "cannot start a process: %s\n", child.error().describe().c_str());
    return;
  }
  child_ = std::move(*child);
}

void Process::kill(int signal) { child_.stop(std::chrono::milliseconds(2500), signal); }

bool Process::running() { return child_.owns() && !child_.exited().has_value(); }

TempDir::TempDir() {
  char tmpl[] = "/tmp/weft-bgp-XXXXXX";
  path_ = mkdtemp(tmpl) ? tmpl : "/tmp";
}

TempDir::~TempDir() {
  std::error_code ec;
  if (path_ != "/tmp") std::filesystem::remove_all(path_, ec);
}

void TempDir::write(const std::string& name, const std::string& content) const {
  std::ofstream(file(name)) << content;
}

RawPeer::~RawPeer() { close(); }

void RawPeer::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

bool RawPeer::connect(const std::string& address, uint16_t port, const std::string& source) {
  close();
  eof_ = false;
  fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  if (!source.empty()) {
    inet_pton(AF_INET, source.c_str(), &sa.sin_addr);
    if (bind(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) return false;
  }
  sa.sin_port = htons(port);
  inet_pton(AF_INET, address.c_str(), &sa.sin_addr);
  return ::connect(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0;
}

bool RawPeer::send(const Bytes& bytes) {
  size_t off = 0;
  while (off < bytes.size()) {
    const ssize_t n = ::send(fd_, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return false;
    off += static_cast<size_t>(n);
  }
  return true;
}

bool RawPeer::read_exact(uint8_t* p, size_t n, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (n > 0) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd pfd{fd_, POLLIN, 0};
    if (poll(&pfd, 1, static_cast<int>(left.count())) <= 0) return false;
    const ssize_t r = ::recv(fd_, p, n, 0);
    if (r <= 0) {
      eof_ = true;
      return false;
    }
    p += r;
    n -= static_cast<size_t>(r);
  }
  return true;
}

std::optional<Bytes> RawPeer::receive_raw(std::chrono::milliseconds timeout) {
  Bytes m(kHeaderSize);
  if (fd_ < 0 || !read_exact(m.data(), kHeaderSize, timeout)) return std::nullopt;
  auto len = message_length(m);
  if (!len) return std::nullopt;
  m.resize(*len);
  if (!read_exact(m.data() + kHeaderSize, *len - kHeaderSize, timeout)) return std::nullopt;
  return m;
}

std::optional<Message> RawPeer::receive(std::chrono::milliseconds timeout) {
  auto raw = receive_raw(timeout);
  if (!raw) return std::nullopt;
  auto m = decode(*raw);
  if (!m) return std::nullopt;
  return *m;
}

bool RawPeer::closed(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!eof_ && std::chrono::steady_clock::now() < deadline) {
    if (!receive_raw(std::chrono::milliseconds(200)) && !eof_) continue;
  }
  return eof_;
}

Open raw_open(uint32_t as, const std::string& router_id, uint16_t hold, std::optional<uint16_t> gr_time,
              bool gr_forwarding) {
  Open o;
  o.my_as = static_cast<uint16_t>(as > 0xffff ? kAsTrans : as);
  o.hold_time = hold;
  in_addr a{};
  inet_pton(AF_INET, router_id.c_str(), &a);
  o.bgp_id = ntohl(a.s_addr);
  o.capabilities.emplace_back(std::in_place_type<MultiprotocolCapability>, kIpv4Unicast);
  if (gr_time) {
    GracefulRestartCapability gr;
    gr.restart_time = *gr_time;
    gr.families.push_back({kIpv4Unicast, gr_forwarding});
    o.capabilities.emplace_back(std::in_place_type<GracefulRestartCapability>, std::move(gr));
  }
  o.capabilities.emplace_back(std::in_place_type<FourOctetAsCapability>, as);
  return o;
}

}  // namespace weft::bgp::testing
