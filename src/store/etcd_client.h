// Internal to EtcdStore: the connections to etcd's endpoints, the retry policy of one call, and the
// translation of gRPC statuses and etcd messages into weft's types. Not included outside
// src/store/etcd_*.cc (it pulls in the generated gRPC code, which weft_store keeps private).
#pragma once

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "kv.pb.h"
#include "rpc.grpc.pb.h"
#include "rpc.pb.h"
#include "store/etcd_store.h"

namespace weft::store::etcd {

using Clock = std::chrono::steady_clock;

// gRPC deadlines on the monotonic clock (a system_clock deadline would move with the wall clock).
gpr_timespec grpc_deadline(Clock::time_point deadline);

struct Endpoint {
  std::string address;  // "HOST:PORT", as configured (used in messages and as the TLS name)
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<etcdserverpb::KV::Stub> kv;
  std::unique_ptr<etcdserverpb::Watch::Stub> watch;
  std::unique_ptr<etcdserverpb::Lease::Stub> lease;
};

// Whether a call may be sent again after it failed as unavailable: true for reads (and lease
// renewals), false for writes, which etcd may have applied before the connection broke.
enum class Idempotent { no, yes };

class Client {
 public:
  // Validates the options and builds one (not yet connected) channel per endpoint.
  static Result<std::shared_ptr<Client>> create(const EtcdOptions& options, StoreCounters* counters);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  std::chrono::milliseconds timeout() const { return timeout_; }

  // An endpoint whose channel is connected, preferring the one that worked last; when none is,
  // starts connecting all of them and waits for the first to connect. nullptr once `deadline`
  // passes or `*stop` turns true (so a thread being stopped is not held up).
  Endpoint* ready_endpoint(Clock::time_point deadline, const std::atomic<bool>* stop = nullptr);
  // `endpoint` just failed a call: the next pick tries the others first.
  void demote(const Endpoint& endpoint);

  // Counts one request sent to etcd in the store's counters (if the store still exists).
  void count_round_trip();
  // The store's reachability (StoreReachability): a call or stream got an answer, or did not.
  void answered();
  void unanswered(const std::string& why);
  void detach_counters();

  // One unary exchange, `rpc(endpoint, context, response) -> grpc::Status`, with a deadline of
  // now + timeout for the whole call including waiting for a connection and retries.
  template <class Response, class Rpc>
  Result<Response> call(std::string_view what, Idempotent idempotent, Rpc&& rpc);

  Error to_error(const grpc::Status& status, std::string_view what, const Endpoint& endpoint) const;
  Error unreachable(std::string_view what) const;

 private:
  Client() = default;
  void monitor();

  std::vector<std::unique_ptr<Endpoint>> endpoints_;
  std::atomic<size_t> preferred_{0};
  std::chrono::milliseconds timeout_{5000};
  std::mutex counters_mutex_;
  StoreCounters* counters_ = nullptr;  // guarded by counters_mutex_

  // The monitor thread watches every channel's connectivity on monitor_queue_. Blocked in that
  // queue it is also a gRPC poller: gRPC's synchronous API reads sockets only while some thread
  // waits in a call, so without it a connection etcd closed between two calls would still look
  // ready and the next write would be sent into it and fail. It also wakes ready_endpoint()
  // waiters the moment a channel changes state.
  grpc::CompletionQueue monitor_queue_;
  std::atomic<bool> closing_{false};
  std::mutex state_mutex_;
  std::condition_variable state_changed_;
  uint64_t state_changes_ = 0;  // guarded by state_mutex_
  std::thread monitor_;
};

template <class Response, class Rpc>
Result<Response> Client::call(std::string_view what, Idempotent idempotent, Rpc&& rpc) {
  const auto deadline = Clock::now() + timeout_;
  auto pause = std::chrono::milliseconds(20);
  for (;;) {
    Endpoint* endpoint = ready_endpoint(deadline);
    if (endpoint == nullptr) {
      Error error = unreachable(what);
      unanswered(error.message);
      return std::unexpected(std::move(error));
    }
    grpc::ClientContext context;
    context.set_deadline(grpc_deadline(deadline));
    Response response;
    count_round_trip();
    const grpc::Status status = rpc(*endpoint, context, response);
    if (status.ok()) {
      answered();
      return response;
    }
    Error error = to_error(status, what, *endpoint);
    if (error.code == Errc::unavailable) {
      unanswered(error.message);
    } else {
      answered();  // etcd itself refused the request: it is there
    }
    // etcd also answers UNAVAILABLE itself (no leader, leader changed): pause before trying
    // again, on another endpoint first, so a read rides out an election or a dying member.
    const bool retry = idempotent == Idempotent::yes &&
                       status.error_code() == grpc::StatusCode::UNAVAILABLE &&
                       Clock::now() + pause < deadline;
    if (!retry) return std::unexpected(std::move(error));
    demote(*endpoint);
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds(500));
  }
}

// Stops the thread of a Watch or KeepAlive: wakes it from its sleeps and cancels the gRPC call it
// is blocked in, so that destroying the handle takes milliseconds whatever the thread was doing.
class Stopper {
 public:
  void stop();
  bool stopped() const { return stopped_.load(); }
  const std::atomic<bool>* flag() const { return &stopped_; }
  // Sleeps for `duration` unless stopped first; false when stopped.
  bool sleep_for(std::chrono::milliseconds duration);

  // While it lives, stop() cancels `context` (at once if stop() already happened).
  class Guard {
   public:
    Guard(Stopper& stopper, grpc::ClientContext& context);
    ~Guard();
    Guard(const Guard&) = delete;
    Guard& operator=(const Guard&) = delete;

   private:
    Stopper& stopper_;
    grpc::ClientContext* previous_;
  };

 private:
  std::atomic<bool> stopped_{false};
  std::mutex mutex_;
  std::condition_variable wake_;
  grpc::ClientContext* active_ = nullptr;  // guarded by mutex_
};

// etcd's prefix convention: the range [prefix, prefix_range_end(prefix)) holds exactly the keys
// starting with prefix. The end is the prefix with its last byte that is not 0xff incremented and
// everything after it dropped ("a\xff" -> "b"); a prefix of only 0xff bytes has no upper bound,
// which etcd spells "\0" ("every key >= key").
std::string prefix_range_end(std::string_view prefix);

// Sets key/range_end of a Range, DeleteRange or WatchCreate request to cover `prefix`. etcd
// rejects an empty key, so the empty prefix (all keys) becomes key "\0" with range_end "\0".
template <class Request>
void set_prefix_range(Request& request, std::string_view prefix) {
  if (prefix.empty()) {
    request.set_key(std::string(1, '\0'));
    request.set_range_end(std::string(1, '\0'));
  } else {
    request.set_key(std::string(prefix));
    request.set_range_end(prefix_range_end(prefix));
  }
}

KeyValue from_proto(const mvccpb::KeyValue& kv);

}  // namespace weft::store::etcd
