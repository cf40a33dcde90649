// A real etcd server (Debian's etcd-server) for tests: its own free ports on 127.0.0.1 and a
// temporary data directory, started and stopped by the test. Nothing here touches any network
// namespace or address outside loopback.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "base/process.h"

namespace weft::testing {

class EtcdServer {
 public:
  // Serving clients over TLS: etcd's --cert-file, --key-file, and with ca_file
  // --trusted-ca-file and --client-cert-auth (clients must then present a certificate).
  struct Tls {
    std::string cert_file;
    std::string key_file;
    std::string ca_file;
  };

  EtcdServer();  // picks ports and a data dir; does not start
  explicit EtcdServer(Tls tls);  // the same, serving https (health is checked on a metrics port)
  ~EtcdServer();  // stops the process and removes the data dir
  EtcdServer(const EtcdServer&) = delete;
  EtcdServer& operator=(const EtcdServer&) = delete;

  // Starts etcd and waits until /health answers; false (with a message on stderr) if it did not
  // come up within `timeout`. Restarting after stop() reuses the same ports and data.
  bool start(std::chrono::milliseconds timeout = std::chrono::seconds(20));
  void stop();  // SIGTERM, then SIGKILL after a few seconds; waits for the exit
  bool running() const { return process_.owns(); }

  std::string endpoint() const;  // "127.0.0.1:PORT"
  std::string url() const { return "etcd://" + endpoint(); }
  int client_port() const { return client_port_; }

  // The shared etcd of a test run: the one named by WEFT_TEST_ETCD ("HOST:PORT", set by
  // scripts/test) or, when unset, one started on first use and stopped at exit.
  static std::string shared_endpoint();

 private:
  int client_port_ = 0;
  int peer_port_ = 0;
  int metrics_port_ = 0;  // plain-http /health when clients use TLS
  std::optional<Tls> tls_;
  std::string data_dir_;
  Child process_;
};

// A TCP port on 127.0.0.1 that was free a moment ago.
int free_tcp_port();

}  // namespace weft::testing
