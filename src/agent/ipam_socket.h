// IpamSocket: the Unix socket weft-cni talks to (ipam_protocol.h), served on the agent's Asio
// loop; the requests themselves run on the IpamService's worker.
//
// listen(): creates the socket's directory (0755) if needed, removes a stale socket left by a
// previous weftd — but refuses (Errc::in_use) when another process still answers on it —, binds,
// and restricts the socket to root (mode 0600: whoever can talk to it can take addresses).
// Each connection carries one request line and gets one response line, then is closed. A
// connection that sends nothing usable within the read timeout, or more than kMaxMessageBytes,
// is answered with an invalid_argument error (if it is still there) and closed. Errors: io for
// a socket that cannot be created.
#pragma once

#include <asio.hpp>

#include <chrono>
#include <memory>
#include <string>

#include "agent/ipam_service.h"
#include "base/result.h"

namespace weft::agent {

class IpamSocket {
 public:
  static Result<std::unique_ptr<IpamSocket>> listen(asio::io_context& io, const std::string& path, IpamService& service,
                                                    std::chrono::milliseconds read_timeout = std::chrono::seconds(10));
  ~IpamSocket();  // stops accepting and removes the socket file
  IpamSocket(const IpamSocket&) = delete;
  IpamSocket& operator=(const IpamSocket&) = delete;

  const std::string& path() const { return path_; }

 private:
  struct Connection;
  IpamSocket(asio::io_context& io, std::string path, IpamService& service, std::chrono::milliseconds read_timeout);
  void accept();
  void serve(const std::shared_ptr<Connection>& conn);
  static void respond(const std::shared_ptr<Connection>& conn, std::string line);

  asio::io_context& io_;
  std::string path_;
  IpamService& service_;
  std::chrono::milliseconds read_timeout_;
  asio::local::stream_protocol::acceptor acceptor_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);  // lets late completions see we are gone
};

}  // namespace weft::agent
