// The TCP side of a session (see connection.h). Nothing here blocks: connect, read and write are
// asynchronous, and writes use non-blocking write_some with a wait for writability, so that the
// number of octets sent is always known (which drop() needs to hand the rest to the closer).
#include "bgp/connection.h"

#include <netinet/tcp.h>

#include <cstring>

#include "base/log.h"
#include "bgp/tcp_md5.h"

namespace weft::bgp {
namespace {

constexpr size_t kReadBuffer = 64 * 1024;

// Writes what is left of a dropped connection's output, then closes. Owns itself through the
// handlers it has pending.
struct Linger : std::enable_shared_from_this<Linger> {
  Linger(asio::io_context& io, asio::ip::tcp::socket s, Bytes b)
      : socket(std::move(s)), bytes(std::move(b)), timer(io) {}
  void run() {
    auto self = shared_from_this();
    timer.expires_after(std::chrono::seconds(3));
    timer.async_wait([self](const asio::error_code& ec) {
      if (!ec) self->close();
    });
    asio::async_write(socket, asio::buffer(bytes), [self](const asio::error_code&, size_t) {
      self->close();
    });
  }
  void close() {
    asio::error_code ignored;
    socket.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    socket.close(ignored);
    timer.cancel();
  }
  asio::ip::tcp::socket socket;
  Bytes bytes;
  asio::steady_timer timer;
};

}  // namespace

IpAddress to_ip(const asio::ip::address& a) {
  if (a.is_v4()) return IpAddress::v4(a.to_v4().to_uint());
  const auto v6 = a.to_v6();
  if (v6.is_v4_mapped()) return IpAddress::v4(asio::ip::make_address_v4(asio::ip::v4_mapped, v6).to_uint());
  std::array<uint8_t, 16> b{};
  const auto bytes = v6.to_bytes();
  std::copy(bytes.begin(), bytes.end(), b.begin());
  return IpAddress::v6(b);
}

asio::ip::address to_asio(const IpAddress& a) {
  if (a.is_v4()) return asio::ip::address_v4(a.v4_host_order());
  asio::ip::address_v6::bytes_type b{};
  std::copy(a.bytes().begin(), a.bytes().end(), b.begin());
  return asio::ip::address_v6(b);
}

FsmTimer::FsmTimer(asio::io_context& io, std::function<void()> on_expiry)
    : timer_(io), on_expiry_(std::move(on_expiry)) {}

void FsmTimer::start(Seconds duration) {
  deadline_ = std::chrono::steady_clock::now() + duration;
  active_ = true;
  if (waiting_ && timer_.expiry() <= deadline_) return;  // the pending wait will re-check
  timer_.expires_at(deadline_);
  wait();
}

void FsmTimer::stop() {
  active_ = false;
  if (!waiting_) return;
  // The cancelled wait's handler may still be queued: mark it superseded, so that a start()
  // right after this stop() arms a wait of its own instead of counting on the cancelled one.
  timer_.cancel();
  waiting_ = false;
  ++wait_seq_;
}

void FsmTimer::wait() {
  waiting_ = true;
  const uint64_t seq = ++wait_seq_;
  timer_.async_wait([this, seq, alive = std::weak_ptr<int>(alive_)](const asio::error_code& ec) {
    if (alive.expired() || seq != wait_seq_) return;  // destroyed, or superseded by a newer wait
    waiting_ = false;
    if (ec || !active_) return;
    if (std::chrono::steady_clock::now() < deadline_) {
      timer_.expires_at(deadline_);
      wait();
      return;
    }
    active_ = false;
    on_expiry_();
  });
}

Connection::Connection(asio::io_context& io, Direction d, FsmConfig config, EventSink sink)
    : fsm(std::move(config)), direction(d), io_(io), sink_(std::move(sink)) {
  const std::array<Event, 4> expiries = {ConnectRetryTimerExpires{}, HoldTimerExpires{},
                                         KeepaliveTimerExpires{}, IdleHoldTimerExpires{}};
  for (size_t i = 0; i < 4; ++i) {
    timers_[i] = std::make_unique<FsmTimer>(io, [this, e = expiries[i]] { emit(e); });
  }
}

Connection::~Connection() {
  alive_.reset();
  if (socket_) {
    asio::error_code ignored;
    socket_->close(ignored);
  }
}

void Connection::stop_all_timers() {
  for (auto& t : timers_) t->stop();
}

void Connection::post_event(Event e) {
  asio::post(io_, [this, g = gen_, alive = std::weak_ptr<int>(alive_), e = std::move(e)] {
    if (!alive.expired() && g == gen_) emit(e);
  });
}

void Connection::connect(const asio::ip::tcp::endpoint& remote,
                         const std::optional<IpAddress>& source, const std::string& md5_key, uint8_t ttl) {
  drop();
  socket_.emplace(io_);
  const uint64_t g = ++gen_;
  asio::error_code ec;
  socket_->open(remote.protocol(), ec);
  if (!ec && !md5_key.empty()) {
    if (auto r = set_tcp_md5(socket_->native_handle(), to_ip(remote.address()), md5_key); !r) {
      spdlog::warn("bgp: {}", r.error().describe());
      ec = asio::error::invalid_argument;
    }
  }
  if (!ec && ttl != 0) socket_->set_option(asio::ip::unicast::hops(ttl), ec);
  if (!ec && source) socket_->bind(asio::ip::tcp::endpoint(to_asio(*source), 0), ec);
  if (ec) {
    spdlog::debug("bgp: connect to {} failed: {}", remote.address().to_string(), ec.message());
    post_event(TcpConnectionFails{});
    return;
  }
  socket_->async_connect(remote, [this, g, alive = std::weak_ptr<int>(alive_)](const asio::error_code& e) {
    if (alive.expired() || g != gen_) return;
    if (e) {
      fail(e);
      return;
    }
    on_connected();
    emit(TcpConnectionAcknowledged{});
  });
}

void Connection::attach(asio::ip::tcp::socket socket) {
  drop();
  ++gen_;
  socket_.emplace(std::move(socket));
  on_connected();
}

void Connection::on_connected() {
  connected_ = true;
  asio::error_code ec;
  socket_->set_option(asio::ip::tcp::no_delay(true), ec);
  socket_->non_blocking(true, ec);
  if (auto l = socket_->local_endpoint(ec); !ec) local_ = to_ip(l.address());
  if (auto r = socket_->remote_endpoint(ec); !ec) remote_ = to_ip(r.address());
  rbuf_.resize(kReadBuffer + kMaxMessageSize);
  rlen_ = 0;
  read();
}

void Connection::read() {
  socket_->async_read_some(
      asio::buffer(rbuf_.data() + rlen_, rbuf_.size() - rlen_),
      [this, g = gen_, alive = std::weak_ptr<int>(alive_)](const asio::error_code& ec, size_t n) {
        if (alive.expired() || g != gen_) return;
        if (ec) {
          fail(ec);
          return;
        }
        on_read(n);
      });
}

void Connection::on_read(size_t n) {
  rlen_ += n;
  const uint64_t g = gen_;
  size_t pos = 0;
  while (rlen_ - pos >= kHeaderSize) {
    const ByteView avail(rbuf_.data() + pos, rlen_ - pos);
    auto length = message_length(avail.first(kHeaderSize));
    if (!length) {
      emit(DecodeFailed{length.error()});
      return;  // header errors always reset the session
    }
    if (avail.size() < *length) break;
    emit(to_event(decode(avail.first(*length), fsm.decode_options())));
    if (g != gen_) return;  // an action dropped the connection
    pos += *length;
  }
  std::memmove(rbuf_.data(), rbuf_.data() + pos, rlen_ - pos);
  rlen_ -= pos;
  read();
}

void Connection::send(const Bytes& bytes) {
  if (!connected()) return;
  out_.insert(out_.end(), bytes.begin(), bytes.end());
  pump();
}

void Connection::pump() {
  while (sent_ < out_.size()) {
    asio::error_code ec;
    const size_t n = socket_->write_some(asio::buffer(out_.data() + sent_, out_.size() - sent_), ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) {
      if (!write_waiting_) {
        write_waiting_ = true;
        socket_->async_wait(asio::ip::tcp::socket::wait_write,
                            [this, g = gen_, alive = std::weak_ptr<int>(alive_)](const asio::error_code& e) {
                              if (alive.expired() || g != gen_) return;
                              write_waiting_ = false;
                              if (e) {
                                fail(e);
                                return;
                              }
                              pump();
                            });
      }
      return;
    }
    if (ec) {
      // Reported through the read side or here, once: the Fsm drops the connection.
      post_event(TcpConnectionFails{});
      return;
    }
    sent_ += n;
  }
  out_.clear();
  sent_ = 0;
}

void Connection::fail(const asio::error_code& ec) {
  spdlog::debug("bgp: connection {}: {}", remote_ ? remote_->to_string() : "?", ec.message());
  ++gen_;  // no further completions from this socket
  connected_ = false;
  emit(TcpConnectionFails{});
}

void Connection::drop() {
  ++gen_;
  write_waiting_ = false;
  if (socket_) {
    asio::error_code ignored;
    socket_->cancel(ignored);
    if (connected_ && sent_ < out_.size()) {
      socket_->non_blocking(false, ignored);
      auto linger = std::make_shared<Linger>(io_, std::move(*socket_),
                                             Bytes(out_.begin() + static_cast<long>(sent_), out_.end()));
      linger->run();
    } else {
      socket_->shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
      socket_->close(ignored);
    }
    socket_.reset();
  }
  connected_ = false;
  out_.clear();
  sent_ = 0;
  rlen_ = 0;
}

}  // namespace weft::bgp
