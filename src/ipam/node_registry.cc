#include "ipam/node_registry.h"

#include "model/keys.h"
#include "store/retry.h"

namespace weft::ipam {

Result<void> register_node(store::Store& store, const model::Node& node) {
  if (!model::valid_node_name(node.name)) {
    return fail(Errc::invalid_argument, "node name '", node.name, "' is not a host name");
  }
  const std::string value = dump_json(encode(node));
  auto r = store::with_retry([&] { return store.put(model::keys::node(node.name), value); });
  if (!r) return wrap(r.error(), "registering node " + node.name);
  return {};
}

Result<Listing<model::Node>> list_nodes(store::Store& store) {
  return list_decoded<model::Node>(store, model::keys::nodes_prefix(), model::decode_node, "nodes");
}

Result<void> remove_node(store::Store& store, const std::string& name) {
  auto node = store::with_retry([&] { return store.get(model::keys::node(name)); });
  if (!node) return wrap(node.error(), "reading node " + name);
  auto liveness = store::with_retry([&] { return store.get(model::keys::liveness(name)); });
  if (!liveness) return wrap(liveness.error(), "reading liveness of " + name);
  if (!*node && !*liveness) return fail(Errc::not_found, "node ", name, " does not exist");
  if (*liveness) {
    auto r = store::with_retry([&] { return store.revoke_lease((*liveness)->lease); });
    if (!r && r.error().code != Errc::not_found) return wrap(r.error(), "revoking the lease of " + name);
  }
  auto r = store::with_retry([&] { return store.remove(model::keys::node(name)); });
  if (!r) return wrap(r.error(), "deleting node " + name);
  return {};
}

}  // namespace weft::ipam
