#include "ipam/endpoint_labels.h"

#include "ipam/address_listing.h"
#include "model/keys.h"
#include "store/optimistic_txn.h"

namespace weft::ipam {
namespace {

using store::Compare;
using store::TxnOp;

std::string describe(const model::Endpoint& e) {
  return e.node + "/" + e.container_id + "-" + e.ifname +
         (e.pod_name.empty() ? "" : " (" + e.pod_namespace + "/" + e.pod_name + ")");
}

}  // namespace

bool names_endpoint(std::string_view endpoint, const model::Endpoint& e) {
  if (const auto slash = endpoint.find('/'); slash != std::string_view::npos) {
    const std::string_view head = endpoint.substr(0, slash), tail = endpoint.substr(slash + 1);
    return (!e.pod_name.empty() && head == e.pod_namespace && tail == e.pod_name) ||
           (head == e.node && tail == e.container_id + "-" + e.ifname);
  }
  return endpoint == e.container_id || (!e.pod_name.empty() && endpoint == e.pod_name);
}

Result<model::Endpoint> label_endpoint(store::Store& store, std::string_view endpoint, const model::LabelEdit& edit) {
  if (auto r = model::validate_labels(edit.set); !r) return std::unexpected(r.error());
  auto all = list_endpoints(store);
  if (!all) return std::unexpected(all.error());
  std::vector<const model::Endpoint*> matches;
  for (const auto& e : all->items) {
    if (names_endpoint(endpoint, e)) matches.push_back(&e);
  }
  if (matches.empty()) return fail(Errc::not_found, "no endpoint is named '", endpoint, "'");
  if (matches.size() > 1) {
    std::string names;
    for (const auto* e : matches) names += (names.empty() ? "" : ", ") + describe(*e);
    return fail(Errc::invalid_argument, "'", endpoint, "' names ", std::to_string(matches.size()), " endpoints: ", names);
  }
  const std::string key = model::keys::endpoint(matches[0]->node, matches[0]->container_id, matches[0]->ifname);
  auto decide = [&](const store::Snapshot& reads) -> store::Decision<model::Endpoint> {
    const store::KeyValue* kv = reads.one("ep");
    if (kv == nullptr) return fail(Errc::not_found, "endpoint ", key, " was deleted meanwhile");
    auto e = model::decode_endpoint(key, kv->value);
    if (!e) return std::unexpected(e.error());
    e->labels = apply(edit, std::move(e->labels));
    store::Write<model::Endpoint> write;
    write.compare.push_back(Compare{key, Compare::Target::mod_revision, Compare::Op::equal, kv->mod_revision, {}});
    write.ops.push_back(TxnOp::put(key, dump_json(encode(*e))));
    write.done = [e = *e](const store::TxnResult&) -> Result<model::Endpoint> { return e; };
    return write;
  };
  return store::optimistic_txn<model::Endpoint>(
      store, {.what = "labelling endpoint " + key, .reads = {store::Read::one("ep", key)}, .decide = decide});
}

}  // namespace weft::ipam
