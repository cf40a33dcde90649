// EtcdStore's leases: grant, renew, keep alive, revoke, time to live.
//
// etcd renews a lease only through the bidirectional LeaseKeepAlive stream (there is no unary
// renew): renew_lease opens a stream for one request and its answer; a KeepAlive handle keeps one
// stream open on its own thread and sends a request every ttl/3, so two renewals can be lost
// before the lease expires.
#include <spdlog/spdlog.h>

#include "store/etcd_client.h"
#include "store/etcd_store.h"

namespace weft::store {
namespace {

using namespace std::chrono_literals;
using etcd::Clock;
using etcd::Endpoint;
using etcd::Idempotent;
namespace pb = etcdserverpb;

constexpr auto kFirstBackoff = 50ms;
constexpr auto kMaxBackoff = 2s;

std::chrono::milliseconds renew_interval(int64_t ttl_seconds) {
  return std::max(std::chrono::milliseconds(ttl_seconds * 1000 / 3),
                  std::chrono::milliseconds(100));
}

class EtcdKeepAlive final : public KeepAlive {
 public:
  EtcdKeepAlive(std::shared_ptr<etcd::Client> client, LeaseId id, int64_t ttl_seconds)
      : client_(std::move(client)),
        id_(id),
        interval_(renew_interval(ttl_seconds)),
        thread_([this] { run(); }) {}

  ~EtcdKeepAlive() override {
    stopper_.stop();
    thread_.join();
  }

  bool alive() const override { return alive_.load(); }

 private:
  void run() {
    auto backoff = std::chrono::milliseconds(kFirstBackoff);
    bool due = false;  // keep_alive() renewed just before starting this thread
    while (!stopper_.stopped() && alive_.load()) {
      if (stream_once(due, backoff)) continue;
      if (!stopper_.sleep_for(backoff)) return;
      backoff = std::min(backoff * 2, std::chrono::milliseconds(kMaxBackoff));
      due = true;  // the stream broke: renew as soon as a new one is open
    }
  }

  // Renews over one stream until it breaks (false) or the lease is gone or we stop (true).
  bool stream_once(bool due, std::chrono::milliseconds& backoff) {
    Endpoint* endpoint =
        client_->ready_endpoint(Clock::now() + client_->timeout(), stopper_.flag());
    if (endpoint == nullptr) return stopper_.stopped();

    grpc::ClientContext context;
    etcd::Stopper::Guard guard(stopper_, context);
    auto stream = endpoint->lease->LeaseKeepAlive(&context);
    pb::LeaseKeepAliveRequest request;
    request.set_id(id_);
    bool done = false;  // the lease is gone or we stop: the stream is still open
    for (;;) {
      if (!due && !stopper_.sleep_for(interval_)) {
        done = true;
        break;
      }
      due = false;
      pb::LeaseKeepAliveResponse response;
      client_->count_round_trip();
      if (!stream->Write(request) || !stream->Read(&response)) break;
      client_->answered();
      if (response.ttl() <= 0) {  // expired or revoked: nothing left to keep alive
        alive_.store(false);
        done = true;
        break;
      }
      interval_ = renew_interval(response.ttl());
      backoff = kFirstBackoff;
    }
    if (done) context.TryCancel();  // so Finish returns at once
    const grpc::Status status = stream->Finish();
    if (!done && !stopper_.stopped()) {
      spdlog::warn("etcd lease {:x} keep-alive via {} interrupted: {}", id_, endpoint->address,
                   status.ok() ? "stream closed" : status.error_message());
    }
    return done || stopper_.stopped();
  }

  const std::shared_ptr<etcd::Client> client_;
  const LeaseId id_;
  std::chrono::milliseconds interval_;  // only the thread touches it once started
  std::atomic<bool> alive_{true};
  etcd::Stopper stopper_;
  std::thread thread_;  // last: starts once every member above is initialised
};

}  // namespace

Result<Lease> EtcdStore::grant_lease(int64_t ttl_seconds) {
  if (ttl_seconds <= 0) {
    return fail(Errc::invalid_argument, "a lease TTL must be positive, not ",
                std::to_string(ttl_seconds));
  }
  pb::LeaseGrantRequest request;
  request.set_ttl(ttl_seconds);
  auto response = client_->call<pb::LeaseGrantResponse>(
      "granting a lease", Idempotent::no, [&](Endpoint& e, grpc::ClientContext& c, auto& r) {
        return e.lease->LeaseGrant(&c, request, &r);
      });
  if (!response) return std::unexpected(response.error());
  if (!response->error().empty()) {
    return fail(Errc::internal, "granting a lease: etcd said ", response->error());
  }
  return Lease{.id = response->id(), .ttl_seconds = response->ttl()};
}

Result<int64_t> EtcdStore::renew_lease(LeaseId id) {
  pb::LeaseKeepAliveRequest request;
  request.set_id(id);
  const std::string what = fmt::format("renewing lease {:x}", id);
  auto response = client_->call<pb::LeaseKeepAliveResponse>(
      what, Idempotent::yes, [&](Endpoint& e, grpc::ClientContext& c, auto& r) {
        auto stream = e.lease->LeaseKeepAlive(&c);
        if (stream->Write(request) && stream->Read(&r)) {
          stream->WritesDone();  // etcd ends the stream when ours ends
          return stream->Finish();
        }
        const grpc::Status status = stream->Finish();
        if (!status.ok()) return status;
        return grpc::Status(grpc::StatusCode::UNAVAILABLE, "keep-alive stream closed unanswered");
      });
  if (!response) return std::unexpected(response.error());
  if (response->ttl() <= 0) return fail(Errc::not_found, what, ": the lease does not exist");
  return response->ttl();
}

Result<std::unique_ptr<KeepAlive>> EtcdStore::keep_alive(LeaseId id) {
  // One renewal now: a lease that is already gone is reported here rather than by alive() later,
  // and the answer's TTL sets the renewal interval.
  auto ttl = renew_lease(id);
  if (!ttl) return std::unexpected(ttl.error());
  try {
    return std::make_unique<EtcdKeepAlive>(client_, id, *ttl);
  } catch (const std::system_error& e) {  // the thread could not be created
    return fail(Errc::internal, "cannot start a keep-alive thread: ", e.what());
  }
}

Result<void> EtcdStore::revoke_lease(LeaseId id) {
  pb::LeaseRevokeRequest request;
  request.set_id(id);
  // Not retried: a revoke that went through before the connection broke would come back the
  // second time as "lease not found".
  auto response =
      client_->call<pb::LeaseRevokeResponse>(fmt::format("revoking lease {:x}", id), Idempotent::no,
                                             [&](Endpoint& e, grpc::ClientContext& c, auto& r) {
                                               return e.lease->LeaseRevoke(&c, request, &r);
                                             });
  if (!response) return std::unexpected(response.error());
  return {};
}

Result<int64_t> EtcdStore::lease_ttl(LeaseId id) {
  pb::LeaseTimeToLiveRequest request;
  request.set_id(id);
  const std::string what = fmt::format("reading the TTL of lease {:x}", id);
  auto response = client_->call<pb::LeaseTimeToLiveResponse>(
      what, Idempotent::yes, [&](Endpoint& e, grpc::ClientContext& c, auto& r) {
        return e.lease->LeaseTimeToLive(&c, request, &r);
      });
  if (!response) return std::unexpected(response.error());
  // etcd answers an unknown (expired, revoked, never granted) lease with TTL -1, not an error.
  if (response->ttl() < 0) return fail(Errc::not_found, what, ": the lease does not exist");
  return response->ttl();
}

}  // namespace weft::store
