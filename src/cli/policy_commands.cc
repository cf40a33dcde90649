// weft policy apply|list|get|delete: network policies in the store (issue 11). Files are parsed by
// policy/policy_file.h (all or nothing) and stored in the codec's form (policy/policy_codec.h) at
// one key per kind (model/keys.h), so a NetworkPolicy and a Policy may share a name.
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

#include "cli/context.h"
#include "cli/table.h"
#include "cli/yaml_output.h"
#include "model/keys.h"
#include "policy/policy_codec.h"
#include "policy/policy_file.h"

namespace weft::cli {
namespace {

using policy::Origin;
using policy::Policy;

struct Args {
  std::string file;
  std::string name;
  std::string namespace_name;  // -n; empty: "default"
  bool all_namespaces = false;
  std::string kind;    // --kind: networkpolicy|policy|globalpolicy; empty: any
  std::string output;  // this command's -o; empty: the global -o
};

constexpr std::string_view default_namespace = "default";

// The word users type and `apply` prints for each kind.
std::string_view kind_word(Origin origin) {
  switch (origin) {
    case Origin::kubernetes: return "networkpolicy";
    case Origin::namespaced: return "policy";
    case Origin::global: return "globalpolicy";
  }
  return "?";
}

std::string store_key(Origin origin, std::string_view ns, std::string_view name) {
  switch (origin) {
    case Origin::kubernetes: return model::keys::network_policy(ns, name);
    case Origin::namespaced: return model::keys::policy(ns, name);
    case Origin::global: return model::keys::global_policy(name);
  }
  return {};
}

// "x/deny-all", or "g" for a global policy.
std::string qualified_name(std::string_view ns, std::string_view name) {
  return ns.empty() ? std::string(name) : std::string(ns) + "/" + std::string(name);
}

std::string output_format(const Context& ctx, const Args& args) { return args.output.empty() ? ctx.output : args.output; }

Result<std::string> read_input(const std::string& file) {
  if (file == "-") return std::string(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  std::ifstream in(file, std::ios::binary);
  if (!in) return fail(Errc::not_found, "cannot read ", file);
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return fail(Errc::io, "cannot read ", file);
  return text.str();
}

int apply(Context& ctx, const Args& args) {
  auto text = read_input(args.file);
  if (!text) return report(text.error());
  auto policies = policy::parse_policy_file(*text);
  if (!policies) return report(policies.error());
  if (policies->empty()) return report(Error{Errc::invalid_argument, args.file + ": no policy in it"});
  auto store = ctx.store();
  if (!store) return report(store.error());
  // One transaction: every policy of the file or none (the parser already refused duplicates).
  store::Txn txn;
  for (const auto& p : *policies) {
    txn.success.push_back(store::TxnOp::put(store_key(p.origin, p.namespace_name, p.name), policy::encode(p).dump()));
  }
  auto written = (*store)->txn(txn);
  if (!written) return report(written.error());
  for (const auto& p : *policies) {
    std::cout << kind_word(p.origin) << ' ' << qualified_name(p.namespace_name, p.name) << " configured\n";
  }
  return exit_ok;
}

// A stored policy as list shows it: decoded, or where it is and why it does not decode.
struct Listed {
  Origin origin = Origin::namespaced;
  std::string namespace_name;
  std::string name;
  std::string key;
  Result<Policy> policy;
};

// "/weft/v1/networkpolicies/x/a" -> ("x", "a"); a global key has no namespace.
std::pair<std::string, std::string> split_key(Origin origin, std::string_view key, std::string_view prefix) {
  std::string_view rest = key.substr(prefix.size());
  if (origin == Origin::global) return {"", std::string(rest)};
  const auto slash = rest.find('/');
  if (slash == std::string_view::npos) return {"", std::string(rest)};
  return {std::string(rest.substr(0, slash)), std::string(rest.substr(slash + 1))};
}

std::string prefix_of(Origin origin) {
  switch (origin) {
    case Origin::kubernetes: return model::keys::network_policies_prefix();
    case Origin::namespaced: return model::keys::policies_prefix();
    case Origin::global: return model::keys::global_policies_prefix();
  }
  return {};
}

Result<std::vector<Listed>> read_policies(store::Store& store, const Args& args) {
  const std::string ns = args.namespace_name.empty() ? std::string(default_namespace) : args.namespace_name;
  std::vector<Listed> out;
  for (auto origin : {Origin::kubernetes, Origin::namespaced, Origin::global}) {
    std::string prefix = prefix_of(origin);
    // One namespace: only its keys (globals apply to every namespace, so they are always listed).
    const std::string range = origin == Origin::global || args.all_namespaces ? prefix : prefix + ns + "/";
    auto kvs = store.list(range);
    if (!kvs) return std::unexpected(kvs.error());
    for (const auto& kv : kvs->kvs) {
      auto [key_ns, key_name] = split_key(origin, kv.key, prefix);
      out.push_back(Listed{origin, key_ns, key_name, kv.key, policy::decode_policy(kv.key, kv.value)});
    }
  }
  return out;
}

std::string order_text(double order) {
  std::ostringstream text;
  text << order;
  return text.str();
}

std::string types_text(const Policy& p) {
  if (p.ingress_applies && p.egress_applies) return "Ingress,Egress";
  if (p.ingress_applies) return "Ingress";
  if (p.egress_applies) return "Egress";
  return "-";
}

Json listed_json(const Listed& item) {
  if (item.policy) return policy::encode(*item.policy);
  Json j = {{"kind", policy::to_string(item.origin)}, {"name", item.name}, {"key", item.key},
            {"error", item.policy.error().message}};
  if (!item.namespace_name.empty()) j["namespace"] = item.namespace_name;
  return j;
}

int list(Context& ctx, const Args& args) {
  auto store = ctx.store();
  if (!store) return report(store.error());
  auto items = read_policies(**store, args);
  if (!items) return report(items.error());
  for (const auto& item : *items) {
    if (!item.policy) std::cerr << "weft: warning: unreadable " << item.policy.error().message << '\n';
  }
  const std::string format = output_format(ctx, args);
  if (format != "table") {
    Json out = Json::array();
    for (const auto& item : *items) out.push_back(listed_json(item));
    std::cout << (format == "json" ? out.dump(2) + "\n" : to_yaml(out));
    return exit_ok;
  }
  Table table({"KIND", "NAMESPACE", "NAME", "ORDER", "SELECTOR", "TYPES"});
  for (const auto& item : *items) {
    const std::string ns = item.namespace_name.empty() ? "-" : item.namespace_name;
    if (!item.policy) {
      table.add({std::string(policy::to_string(item.origin)), ns, item.name, "?", "<unreadable: see warning>", "?"});
      continue;
    }
    const Policy& p = *item.policy;
    table.add({std::string(policy::to_string(p.origin)), ns, p.name, order_text(p.order), policy::to_string(p.selector),
               types_text(p)});
  }
  table.print(std::cout);
  return exit_ok;
}

// The stored policies NAME names: in the namespace for the namespaced kinds, and the global one;
// only --kind's when given.
struct Found {
  Origin origin;
  store::KeyValue kv;
};

Result<std::vector<Found>> find(store::Store& store, const Args& args) {
  const std::string ns = args.namespace_name.empty() ? std::string(default_namespace) : args.namespace_name;
  std::vector<Found> found;
  for (auto origin : {Origin::kubernetes, Origin::namespaced, Origin::global}) {
    if (!args.kind.empty() && args.kind != kind_word(origin)) continue;
    const std::string key = store_key(origin, origin == Origin::global ? "" : ns, args.name);
    auto kv = store.get(key);
    if (!kv) return std::unexpected(kv.error());
    if (*kv) found.push_back(Found{origin, std::move(**kv)});
  }
  if (found.empty()) {
    return fail(Errc::not_found, "policy ", args.name, " not found", args.kind.empty() ? "" : " (kind " + args.kind + ")",
                " in namespace ", ns, " or among global policies");
  }
  if (found.size() > 1) {
    std::string kinds;
    for (const auto& f : found) kinds += (kinds.empty() ? "" : ", ") + std::string(kind_word(f.origin));
    return fail(Errc::invalid_argument, "policy ", args.name, " is ambiguous: ", std::to_string(found.size()), " kinds have it (", kinds,
                "); choose one with --kind");
  }
  return found;
}

int get(Context& ctx, const Args& args) {
  auto store = ctx.store();
  if (!store) return report(store.error());
  auto found = find(**store, args);
  if (!found) return report(found.error());
  const auto& kv = found->front().kv;
  auto p = policy::decode_policy(kv.key, kv.value);
  if (!p) return report(p.error());
  const std::string format = output_format(ctx, args);
  if (format == "json") {
    std::cout << policy::encode(*p).dump(2) << '\n';
  } else {
    std::cout << to_yaml(policy::encode(*p));
  }
  return exit_ok;
}

int remove(Context& ctx, const Args& args) {
  auto store = ctx.store();
  if (!store) return report(store.error());
  auto found = find(**store, args);
  if (!found) return report(found.error());
  const auto& f = found->front();
  auto removed = (*store)->remove(f.kv.key);
  if (!removed) return report(removed.error());
  if (*removed == 0) return report(Error{Errc::not_found, "policy " + args.name + " not found"});
  auto [ns, name] = split_key(f.origin, f.kv.key, prefix_of(f.origin));
  std::cout << kind_word(f.origin) << ' ' << qualified_name(ns, name) << " deleted\n";
  return exit_ok;
}

void add_namespace_option(CLI::App* cmd, Args& args) {
  cmd->add_option("-n,--namespace", args.namespace_name, "namespace (default: default)");
}

void add_kind_option(CLI::App* cmd, Args& args) {
  cmd->add_option("--kind", args.kind, "networkpolicy, policy or globalpolicy (when NAME names several)")
      ->check(CLI::IsMember({"networkpolicy", "policy", "globalpolicy"}));
}

}  // namespace

void add_policy_commands(CLI::App& app, Context& ctx, int& exit_code) {
  auto* group = app.add_subcommand("policy", "network policies: Kubernetes NetworkPolicy, weft Policy and GlobalPolicy");
  group->require_subcommand(1);
  auto args = std::make_shared<Args>();

  auto* apply_cmd = group->add_subcommand("apply", "store every policy of a YAML or JSON file (all or nothing)");
  apply_cmd->add_option("-f,--filename", args->file, "FILE, or - for stdin")->required();
  apply_cmd->callback([&ctx, &exit_code, args] { exit_code = apply(ctx, *args); });

  auto* list_cmd = group->add_subcommand("list", "list a namespace's policies (default: default) and the global ones");
  add_namespace_option(list_cmd, *args);
  list_cmd->add_flag("-A,--all-namespaces", args->all_namespaces, "policies of every namespace");
  list_cmd->add_option("-o,--output", args->output, "table, json or yaml")
      ->check(CLI::IsMember({"table", "json", "yaml"}));
  list_cmd->callback([&ctx, &exit_code, args] { exit_code = list(ctx, *args); });

  auto* get_cmd = group->add_subcommand("get", "print one policy as stored (YAML unless -o json)");
  get_cmd->add_option("NAME", args->name, "policy name")->required();
  add_namespace_option(get_cmd, *args);
  add_kind_option(get_cmd, *args);
  get_cmd->add_option("-o,--output", args->output, "yaml or json")->check(CLI::IsMember({"table", "json", "yaml"}));
  get_cmd->callback([&ctx, &exit_code, args] { exit_code = get(ctx, *args); });

  auto* delete_cmd = group->add_subcommand("delete", "delete one policy");
  delete_cmd->add_option("NAME", args->name, "policy name")->required();
  add_namespace_option(delete_cmd, *args);
  add_kind_option(delete_cmd, *args);
  delete_cmd->callback([&ctx, &exit_code, args] { exit_code = remove(ctx, *args); });
}

}  // namespace weft::cli
