#include "ipam/namespace_registry.h"

#include "model/keys.h"
#include "store/optimistic_txn.h"

namespace weft::ipam {
namespace {

using store::Compare;
using store::TxnOp;

Result<void> check_name(std::string_view name) {
  if (!model::valid_namespace_name(name)) {
    return fail(Errc::invalid_argument, "namespace name '", name, "' is not a DNS label (a-z, 0-9, '-', at most 63)");
  }
  return {};
}

Result<void> check_not_implicit(const model::LabelEdit& edit) {
  const std::string implicit(model::kNamespaceNameLabel);
  if (edit.set.contains(implicit) || edit.remove.contains(implicit)) {
    return fail(Errc::invalid_argument, "label ", implicit, " is implicit (the namespace's name) and cannot be changed");
  }
  return model::validate_labels(edit.set);
}

}  // namespace

Result<Listing<model::Namespace>> list_namespaces(store::Store& store) {
  return list_decoded<model::Namespace>(store, model::keys::namespaces_prefix(), model::decode_namespace, "namespaces");
}

Result<model::Namespace> get_namespace(store::Store& store, std::string_view name) {
  if (auto r = check_name(name); !r) return std::unexpected(r.error());
  auto kv = store.get(model::keys::namespace_key(name));
  if (!kv) return wrap(kv.error(), "reading namespace " + std::string(name));
  if (!*kv) return fail(Errc::not_found, "namespace ", name, " does not exist");
  return model::decode_namespace((*kv)->value);
}

Result<model::Namespace> add_namespace(store::Store& store, std::string_view name, const model::Labels& labels) {
  if (auto r = check_name(name); !r) return std::unexpected(r.error());
  if (auto r = check_not_implicit(model::LabelEdit{labels, {}}); !r) return std::unexpected(r.error());
  const model::Namespace ns{std::string(name), labels};
  const std::string key = model::keys::namespace_key(name);
  store::Txn txn;
  txn.compare.push_back(Compare{.key = key, .target = Compare::Target::version});  // absent
  txn.success.push_back(TxnOp::put(key, dump_json(encode(ns))));
  auto r = store.txn(txn);
  if (!r) return wrap(r.error(), "adding namespace " + std::string(name));
  if (!r->succeeded) return fail(Errc::already_exists, "namespace ", name, " already exists");
  return model::Namespace{ns.name, model::namespace_labels(name, labels)};
}

Result<model::Namespace> label_namespace(store::Store& store, std::string_view name, const model::LabelEdit& edit) {
  if (auto r = check_name(name); !r) return std::unexpected(r.error());
  if (auto r = check_not_implicit(edit); !r) return std::unexpected(r.error());
  const std::string key = model::keys::namespace_key(name);
  auto decide = [&](const store::Snapshot& reads) -> store::Decision<model::Namespace> {
    const store::KeyValue* kv = reads.one("ns");
    if (kv == nullptr) return fail(Errc::not_found, "namespace ", name, " does not exist");
    auto ns = model::decode_namespace(kv->value);
    if (!ns) return std::unexpected(ns.error());
    ns->labels = apply(edit, std::move(ns->labels));
    store::Write<model::Namespace> write;
    write.compare.push_back(Compare{key, Compare::Target::mod_revision, Compare::Op::equal, kv->mod_revision, {}});
    write.ops.push_back(TxnOp::put(key, dump_json(encode(*ns))));
    write.done = [ns = *ns](const store::TxnResult&) -> Result<model::Namespace> { return ns; };
    return write;
  };
  return store::optimistic_txn<model::Namespace>(
      store, {.what = "labelling namespace " + std::string(name), .reads = {store::Read::one("ns", key)}, .decide = decide});
}

Result<void> delete_namespace(store::Store& store, std::string_view name) {
  if (auto r = check_name(name); !r) return r;
  auto removed = store.remove(model::keys::namespace_key(name));
  if (!removed) return wrap(removed.error(), "deleting namespace " + std::string(name));
  if (*removed == 0) return fail(Errc::not_found, "namespace ", name, " does not exist");
  return {};
}

}  // namespace weft::ipam
