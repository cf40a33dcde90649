// One TCP connection of a BGP session and the Fsm that runs it: the driver side of fsm.h's
// contract. Owned by a Peer, which performs the Fsm's actions through this class.
//
// - Timers are asio steady_timers behind FsmTimer: start() re-arms, stop() guarantees the expiry
//   is never delivered (a generation check, since a cancelled wait may already be queued). A
//   timer whose deadline moves later (the HoldTimer, on every message) is not re-armed in asio:
//   the pending wait notices the new deadline when it fires and waits again.
// - Reads are buffered: as many whole messages as arrived are decoded per read (message_length()
//   on each 19-octet header, then decode() with the Fsm's decode_options()), each turned into an
//   event with to_event() and delivered in order; delivery stops as soon as the connection is
//   dropped by an action.
// - Writes are queued and written without blocking; drop() hands unsent octets (a final
//   NOTIFICATION) to a lingering closer that writes them, then closes, within 3 seconds.
// - Every asynchronous handler checks a liveness token and the connection generation, so a
//   destroyed or dropped connection never sees a stale completion. RAII throughout: the socket
//   and timers close with the object.
#pragma once

#include <asio.hpp>
#include <array>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "bgp/fsm.h"

namespace weft::bgp {

class FsmTimer {
 public:
  FsmTimer(asio::io_context& io, std::function<void()> on_expiry);
  void start(Seconds duration);
  void stop();
  bool running() const { return active_; }

 private:
  void wait();
  asio::steady_timer timer_;
  std::function<void()> on_expiry_;
  std::chrono::steady_clock::time_point deadline_{};
  bool active_ = false;
  bool waiting_ = false;
  uint64_t wait_seq_ = 0;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

class Connection {
 public:
  enum class Direction { outbound, inbound };
  using EventSink = std::function<void(Connection&, const Event&)>;

  Connection(asio::io_context& io, Direction direction, FsmConfig config, EventSink sink);
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection();

  Fsm fsm;
  const Direction direction;

  void start_timer(Timer t, Seconds d) { timers_[static_cast<size_t>(t)]->start(d); }
  void stop_timer(Timer t) { timers_[static_cast<size_t>(t)]->stop(); }
  void stop_all_timers();

  // ConnectTcp: a fresh socket (MD5 key, TTL and source address set first; ttl 0: the system's),
  // then async connect; the outcome arrives as TcpConnectionAcknowledged or TcpConnectionFails.
  void connect(const asio::ip::tcp::endpoint& remote, const std::optional<IpAddress>& source,
               const std::string& md5_key, uint8_t ttl = 0);
  // An accepted socket; the caller then feeds TcpConnectionConfirmed.
  void attach(asio::ip::tcp::socket socket);
  void send(const Bytes& bytes);
  void drop();  // DropTcp
  bool connected() const { return socket_.has_value() && connected_; }
  std::optional<IpAddress> local_address() const { return local_; }
  std::optional<IpAddress> remote_address() const { return remote_; }

 private:
  void emit(const Event& e) { sink_(*this, e); }
  void post_event(Event e);
  void on_connected();
  void read();
  void on_read(size_t n);
  void pump();
  void fail(const asio::error_code& ec);

  asio::io_context& io_;
  EventSink sink_;
  std::array<std::unique_ptr<FsmTimer>, 4> timers_;
  std::optional<asio::ip::tcp::socket> socket_;
  bool connected_ = false;
  uint64_t gen_ = 0;  // bumped on every drop/connect/attach
  std::optional<IpAddress> local_, remote_;
  Bytes rbuf_;
  size_t rlen_ = 0;
  Bytes out_;
  size_t sent_ = 0;
  bool write_waiting_ = false;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

IpAddress to_ip(const asio::ip::address& a);
asio::ip::address to_asio(const IpAddress& a);

}  // namespace weft::bgp
