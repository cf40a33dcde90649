#include "ipam/node_registry.h"

#include "ipam/keys.h"

namespace weft::ipam {

Result<void> register_node(store::Store& store, const Node& node) {
  if (!valid_node_name(node.name)) {
    return fail(Errc::invalid_argument, "node name '", node.name, "' is not a host name");
  }
  auto r = store.put(keys::node(node.name), dump_json(encode(node)));
  if (!r) return wrap(r.error(), "registering node " + node.name);
  return {};
}

Result<Listing<Node>> list_nodes(store::Store& store) {
  auto r = store.list(keys::nodes_prefix());
  if (!r) return wrap(r.error(), "listing nodes");
  Listing<Node> out;
  out.revision = r->revision;
  for (const auto& kv : r->kvs) {
    auto node = decode_node(kv.value);
    if (node) {
      out.items.push_back(std::move(*node));
    } else {
      out.skipped.push_back(Error{Errc::corrupt, kv.key + ": " + node.error().message});
    }
  }
  return out;
}

}  // namespace weft::ipam
