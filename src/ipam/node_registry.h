// model::Node records in the store. A node record has no lease: it stays after its agent stops, so an
// operator sees stopped nodes; liveness is tracked separately (NodeLease).
#pragma once

#include <string_view>

#include "ipam/listing.h"
#include "model/node.h"
#include "store/store.h"

namespace weft::ipam {

// Creates or updates the node's record. invalid_argument for a bad name.
Result<void> register_node(store::Store& store, const model::Node& node);
Result<Listing<model::Node>> list_nodes(store::Store& store);
// Removes a node from the cluster: revokes its lease (its leased blocks and liveness vanish at
// once, so every other node drops its routes) and deletes its record. Reservations stay: they
// are pinned by an operator. not_found when there is no such node.
Result<void> remove_node(store::Store& store, const std::string& name);

}  // namespace weft::ipam
