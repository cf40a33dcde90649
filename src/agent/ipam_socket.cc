#include "agent/ipam_socket.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "base/log.h"

namespace weft::agent {

namespace proto = ipam::protocol;
using asio::local::stream_protocol;

struct IpamSocket::Connection {
  explicit Connection(asio::io_context& io) : socket(io), timer(io), buffer(proto::kMaxMessageBytes) {}
  stream_protocol::socket socket;
  asio::steady_timer timer;
  asio::streambuf buffer;
  std::string response;
};

namespace {

// A socket file some process still accepts on.
bool answering(const std::string& path) {
  asio::io_context io;
  stream_protocol::socket probe(io);
  asio::error_code ec;
  probe.connect(stream_protocol::endpoint(path), ec);
  return !ec;
}

Result<void> prepare_path(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path p(path);
  if (p.has_parent_path() && !fs::exists(p.parent_path(), ec)) {
    fs::create_directories(p.parent_path(), ec);
    if (ec) return fail(Errc::io, "creating ", p.parent_path().string(), ": ", ec.message());
    fs::permissions(p.parent_path(), fs::perms(0755), ec);
  }
  const auto status = fs::symlink_status(p, ec);
  if (!fs::exists(status)) return {};
  if (!fs::is_socket(status)) return fail(Errc::io, path, " exists and is not a socket");
  if (answering(path)) return fail(Errc::in_use, "another process serves ", path, " (is weftd running already?)");
  fs::remove(p, ec);  // stale: left by a weftd that did not exit cleanly
  if (ec) return fail(Errc::io, "removing stale socket ", path, ": ", ec.message());
  return {};
}

}  // namespace

IpamSocket::IpamSocket(asio::io_context& io, std::string path, IpamService& service, std::chrono::milliseconds read_timeout)
    : io_(io), path_(std::move(path)), service_(service), read_timeout_(read_timeout), acceptor_(io) {}

Result<std::unique_ptr<IpamSocket>> IpamSocket::listen(asio::io_context& io, const std::string& path, IpamService& service,
                                                       std::chrono::milliseconds read_timeout) {
  if (auto r = prepare_path(path); !r) return std::unexpected(r.error());
  std::unique_ptr<IpamSocket> s(new IpamSocket(io, path, service, read_timeout));
  asio::error_code ec;
  const stream_protocol::endpoint endpoint(path);
  s->acceptor_.open(endpoint.protocol(), ec);
  if (!ec) s->acceptor_.bind(endpoint, ec);
  if (ec) return fail(Errc::io, "binding ", path, ": ", ec.message());
  // Root only, set before listen(): until then a connection attempt is refused, so nobody can
  // slip in while the file still has the umask's mode.
  if (::chmod(path.c_str(), 0600) != 0) return fail(Errc::io, "chmod 0600 ", path, ": ", std::strerror(errno));
  s->acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return fail(Errc::io, "listening on ", path, ": ", ec.message());
  s->accept();
  spdlog::info("ipam: serving weft-cni on {}", path);
  return s;
}

IpamSocket::~IpamSocket() {
  *alive_ = false;
  asio::error_code ignored;
  acceptor_.close(ignored);
  std::error_code ec;
  std::filesystem::remove(path_, ec);
}

void IpamSocket::accept() {
  auto conn = std::make_shared<Connection>(io_);
  acceptor_.async_accept(conn->socket, [this, conn, alive = alive_](const asio::error_code& ec) {
    if (!*alive || ec == asio::error::operation_aborted) return;
    if (ec) {
      // Out of file descriptors, most likely: wait a little instead of spinning on the error.
      spdlog::warn("ipam: accept on {}: {}", path_, ec.message());
      auto timer = std::make_shared<asio::steady_timer>(io_, std::chrono::milliseconds(100));
      timer->async_wait([this, timer, alive](const asio::error_code&) {
        if (*alive) accept();
      });
      return;
    }
    serve(conn);
    accept();
  });
}

void IpamSocket::serve(const std::shared_ptr<Connection>& conn) {
  conn->timer.expires_after(read_timeout_);
  conn->timer.async_wait([conn](const asio::error_code& ec) {
    if (!ec) conn->socket.cancel();
  });
  asio::async_read_until(conn->socket, conn->buffer, '\n',
                         [this, conn, alive = alive_](const asio::error_code& ec, size_t n) {
    conn->timer.cancel();
    if (!*alive) return;
    // A client that ends its request with EOF instead of a newline is served too.
    const bool line = !ec || (ec == asio::error::eof && conn->buffer.size() > 0);
    if (!line) {
      const char* why = ec == asio::error::not_found         ? "request exceeds the size limit"
                        : ec == asio::error::operation_aborted ? "timed out waiting for the request"
                                                               : nullptr;
      if (why != nullptr) respond(conn, proto::encode(proto::Response::failure(Error{Errc::invalid_argument, why})));
      return;
    }
    const size_t size = ec ? conn->buffer.size() : n;
    std::string text(asio::buffers_begin(conn->buffer.data()), asio::buffers_begin(conn->buffer.data()) + size);
    auto request = proto::decode_request(text);
    if (!request) {
      respond(conn, proto::encode(proto::Response::failure(request.error())));
      return;
    }
    service_.submit(std::move(*request), [conn, &io = io_](proto::Response response) {
      asio::post(io, [conn, text = proto::encode(response)]() mutable { respond(conn, std::move(text)); });
    });
  });
}

void IpamSocket::respond(const std::shared_ptr<Connection>& conn, std::string line) {
  conn->response = std::move(line);
  asio::async_write(conn->socket, asio::buffer(conn->response), [conn](const asio::error_code&, size_t) {
    asio::error_code ignored;
    conn->socket.shutdown(stream_protocol::socket::shutdown_both, ignored);
    conn->socket.close(ignored);
  });
}

}  // namespace weft::agent
