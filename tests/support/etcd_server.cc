#include "etcd_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace weft::testing {
namespace {

// One GET /health over a fresh TCP connection; true when etcd says it is healthy.
bool etcd_healthy(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval tv{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  bool ok = false;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    const std::string request = "GET /health HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
    if (::write(fd, request.data(), request.size()) == static_cast<ssize_t>(request.size())) {
      std::string answer;
      char buf[512];
      ssize_t n;
      while ((n = ::read(fd, buf, sizeof buf)) > 0) answer.append(buf, static_cast<size_t>(n));
      ok = answer.find("\"health\":\"true\"") != std::string::npos;
    }
  }
  ::close(fd);
  return ok;
}

}  // namespace

int free_tcp_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

EtcdServer::EtcdServer() {
  client_port_ = free_tcp_port();
  do {
    peer_port_ = free_tcp_port();
  } while (peer_port_ == client_port_);
  char tmpl[] = "/tmp/weft-etcd-XXXXXX";
  data_dir_ = ::mkdtemp(tmpl);
}

EtcdServer::EtcdServer(Tls tls) : EtcdServer() {
  tls_ = std::move(tls);
  do {
    metrics_port_ = free_tcp_port();
  } while (metrics_port_ == client_port_ || metrics_port_ == peer_port_);
}

EtcdServer::~EtcdServer() {
  stop();
  std::error_code ignored;
  std::filesystem::remove_all(data_dir_, ignored);
}

std::string EtcdServer::endpoint() const { return "127.0.0.1:" + std::to_string(client_port_); }

bool EtcdServer::start(std::chrono::milliseconds timeout) {
  if (running()) return true;
  const std::string client = (tls_ ? "https://" : "http://") + endpoint();
  const std::string peer = "http://127.0.0.1:" + std::to_string(peer_port_);
  std::vector<std::string> args = {
      "etcd",
      "--name=weft-test",
      "--data-dir=" + data_dir_ + "/data",
      "--listen-client-urls=" + client,
      "--advertise-client-urls=" + client,
      "--listen-peer-urls=" + peer,
      "--initial-advertise-peer-urls=" + peer,
      "--initial-cluster=weft-test=" + peer,
      "--heartbeat-interval=10",
      "--election-timeout=100",
      "--logger=zap",
      "--log-level=error",
      "--log-outputs=" + data_dir_ + "/etcd.log",
  };
  if (tls_) {
    args.push_back("--cert-file=" + tls_->cert_file);
    args.push_back("--key-file=" + tls_->key_file);
    if (!tls_->ca_file.empty()) {
      args.push_back("--trusted-ca-file=" + tls_->ca_file);
      args.push_back("--client-cert-auth");
    }
    args.push_back("--listen-metrics-urls=http://127.0.0.1:" + std::to_string(metrics_port_));
  }
  const int health_port = tls_ ? metrics_port_ : client_port_;
  auto started = Child::start(Command{.argv = args});
  if (!started) {
    std::fprintf(stderr, "cannot start etcd: %s\n", started.error().describe().c_str());
    return false;
  }
  process_ = std::move(*started);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (auto code = process_.exited()) {
      std::fprintf(stderr, "etcd exited during start (exit code %d); log in %s/etcd.log\n", *code,
                   data_dir_.c_str());
      return false;
    }
    if (etcd_healthy(health_port)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  std::fprintf(stderr, "etcd did not become healthy on %s\n", endpoint().c_str());
  stop();
  return false;
}

void EtcdServer::stop() { process_.stop(std::chrono::seconds(5)); }

std::string EtcdServer::shared_endpoint() {
  if (const char* env = std::getenv("WEFT_TEST_ETCD"); env != nullptr && *env != '\0') return env;
  static std::unique_ptr<EtcdServer> server = [] {
    auto s = std::make_unique<EtcdServer>();
    if (!s->start()) {
      std::fprintf(stderr, "could not start the shared test etcd\n");
      std::abort();
    }
    return s;
  }();
  return server->endpoint();
}

}  // namespace weft::testing
