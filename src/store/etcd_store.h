// EtcdStore: the Store contract (store.h) over etcd's v3 gRPC API.
//
// Connections: one gRPC channel per endpoint. Each call goes to the endpoint that last worked
// while its channel is connected, else to any other connected one, waiting up to the request
// timeout for one to connect; so a dead endpoint never fails a call while another is up. Reads
// that fail as unavailable are retried on another endpoint within the same deadline; writes are
// not (etcd may have applied them), they return Errc::unavailable for the caller to decide.
//
// Threads: one per store watching the channels' connection states (see etcd_client.h), and one
// per Watch and per KeepAlive, each with its own gRPC stream; destroying a handle cancels its
// stream and joins its thread. Handles share the connections with the store and may outlive it;
// a watch callback must not destroy its own Watch (that would join itself).
//
// watch(prefix, 0) ("from now") first reads etcd's current revision, so unlike a watch from a
// given revision it fails as unavailable while no endpoint can be reached.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "store/store.h"

namespace weft::store {

namespace etcd {
class Client;
}

struct EtcdOptions {
  // "HOST:PORT" (IPv6 as "[ADDR]:PORT"); an "http://" or "https://" prefix is accepted and
  // dropped ("https://" enables TLS with the system's roots when no CA file is given).
  std::vector<std::string> endpoints{};
  std::string tls_ca_file{};    // enables TLS when set
  std::string tls_cert_file{};  // client certificate; needs tls_key_file
  std::string tls_key_file{};
  std::chrono::milliseconds request_timeout{5000};
};

class EtcdStore : public Store {
 public:
  // Fails only on invalid options (invalid_argument) or unreadable TLS files (io); etcd itself is
  // contacted lazily by the first call, so a store opened while etcd is down works once it is up.
  static Result<std::unique_ptr<Store>> connect(const EtcdOptions& options);
  ~EtcdStore() override;

  Result<std::optional<KeyValue>> get(const std::string& key) override;
  Result<RangeResult> list(const std::string& prefix) override;
  Result<int64_t> put(const std::string& key, const std::string& value, LeaseId lease = 0) override;
  Result<int64_t> remove(const std::string& key) override;
  Result<TxnResult> txn(const Txn& txn) override;

  Result<std::unique_ptr<Watch>> watch(const std::string& prefix, int64_t from_revision,
                                       WatchCallback callback) override;

  Result<Lease> grant_lease(int64_t ttl_seconds) override;
  Result<int64_t> renew_lease(LeaseId id) override;
  Result<std::unique_ptr<KeepAlive>> keep_alive(LeaseId id) override;
  Result<void> revoke_lease(LeaseId id) override;
  Result<int64_t> lease_ttl(LeaseId id) override;

  Result<void> compact(int64_t revision) override;

 private:
  EtcdStore();

  std::shared_ptr<etcd::Client> client_;
};

}  // namespace weft::store
