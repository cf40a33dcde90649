#include "store/etcd_client.h"

#include <charconv>
#include <fstream>
#include <sstream>

namespace weft::store::etcd {
namespace {

using namespace std::chrono_literals;

struct ParsedEndpoint {
  std::string address;  // HOST:PORT
  bool https = false;
};

// "HOST:PORT", "[V6]:PORT", optionally behind http:// or https:// and followed by a slash (the
// form etcdctl users copy around).
Result<ParsedEndpoint> parse_endpoint(std::string_view text) {
  ParsedEndpoint out;
  const std::string_view original = text;
  if (text.starts_with("https://")) {
    out.https = true;
    text.remove_prefix(8);
  } else if (text.starts_with("http://")) {
    text.remove_prefix(7);
  }
  while (text.ends_with('/')) text.remove_suffix(1);
  size_t colon = std::string_view::npos;
  if (text.starts_with('[')) {
    const size_t close = text.find(']');
    if (close != std::string_view::npos && close + 1 < text.size() && text[close + 1] == ':') {
      colon = close + 1;
    }
  } else if (text.find(':') == text.rfind(':')) {  // exactly one colon (or none)
    colon = text.find(':');
  }
  unsigned port = 0;
  const bool has_host = colon != std::string_view::npos && colon > 0;
  const auto port_text = has_host ? text.substr(colon + 1) : std::string_view{};
  const auto [end, ec] =
      std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (!has_host || port_text.empty() || ec != std::errc{} || end != port_text.end() || port == 0 ||
      port > 65535) {
    return fail(Errc::invalid_argument, "etcd endpoint '", original,
                "' is not HOST:PORT (IPv6 as [ADDRESS]:PORT)");
  }
  out.address = std::string(text);
  return out;
}

Result<std::string> read_file(const std::string& path, std::string_view what) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream content;
  if (in) content << in.rdbuf();
  if (!in || content.str().empty()) {
    return fail(Errc::io, "cannot read the etcd TLS ", what, " file ", path);
  }
  return content.str();
}

Result<std::shared_ptr<grpc::ChannelCredentials>> credentials(const EtcdOptions& options,
                                                              bool https) {
  if (options.tls_cert_file.empty() != options.tls_key_file.empty()) {
    return fail(Errc::invalid_argument,
                "etcd TLS needs both a client certificate and its key, or neither");
  }
  if (options.tls_ca_file.empty() && options.tls_cert_file.empty() && !https) {
    return grpc::InsecureChannelCredentials();
  }
  grpc::SslCredentialsOptions ssl;  // empty root certificates: the system's
  if (!options.tls_ca_file.empty()) {
    auto ca = read_file(options.tls_ca_file, "CA");
    if (!ca) return std::unexpected(ca.error());
    ssl.pem_root_certs = std::move(*ca);
  }
  if (!options.tls_cert_file.empty()) {
    auto cert = read_file(options.tls_cert_file, "certificate");
    if (!cert) return std::unexpected(cert.error());
    auto key = read_file(options.tls_key_file, "key");
    if (!key) return std::unexpected(key.error());
    ssl.pem_cert_chain = std::move(*cert);
    ssl.pem_private_key = std::move(*key);
  }
  return grpc::SslCredentials(ssl);
}

grpc::ChannelArguments channel_arguments() {
  grpc::ChannelArguments args;
  // gRPC's default reconnect backoff grows to 120 s; a restarted etcd must be found again within
  // about a second, so a call waiting for a connection (up to the request timeout) gets one.
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
  // Pings detect a member that vanished without closing its connections (a crashed host), which
  // would otherwise leave a watch or keep-alive stream waiting forever. 10 s stays above etcd's
  // --grpc-keepalive-min-time (5 s), below which etcd closes the connection.
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 10000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 5000);
  args.SetInt(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);  // idle watches are still worth pinging
  args.SetMaxReceiveMessageSize(-1);  // a list of a large prefix comes back in one message
  // Each store client gets connections of its own. By default gRPC shares one connection among
  // all channels of a process to the same address; two clients in one process (tests, the
  // claim benchmark, a CLI inside an agent) then stalled each other's calls until their deadline.
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  return args;
}

}  // namespace

gpr_timespec grpc_deadline(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::microseconds>(deadline - Clock::now());
  return gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC),
                      gpr_time_from_micros(std::max<int64_t>(left.count(), 0), GPR_TIMESPAN));
}

