// A tiny HTTP/1.0 server on the agent's event loop for /healthz and /metrics: one request per
// connection, GET only, answers produced by a handler on the loop thread (so it can read the
// agent's state without locks). Listens on "HOST:PORT" or "unix:PATH".
#pragma once

#include <asio.hpp>

#include <functional>
#include <memory>
#include <string>

#include "base/result.h"

namespace weft::agent {

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; version=0.0.4";
  std::string body;
};

using HttpHandler = std::function<HttpResponse(const std::string& path)>;

class HttpServer {
 public:
  static Result<std::unique_ptr<HttpServer>> listen(asio::io_context& io, const std::string& address,
                                                     HttpHandler handler);
  virtual ~HttpServer() = default;
  virtual std::string local_address() const = 0;  // the bound address, e.g. with the real port
};

}  // namespace weft::agent
