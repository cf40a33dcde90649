// EtcdStore::watch: one thread and one etcd Watch stream per Watch handle.
//
// The thread keeps `next_revision_`, the first revision the callback has not seen. Every stream
// it opens asks etcd for events from exactly that revision, so after a broken stream, a dead
// member or a restarted etcd the callback continues where it stopped: nothing twice (everything
// below next_revision_ was delivered), nothing skipped (etcd replays history from there). Only a
// compaction can take that history away; etcd then answers with compact_revision, and the thread
// re-lists the prefix, hands it over as one resync batch and watches on from the listing's
// revision + 1.
#include <spdlog/spdlog.h>

#include "store/etcd_client.h"
#include "store/etcd_store.h"

namespace weft::store {
namespace {

using namespace std::chrono_literals;
using etcd::Clock;
using etcd::Endpoint;
namespace pb = etcdserverpb;

constexpr auto kFirstBackoff = 50ms;
constexpr auto kMaxBackoff = 2s;

class EtcdWatch final : public Watch {
 public:
  EtcdWatch(std::shared_ptr<etcd::Client> client, std::string prefix, int64_t from_revision,
            WatchCallback callback)
      : client_(std::move(client)),
        prefix_(std::move(prefix)),
        callback_(std::move(callback)),
        next_revision_(from_revision),
        thread_([this] { run(); }) {}

  ~EtcdWatch() override {
    stopper_.stop();
    thread_.join();
  }

 private:
  enum class Next { reconnect, back_off, stop };

  void run() {
    auto backoff = std::chrono::milliseconds(kFirstBackoff);
    for (;;) {
      const Next next = stream_once(backoff);
      if (next == Next::stop || stopper_.stopped()) return;
      if (next == Next::back_off) {
        if (!stopper_.sleep_for(backoff)) return;
        backoff = std::min(backoff * 2, std::chrono::milliseconds(kMaxBackoff));
      }
    }
  }

  // Opens one stream from next_revision_ and delivers its events until it ends.
  Next stream_once(std::chrono::milliseconds& backoff) {
    Endpoint* endpoint =
        client_->ready_endpoint(Clock::now() + client_->timeout(), stopper_.flag());
    if (endpoint == nullptr) {
      if (stopper_.stopped()) return Next::stop;
      client_->unanswered(client_->unreachable("watching '" + prefix_ + "'").message);
      return Next::back_off;
    }

    grpc::ClientContext context;
    etcd::Stopper::Guard guard(stopper_, context);
    client_->count_round_trip();
    auto stream = endpoint->watch->Watch(&context);
    pb::WatchRequest request;
    auto& create = *request.mutable_create_request();
    etcd::set_prefix_range(create, prefix_);
    create.set_start_revision(next_revision_);
    // No progress_notify: etcd 3.4 before 3.4.24 can send a progress notification ahead of
    // events still queued for the watcher, so its revision is not a safe place to resume from.

    Next next = Next::back_off;
    std::string why = "stream closed";
    bool ended_by_server = true;
    if (stream->Write(request)) {
      pb::WatchResponse response;
      while (stream->Read(&response)) {
        if (response.compact_revision() != 0) {
          next = resync(*endpoint) ? Next::reconnect : Next::back_off;
          why = "re-listing after a compaction failed";
          ended_by_server = false;
          break;
        }
        if (response.canceled()) {  // refused (permissions, say): no use asking again soon
          why = "etcd cancelled the watch: " + response.cancel_reason();
          backoff = kMaxBackoff;
          ended_by_server = false;
          break;
        }
        if (response.created()) {  // the server took the watch: healthy
          backoff = kFirstBackoff;
          client_->answered();
        }
        deliver(response);
      }
    }
    // Leaving the loop ourselves leaves the stream open: cancel it so Finish returns at once.
    // (Not otherwise: the cancellation would replace the server's status in the log line.)
    if (!ended_by_server) context.TryCancel();
    const grpc::Status status = stream->Finish();
    if (stopper_.stopped()) return Next::stop;
    if (next == Next::back_off) {
      if (ended_by_server && !status.ok()) why = status.error_message();
      if (ended_by_server) client_->unanswered("etcd watch via " + endpoint->address + " interrupted (" + why + ")");
      spdlog::warn("etcd watch on '{}' via {} interrupted ({}); resuming from revision {}", prefix_,
                   endpoint->address, why, next_revision_);
    }
    return next;
  }

