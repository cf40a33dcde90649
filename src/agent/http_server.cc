#include "agent/http_server.h"

#include <charconv>
#include <filesystem>

namespace weft::agent {
namespace {

std::string status_text(int status) {
  switch (status) {
    case 200: return "OK";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 503: return "Service Unavailable";
    default: return "Error";
  }
}

template <class Protocol>
class Server : public HttpServer {
 public:
  Server(asio::io_context& io, typename Protocol::endpoint endpoint, HttpHandler handler)
      : acceptor_(io, endpoint), handler_(std::move(handler)) {
    accept();
  }

  std::string local_address() const override {
    if constexpr (std::is_same_v<Protocol, asio::ip::tcp>) {
      auto e = acceptor_.local_endpoint();
      return e.address().to_string() + ":" + std::to_string(e.port());
    } else {
      return "unix:" + acceptor_.local_endpoint().path();
    }
  }

 private:
  struct Connection {
    explicit Connection(asio::io_context& io) : socket(io) {}
    typename Protocol::socket socket;
    asio::streambuf request;
    std::string response;
  };

  void accept() {
    auto conn = std::make_shared<Connection>(static_cast<asio::io_context&>(acceptor_.get_executor().context()));
    acceptor_.async_accept(conn->socket, [this, conn](const asio::error_code& ec) {
      if (ec == asio::error::operation_aborted) return;
      if (!ec) serve(conn);
      accept();
    });
  }

  void serve(const std::shared_ptr<Connection>& conn) {
    asio::async_read_until(conn->socket, conn->request, "\r\n\r\n",
                           [this, conn](const asio::error_code& ec, size_t) {
                             if (ec) return;
                             std::istream in(&conn->request);
                             std::string method, path;
                             in >> method >> path;
                             HttpResponse r = method == "GET" ? handler_(path)
                                                              : HttpResponse{405, "text/plain", "GET only\n"};
                             conn->response = "HTTP/1.0 " + std::to_string(r.status) + " " + status_text(r.status) +
                                              "\r\nContent-Type: " + r.content_type +
                                              "\r\nContent-Length: " + std::to_string(r.body.size()) +
                                              "\r\nConnection: close\r\n\r\n" + r.body;
                             asio::async_write(conn->socket, asio::buffer(conn->response),
                                               [conn](const asio::error_code&, size_t) {
                                                 asio::error_code ignored;
                                                 conn->socket.shutdown(Protocol::socket::shutdown_both, ignored);
                                               });
                           });
  }

  typename Protocol::acceptor acceptor_;
  HttpHandler handler_;
};

}  // namespace

Result<std::unique_ptr<HttpServer>> HttpServer::listen(asio::io_context& io, const std::string& address,
                                                       HttpHandler handler) {
  try {
    if (address.starts_with("unix:")) {
      const std::string path = address.substr(5);
      std::error_code ignored;
      std::filesystem::remove(path, ignored);  // a stale socket of an earlier run
      return std::make_unique<Server<asio::local::stream_protocol>>(
          io, asio::local::stream_protocol::endpoint(path), std::move(handler));
    }
    auto colon = address.rfind(':');
    if (colon == std::string::npos) return fail(Errc::invalid_argument, "metrics address '", address, "' is not HOST:PORT or unix:PATH");
    uint16_t port = 0;
    auto port_text = std::string_view(address).substr(colon + 1);
    auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc() || end != port_text.data() + port_text.size()) {
      return fail(Errc::invalid_argument, "metrics address '", address, "' has a bad port");
    }
    asio::error_code aec;
    auto ip = asio::ip::make_address(address.substr(0, colon), aec);
    if (aec) return fail(Errc::invalid_argument, "metrics address '", address, "' has a bad host");
    return std::make_unique<Server<asio::ip::tcp>>(io, asio::ip::tcp::endpoint(ip, port), std::move(handler));
  } catch (const asio::system_error& e) {
    return fail(Errc::io, "listening on ", address, ": ", e.what());
  }
}

}  // namespace weft::agent
