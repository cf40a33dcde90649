// weft namespace add|label|list|delete: the namespaces policies select workloads by (issue 11).
#include <iostream>

#include "cli/context.h"
#include "cli/table.h"
#include "ipam/namespace_registry.h"

namespace weft::cli {
namespace {

struct Args {
  std::string name;
  std::vector<std::string> labels;  // k=v, and k- for label
};

void print(Context& ctx, const model::Namespace& ns, std::string_view verb) {
  if (ctx.json()) {
    std::cout << Json{{"name", ns.name}, {"labels", ns.labels}}.dump(2) << '\n';
  } else {
    std::cout << "namespace " << ns.name << " " << verb << " (" << model::format_labels(ns.labels) << ")\n";
  }
}

int add(Context& ctx, const Args& args) {
  auto labels = model::parse_label_assignments(args.labels);
  if (!labels) return report(labels.error());
  auto store = ctx.store();
  if (!store) return report(store.error());
  auto ns = ipam::add_namespace(**store, args.name, *labels);
  if (!ns) return report(ns.error());
  print(ctx, *ns, "added");
  return exit_ok;
}

int label(Context& ctx, const Args& args) {
  auto edit = model::parse_label_edit(args.labels);
  if (!edit) return report(edit.error());
  auto store = ctx.store();
  if (!store) return report(store.error());
  auto ns = ipam::label_namespace(**store, args.name, *edit);
  if (!ns) return report(ns.error());
  print(ctx, *ns, "labelled");
  return exit_ok;
}

int list(Context& ctx) {
  auto store = ctx.store();
  if (!store) return report(store.error());
  auto namespaces = ipam::list_namespaces(**store);
  if (!namespaces) return report(namespaces.error());
  warn_skipped(namespaces->skipped);
  if (ctx.json()) {
    Json out = Json::array();
    for (const auto& ns : namespaces->items) out.push_back({{"name", ns.name}, {"labels", ns.labels}});
    std::cout << out.dump(2) << '\n';
    return exit_ok;
  }
  Table table({"NAME", "LABELS"});
  for (const auto& ns : namespaces->items) table.add({ns.name, model::format_labels(ns.labels)});
  table.print(std::cout);
  return exit_ok;
}

int remove(Context& ctx, const Args& args) {
  auto store = ctx.store();
  if (!store) return report(store.error());
  if (auto r = ipam::delete_namespace(**store, args.name); !r) return report(r.error());
  if (!ctx.json()) std::cout << "namespace " << args.name << " deleted\n";
  return exit_ok;
}

}  // namespace

void add_namespace_commands(CLI::App& app, Context& ctx, int& exit_code) {
  auto* ns = app.add_subcommand("namespace", "namespaces and their labels");
  ns->require_subcommand(1);
  auto args = std::make_shared<Args>();

  auto* add_cmd = ns->add_subcommand("add", "add a namespace with labels");
  add_cmd->add_option("NAME", args->name, "namespace name")->required();
  add_cmd->add_option("LABELS", args->labels, "KEY=VALUE ...");
  add_cmd->callback([&ctx, &exit_code, args] { exit_code = add(ctx, *args); });

  auto* label_cmd = ns->add_subcommand("label", "set (KEY=VALUE) or remove (KEY-) labels");
  label_cmd->add_option("NAME", args->name, "namespace name")->required();
  label_cmd->add_option("LABELS", args->labels, "KEY=VALUE or KEY- ...")->required();
  label_cmd->callback([&ctx, &exit_code, args] { exit_code = label(ctx, *args); });

  ns->add_subcommand("list", "list namespaces with their labels (the implicit one included)")
      ->callback([&ctx, &exit_code] { exit_code = list(ctx); });

  auto* del = ns->add_subcommand("delete", "delete a namespace (its endpoints keep it, without labels)");
  del->add_option("NAME", args->name, "namespace name")->required();
  del->callback([&ctx, &exit_code, args] { exit_code = remove(ctx, *args); });
}

}  // namespace weft::cli