  // One callback per revision: etcd packs several revisions into one response when it replays
  // history or the watcher fell behind, but a transaction's events always arrive together at one
  // revision, and consumers apply a batch as one consistent step. A response never splits one
  // revision's events (no `fragment` requested), so every group below is complete.
  // Creation acknowledgements and progress notifications carry no events and produce no callback;
  // they do not move next_revision_ either (see stream_once).
  void deliver(const pb::WatchResponse& response) {
    WatchBatch batch;
    for (const auto& event : response.events()) {
      const int64_t revision = event.kv().mod_revision();
      // etcd never replays below the requested start; the check keeps that promise local.
      if (revision < next_revision_) continue;
      if (!batch.events.empty() && revision != batch.revision) flush(batch);
      batch.revision = revision;
      batch.events.push_back(WatchEvent{.type = event.type() == mvccpb::Event::DELETE
                                                    ? WatchEvent::Type::remove
                                                    : WatchEvent::Type::put,
                                        .kv = etcd::from_proto(event.kv())});
    }
    if (!batch.events.empty()) flush(batch);
  }

  void flush(WatchBatch& batch) {
    callback_(batch);
    next_revision_ = batch.revision + 1;
    batch.events.clear();
  }

  // next_revision_ was compacted away: list the prefix now and deliver it as a resync batch. The
  // Range goes to the endpoint the watch was on, under the stopper so destruction cancels it.
  bool resync(Endpoint& endpoint) {
    pb::RangeRequest request;
    etcd::set_prefix_range(request, prefix_);
    pb::RangeResponse response;
    grpc::ClientContext context;
    context.set_deadline(etcd::grpc_deadline(Clock::now() + client_->timeout()));
    etcd::Stopper::Guard guard(stopper_, context);
    client_->count_round_trip();
    const grpc::Status status = endpoint.kv->Range(&context, request, &response);
    if (!status.ok()) {
      if (!stopper_.stopped()) {
        spdlog::warn("etcd watch on '{}': re-listing after a compaction failed: {}", prefix_,
                     status.error_message());
      }
      return false;
    }
    WatchBatch batch;
    batch.resync = true;
    batch.revision = response.header().revision();
    batch.events.reserve(static_cast<size_t>(response.kvs_size()));
    for (const auto& kv : response.kvs()) {
      batch.events.push_back(WatchEvent{.type = WatchEvent::Type::put, .kv = etcd::from_proto(kv)});
    }
    callback_(batch);
    next_revision_ = batch.revision + 1;
    return true;
  }

  const std::shared_ptr<etcd::Client> client_;
  const std::string prefix_;
  const WatchCallback callback_;
  int64_t next_revision_;  // only the thread touches it once started
  etcd::Stopper stopper_;
  std::thread thread_;  // last: starts once every member above is initialised
};

}  // namespace

Result<std::unique_ptr<Watch>> EtcdStore::watch(const std::string& prefix, int64_t from_revision,
                                                WatchCallback callback) {
  if (!callback) return fail(Errc::invalid_argument, "watch on '", prefix, "' without a callback");
  if (from_revision <= 0) {
    // "From now" must mean now, not whenever the thread's stream happens to be created: a write
    // made right after watch() returns has to be seen. Pin it to the current revision + 1.
    pb::RangeRequest request;
    etcd::set_prefix_range(request, prefix);
    request.set_count_only(true);
    auto response = client_->call<pb::RangeResponse>(
        "watch " + prefix, etcd::Idempotent::yes,
        [&](Endpoint& e, grpc::ClientContext& c, auto& r) { return e.kv->Range(&c, request, &r); });
    if (!response) return std::unexpected(response.error());
    from_revision = response->header().revision() + 1;
  }
  try {
    return std::make_unique<EtcdWatch>(client_, prefix, from_revision, std::move(callback));
  } catch (const std::system_error& e) {  // the thread could not be created
    return fail(Errc::internal, "cannot start a watch thread: ", e.what());
  }
}

}  // namespace weft::store
