// Changing an endpoint's labels after weft-cni recorded them (`weft endpoint label`): policies
// select the endpoint by its new labels as soon as the agents see the write.
//
// An endpoint is named by any of: NAMESPACE/POD, NODE/CONTAINERID-IFNAME (its key's tail),
// CONTAINERID, or POD when that pod name is unique. not_found when nothing matches,
// invalid_argument (listing the matches) when more than one endpoint does. The write is a
// compare-and-swap on the endpoint's mod revision, so it never overwrites an address change or a
// release that happened since the read (it re-reads and edits again, or reports not_found).
#pragma once

#include <string_view>

#include "model/endpoint.h"
#include "model/labels.h"
#include "store/store.h"

namespace weft::ipam {

// Returns the endpoint as stored after the edit.
Result<model::Endpoint> label_endpoint(store::Store& store, std::string_view endpoint, const model::LabelEdit& edit);

// Whether `endpoint` (in one of the forms above) names `e`.
bool names_endpoint(std::string_view endpoint, const model::Endpoint& e);

}  // namespace weft::ipam
