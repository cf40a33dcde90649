// model::Namespace operations against the store (weft namespace add|label|list|delete).
// Adding is create-only and relabelling is a compare-and-swap on the namespace's mod revision,
// so two operators editing at once never lose each other's labels. The implicit label
// (model::kNamespaceNameLabel) cannot be set or removed.
#pragma once

#include <string_view>

#include "ipam/listing.h"
#include "model/labels.h"
#include "model/namespace.h"
#include "store/store.h"

namespace weft::ipam {

Result<Listing<model::Namespace>> list_namespaces(store::Store& store);
// Errors: not_found.
Result<model::Namespace> get_namespace(store::Store& store, std::string_view name);
// Errors: invalid_argument (name or labels), already_exists.
Result<model::Namespace> add_namespace(store::Store& store, std::string_view name, const model::Labels& labels);
// Returns the namespace as stored after the edit. Errors: invalid_argument, not_found.
Result<model::Namespace> label_namespace(store::Store& store, std::string_view name, const model::LabelEdit& edit);
// Errors: not_found. Endpoints in it stay in it, with only the implicit label.
Result<void> delete_namespace(store::Store& store, std::string_view name);

}  // namespace weft::ipam