Result<std::shared_ptr<Client>> Client::create(const EtcdOptions& options, StoreCounters* counters) {
  if (options.endpoints.empty()) return fail(Errc::invalid_argument, "no etcd endpoint given");
  if (options.request_timeout <= 0ms) {
    return fail(Errc::invalid_argument, "the etcd request timeout must be positive");
  }
  std::vector<ParsedEndpoint> parsed;
  bool https = false;
  for (const auto& text : options.endpoints) {
    auto endpoint = parse_endpoint(text);
    if (!endpoint) return std::unexpected(endpoint.error());
    https = https || endpoint->https;
    parsed.push_back(std::move(*endpoint));
  }
  auto creds = credentials(options, https);
  if (!creds) return std::unexpected(creds.error());

  std::shared_ptr<Client> client(new Client());
  client->timeout_ = options.request_timeout;
  client->counters_ = counters;
  const auto args = channel_arguments();
  for (auto& p : parsed) {
    // One channel per endpoint (rather than one channel balancing over all addresses) so that
    // each member's TLS certificate is checked against that member's own name.
    auto endpoint = std::make_unique<Endpoint>();
    endpoint->address = p.address;
    endpoint->channel = grpc::CreateCustomChannel(p.address, *creds, args);
    endpoint->kv = etcdserverpb::KV::NewStub(endpoint->channel);
    endpoint->watch = etcdserverpb::Watch::NewStub(endpoint->channel);
    endpoint->lease = etcdserverpb::Lease::NewStub(endpoint->channel);
    client->endpoints_.push_back(std::move(endpoint));
  }
  try {
    client->monitor_ = std::thread([raw = client.get()] { raw->monitor(); });
  } catch (const std::system_error& e) {
    return fail(Errc::internal, "cannot start the etcd connection monitor: ", e.what());
  }
  return client;
}

Client::~Client() {
  closing_.store(true);
  if (monitor_.joinable()) monitor_.join();
}

void Client::monitor() {
  // Each watch expires after a short while so that closing waits at most that long: a pending
  // watch cannot be cancelled, and the queue may be shut down only once it is empty.
  constexpr auto kWatchFor = 100ms;
  size_t pending = 0;
  auto watch = [&](Endpoint& endpoint) {
    endpoint.channel->NotifyOnStateChange(endpoint.channel->GetState(false),
                                          grpc_deadline(Clock::now() + kWatchFor), &monitor_queue_,
                                          &endpoint);
    ++pending;
  };
  for (auto& endpoint : endpoints_) watch(*endpoint);
  void* tag = nullptr;
  bool changed = false;
  while (pending > 0 && monitor_queue_.Next(&tag, &changed)) {
    --pending;
    if (changed) {
      std::lock_guard lock(state_mutex_);
      ++state_changes_;
    }
    if (changed) state_changed_.notify_all();
    if (!closing_.load()) watch(*static_cast<Endpoint*>(tag));
  }
  monitor_queue_.Shutdown();
  while (monitor_queue_.Next(&tag, &changed)) {
  }
}

Endpoint* Client::ready_endpoint(Clock::time_point deadline, const std::atomic<bool>* stop) {
  const size_t n = endpoints_.size();
  for (;;) {
    uint64_t seen = 0;
    {
      std::lock_guard lock(state_mutex_);
      seen = state_changes_;  // read before looking, so no change between the two is missed
    }
    const size_t first = preferred_.load();
    for (size_t k = 0; k < n; ++k) {
      const size_t i = (first + k) % n;
      // try_to_connect: an idle channel (never used, or its connection closed) starts connecting.
      if (endpoints_[i]->channel->GetState(/*try_to_connect=*/true) == GRPC_CHANNEL_READY) {
        preferred_.store(i);
        return endpoints_[i].get();
      }
    }
    const auto now = Clock::now();
    if (now >= deadline || (stop != nullptr && stop->load())) return nullptr;
    // A stoppable waiter wakes up now and then to look at `stop`.
    const auto until = stop == nullptr ? deadline : std::min(deadline, now + 50ms);
    std::unique_lock lock(state_mutex_);
    state_changed_.wait_until(lock, until, [&] { return state_changes_ != seen; });
  }
}

void Client::demote(const Endpoint& endpoint) {
  const size_t n = endpoints_.size();
  size_t current = preferred_.load();
  if (endpoints_[current].get() == &endpoint) {
    preferred_.compare_exchange_strong(current, (current + 1) % n);
  }
}

