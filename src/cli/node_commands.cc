// weft node list|delete
#include <iostream>
#include <set>

#include "cli/context.h"
#include "cli/table.h"
#include "ipam/block_leases.h"
#include "model/keys.h"
#include "ipam/node_registry.h"

namespace weft::cli {
namespace {

int list(Context& ctx) {
  auto store = ctx.store();
  if (!store) return report(store.error());
  auto nodes = ipam::list_nodes(**store);
  if (!nodes) return report(nodes.error());
  warn_skipped(nodes->skipped);
  // A node is alive while its liveness key (attached to its lease) exists.
  auto liveness = (*store)->list(model::keys::liveness_prefix());
  if (!liveness) return report(liveness.error());
  std::set<std::string, std::less<>> alive;
  for (const auto& kv : liveness->kvs) alive.insert(std::string(model::keys::last_segment(kv.key)));

  if (ctx.json()) {
    Json out = Json::array();
    for (const auto& n : nodes->items) {
      Json j = encode(n);
      j["alive"] = alive.contains(n.name);
      out.push_back(j);
    }
    std::cout << out.dump(2) << '\n';
    return exit_ok;
  }
  Table table({"NAME", "ADDRESSES", "ALIVE", "DATAPLANE", "LABELS"});
  for (const auto& n : nodes->items) {
    std::string addresses, labels;
    for (const auto& a : n.addresses) addresses += (addresses.empty() ? "" : ",") + a.to_string();
    for (const auto& [k, v] : n.labels) labels += (labels.empty() ? "" : ",") + k + "=" + v;
    table.add({n.name, addresses, alive.contains(n.name) ? "yes" : "no", n.dataplane.empty() ? "-" : n.dataplane, labels});
  }
  table.print(std::cout);
  return exit_ok;
}

int remove(Context& ctx, const std::string& name) {
  auto store = ctx.store();
  if (!store) return report(store.error());
  if (auto r = ipam::remove_node(**store, name); !r) return report(r.error());
  if (!ctx.json()) std::cout << "node " << name << " deleted; its leased blocks are free\n";
  return exit_ok;
}

}  // namespace

void add_node_commands(CLI::App& app, Context& ctx, int& exit_code) {
  auto* node = app.add_subcommand("node", "nodes");
  node->require_subcommand(1);
  node->add_subcommand("list", "list nodes")->callback([&ctx, &exit_code] { exit_code = list(ctx); });
  auto name = std::make_shared<std::string>();
  auto* del = node->add_subcommand("delete", "remove a node: frees its blocks, other nodes drop its routes");
  del->add_option("name", *name, "node name")->required();
  del->callback([&ctx, &exit_code, name] { exit_code = remove(ctx, *name); });
}

}  // namespace weft::cli
