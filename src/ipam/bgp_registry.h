// BGP settings and status in the store (layout in bgp_config.h), for the CLI and tests.
#pragma once

#include <functional>

#include <string>

#include "model/bgp_config.h"
#include "ipam/listing.h"
#include "store/store.h"

namespace weft::ipam {

// The cluster's settings; the defaults when none were ever written.
Result<model::BgpGlobal> get_bgp_global(store::Store& store);
Result<void> set_bgp_global(store::Store& store, const model::BgpGlobal& global);
Result<Listing<model::BgpNodeConfig>> list_bgp_node_configs(store::Store& store);
// as_number 0 removes the node's override.
Result<void> set_bgp_node_as(store::Store& store, const std::string& node, uint32_t as_number);

// Creates a peer; already_exists when the name is taken, invalid_argument when it does not
// validate or another peer has the same address and scope.
Result<void> add_bgp_peer(store::Store& store, const model::BgpPeer& peer);
Result<Listing<model::BgpPeer>> list_bgp_peers(store::Store& store);
// Reads peer `name`, applies `change` and writes it back if nobody wrote it meanwhile (retried
// then); not_found when there is no such peer, `change`'s error or invalid_argument (validate)
// leave it as it was. The name and address cannot change (delete and add for that).
Result<model::BgpPeer> update_bgp_peer(store::Store& store, const std::string& name,
                                       const std::function<Result<void>(model::BgpPeer&)>& change);
// not_found when there is no such peer.
Result<void> remove_bgp_peer(store::Store& store, const std::string& name);

Result<Listing<model::BgpNodeStatus>> list_bgp_status(store::Store& store);

}  // namespace weft::ipam
