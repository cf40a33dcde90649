#include <string_view>

#include "store/etcd_store.h"
#include "store/memory_store.h"
#include "store/store.h"

namespace weft::store {
namespace {

std::vector<std::string> split_endpoints(std::string_view list) {
  std::vector<std::string> out;
  while (!list.empty()) {
    auto comma = list.find(',');
    auto item = list.substr(0, comma);
    if (!item.empty()) out.emplace_back(item);
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return out;
}

}  // namespace

Result<std::unique_ptr<Store>> open_store(const StoreOptions& options) {
  std::string_view url = options.url;
  if (url.starts_with("etcd://")) {
    EtcdOptions etcd;
    etcd.endpoints = split_endpoints(url.substr(7));
    if (etcd.endpoints.empty()) return fail(Errc::invalid_argument, "store URL ", url, " names no endpoint");
    etcd.tls_ca_file = options.tls_ca_file;
    etcd.tls_cert_file = options.tls_cert_file;
    etcd.tls_key_file = options.tls_key_file;
    etcd.request_timeout = options.request_timeout;
    return EtcdStore::connect(etcd);
  }
  if (url.starts_with("file:")) {
    auto path = url.substr(5);
    if (path.empty()) return fail(Errc::invalid_argument, "store URL ", url, " names no file");
    return MemoryStore::open(std::string(path));
  }
  if (url == "memory:") return MemoryStore::open("");
  return fail(Errc::invalid_argument, "unknown store URL '", url,
              "' (expected etcd://HOST:PORT[,HOST:PORT...], file:PATH or memory:)");
}

}  // namespace weft::store
