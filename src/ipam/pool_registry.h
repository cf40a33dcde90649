// model::Pool operations against the store. Each change is one compare-and-swap transaction against the
// pool-set guard key (model::keys::pools_guard), so two concurrent adds of overlapping pools cannot both
// succeed. Deleting is refused (Errc::in_use) while any block of the pool is held.
#pragma once

#include <string_view>

#include "ipam/listing.h"
#include "model/pool.h"
#include "store/store.h"

namespace weft::ipam {

Result<Listing<model::Pool>> list_pools(store::Store& store);
Result<model::Pool> get_pool(store::Store& store, std::string_view name);
// Validates, then stores. Errors: invalid_argument (bad or overlapping pool), already_exists.
Result<void> add_pool(store::Store& store, const model::Pool& pool);
// Errors: not_found, in_use (naming how many blocks are held, and by which node first).
Result<void> delete_pool(store::Store& store, std::string_view name);

}  // namespace weft::ipam