void Client::count_round_trip() {
  std::lock_guard lock(counters_mutex_);
  if (counters_ != nullptr) counters_->round_trips.fetch_add(1, std::memory_order_relaxed);
}

void Client::answered() {
  std::lock_guard lock(counters_mutex_);
  if (counters_ != nullptr) counters_->reachability.answered();
}

void Client::unanswered(const std::string& why) {
  std::lock_guard lock(counters_mutex_);
  if (counters_ != nullptr) counters_->reachability.unanswered(why);
}

void Client::detach_counters() {
  std::lock_guard lock(counters_mutex_);
  counters_ = nullptr;
}

Error Client::to_error(const grpc::Status& status, std::string_view what,
                       const Endpoint& endpoint) const {
  const std::string& message = status.error_message();
  std::string text = std::string(what) + " (etcd " + endpoint.address + "): " + message;
  switch (status.error_code()) {
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
    case grpc::StatusCode::CANCELLED:
      return {Errc::unavailable, std::move(text)};
    case grpc::StatusCode::OUT_OF_RANGE:
      // etcd: "mvcc: required revision has been compacted" or "... is a future revision".
      if (message.find("compacted") != std::string::npos) return {Errc::compacted, std::move(text)};
      return {Errc::invalid_argument, std::move(text)};
    case grpc::StatusCode::NOT_FOUND:  // "requested lease not found"
      return {Errc::not_found, std::move(text)};
    case grpc::StatusCode::INVALID_ARGUMENT:  // empty key, duplicate key in a txn, too large
      return {Errc::invalid_argument, std::move(text)};
    case grpc::StatusCode::RESOURCE_EXHAUSTED:  // "database space exceeded"
      return {Errc::exhausted, std::move(text)};
    case grpc::StatusCode::UNKNOWN:
      // etcd answers a request whose server-side context ran out (a linearizable read waiting for
      // its read index on a loaded member, say) with Go's bare context error, which gRPC reports
      // as UNKNOWN: a timeout, so transient, not a bug.
      if (message.find("context deadline exceeded") != std::string::npos ||
          message.find("context canceled") != std::string::npos) {
        return {Errc::unavailable, std::move(text)};
      }
      return {Errc::internal, std::move(text)};
    default:
      return {Errc::internal, std::move(text)};
  }
}

Error Client::unreachable(std::string_view what) const {
  std::string list;
  for (const auto& endpoint : endpoints_) list += (list.empty() ? "" : ",") + endpoint->address;
  return {Errc::unavailable, std::string(what) + ": no etcd endpoint (" + list +
                                 ") could be reached within " + std::to_string(timeout_.count()) +
                                 " ms"};
}

void Stopper::stop() {
  {
    std::lock_guard lock(mutex_);
    stopped_.store(true);
    // TryCancel is safe while another thread is blocked in a Read or Write on the same call.
    if (active_ != nullptr) active_->TryCancel();
  }
  wake_.notify_all();
}

bool Stopper::sleep_for(std::chrono::milliseconds duration) {
  std::unique_lock lock(mutex_);
  return !wake_.wait_for(lock, duration, [this] { return stopped_.load(); });
}

Stopper::Guard::Guard(Stopper& stopper, grpc::ClientContext& context) : stopper_(stopper) {
  std::lock_guard lock(stopper_.mutex_);
  previous_ = stopper_.active_;
  stopper_.active_ = &context;
  if (stopper_.stopped_.load())
    context.TryCancel();  // a call not yet started is cancelled on start
}

Stopper::Guard::~Guard() {
  std::lock_guard lock(stopper_.mutex_);
  stopper_.active_ = previous_;
}

std::string prefix_range_end(std::string_view prefix) {
  std::string end(prefix);
  while (!end.empty()) {
    auto& last = reinterpret_cast<unsigned char&>(end.back());
    if (last < 0xff) {
      ++last;
      return end;
    }
    end.pop_back();
  }
  return std::string(1, '\0');
}

KeyValue from_proto(const mvccpb::KeyValue& kv) {
  return KeyValue{.key = kv.key(),
                  .value = kv.value(),
                  .create_revision = kv.create_revision(),
                  .mod_revision = kv.mod_revision(),
                  .version = kv.version(),
                  .lease = kv.lease()};
}

}  // namespace weft::store::etcd
