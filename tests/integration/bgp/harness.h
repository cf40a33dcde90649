// Test harness for the BGP integration tests and the benchmark: a thread running an io_context
// (optionally inside a network namespace), network namespaces named weft-t-<pid>-<tag> joined by
// a veth pair, child processes started inside a namespace and killed by PID, and a scripted raw
// BGP peer speaking over a blocking socket.
//
// Safety (DESIGN.md "The lab"): only namespaces this harness creates, only veth links inside
// them, 198.18.0.0/16 addresses; nothing in the root namespace. Everything is removed by RAII,
// also when a test fails.
#pragma once

#include <sys/types.h>

#include <asio.hpp>
#include <chrono>
#include <functional>
#include <future>
#include <optional>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include "base/process.h"
#include "bgp/codec.h"

namespace weft::bgp::testing {

// Runs `cmd` with /bin/sh; returns its exit status and, if `out` is given, its stdout and stderr.
int sh(const std::string& cmd, std::string* out = nullptr);

// Waits until pred() is true, polling; false on timeout.
bool eventually(const std::function<bool()>& pred,
                std::chrono::milliseconds timeout = std::chrono::seconds(20),
                std::chrono::milliseconds every = std::chrono::milliseconds(100));

// Removes namespaces named PREFIX<pid>-* left by a run that died (its pid is gone), killing the
// processes still inside them first.
void sweep_stale_namespaces(const std::string& prefix);

class Netns {
 public:
  explicit Netns(const std::string& tag, const std::string& prefix = "weft-t-");
  ~Netns();
  Netns(const Netns&) = delete;
  Netns& operator=(const Netns&) = delete;
  const std::string& name() const { return name_; }
  std::string path() const { return "/run/netns/" + name_; }
  bool ok() const { return ok_; }
  // `ip -n NAME ARGS`; returns the exit status.
  int ip(const std::string& args, std::string* out = nullptr) const;

 private:
  std::string name_;
  bool ok_ = false;
};

// A veth pair between two namespaces with an address on each end (ADDR/LEN), links up.
bool veth(const Netns& a, const std::string& a_ifname, const std::string& a_addr, const Netns& b,
          const std::string& b_ifname, const std::string& b_addr);

class IoThread {
 public:
  explicit IoThread(const std::string& netns_path = "");
  ~IoThread();
  IoThread(const IoThread&) = delete;
  IoThread& operator=(const IoThread&) = delete;
  asio::io_context& io() { return io_; }
  bool ok() const { return ok_; }

  template <class F>
  auto call(F&& f) -> std::invoke_result_t<F> {
    using R = std::invoke_result_t<F>;
    std::packaged_task<R()> task(std::forward<F>(f));
    auto fut = task.get_future();
    asio::post(io_, [&task] { task(); });
    return fut.get();
  }

 private:
  asio::io_context io_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  std::thread thread_;
  bool ok_ = true;
};

// A child process (argv[0] looked up in PATH), optionally inside a namespace (setns before exec,
// kernel/netns_exec.h), with stdout and stderr appended to `log_file`. Stopped (SIGTERM, then
// SIGKILL) on destruction. A failure to start is printed and leaves running() false.
class Process {
 public:
  Process() = default;
  Process(std::vector<std::string> argv, const std::string& netns_path, const std::string& log_file);
  pid_t pid() const { return child_.pid(); }
  // `signal`, then SIGKILL after 2.5 s; reaps.
  void kill(int signal = 15);
  bool running();

 private:
  Child child_;
};

// A temporary directory removed (recursively) on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }
  void write(const std::string& name, const std::string& content) const;

 private:
  std::string path_;
};

// A scripted BGP peer over a blocking socket with a receive timeout: send exactly the bytes a
// test wants (also malformed ones) and read what the speaker answers.
class RawPeer {
 public:
  RawPeer() = default;
  ~RawPeer();
  bool connect(const std::string& address, uint16_t port, const std::string& source = "");
  bool send(const Bytes& bytes);
  bool send(const Message& m) { auto b = encode(m); return b && send(*b); }
  // The next message, raw (header included); nullopt on timeout or close.
  std::optional<Bytes> receive_raw(std::chrono::milliseconds timeout = std::chrono::seconds(5));
  std::optional<Message> receive(std::chrono::milliseconds timeout = std::chrono::seconds(5));
  // The next message of type T, skipping KEEPALIVEs and others; nullopt if none in time.
  template <class T>
  std::optional<T> expect(std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      auto m = receive(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()));
      if (!m) return std::nullopt;
      if (auto* t = std::get_if<T>(&*m)) return *t;
    }
    return std::nullopt;
  }
  // True if the speaker closed the connection within `timeout`.
  bool closed(std::chrono::milliseconds timeout = std::chrono::seconds(5));
  void close();
  int fd() const { return fd_; }

 private:
  bool read_exact(uint8_t* p, size_t n, std::chrono::milliseconds timeout);
  int fd_ = -1;
  bool eof_ = false;
};

// An OPEN from a raw peer (IPv4 unicast, 4-octet AS, optional graceful restart capability).
Open raw_open(uint32_t as, const std::string& router_id, uint16_t hold = 30,
              std::optional<uint16_t> gr_time = std::nullopt, bool gr_forwarding = true);

}  // namespace weft::bgp::testing
