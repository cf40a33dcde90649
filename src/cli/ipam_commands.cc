// weft ipam show|release (check: ipam_check.cc), weft endpoint list|label: workload addresses (issue 4) and the labels
// policies select workloads by (issue 11).
#include <iostream>

#include "cli/context.h"
#include "cli/table.h"
#include "ipam/address_listing.h"
#include "ipam/endpoint_labels.h"

namespace weft::cli {
namespace {

int show(Context& ctx, const std::string& node) {
  auto store = ctx.store();
  if (!store) return report(store.error());
  auto usage = ipam::list_block_usage(**store, node);
  if (!usage) return report(usage.error());
  warn_skipped(usage->skipped);
  if (ctx.json()) {
    Json out = Json::array();
    for (const auto& u : usage->items) {
      out.push_back({{"pool", u.pool}, {"block", u.block.to_string()}, {"node", u.node}, {"reserved", u.reserved},
                     {"usable", u.usable}, {"used", u.used}, {"free", u.free()}});
    }
    std::cout << out.dump(2) << '\n';
    return exit_ok;
  }
  Table table({"POOL", "BLOCK", "NODE", "USED", "FREE"});
  for (const auto& u : usage->items) {
    table.add({u.pool, u.block.to_string(), u.node.empty() ? "(none)" : u.node + (u.reserved ? " (reserved)" : ""),
               std::to_string(u.used), std::to_string(u.free())});
  }
  table.print(std::cout);
  return exit_ok;
}

int release(Context& ctx, const std::string& text) {
  auto address = IpAddress::parse(text);
  if (!address) return report(Error{Errc::invalid_argument, "IP: " + address.error().message});
  auto store = ctx.store();
  if (!store) return report(store.error());
  auto released = ipam::release_address(**store, *address);
  if (!released) return report(released.error());
  if (ctx.json()) {
    std::cout << Json{{"address", address->to_string()}, {"pool", released->pool}, {"block", released->block.to_string()},
                      {"containerId", released->record.container_id}, {"ifname", released->record.ifname},
                      {"node", released->record.node}}.dump(2)
              << '\n';
  } else {
    std::cout << "released " << address->to_string() << " (container " << released->record.container_id << " "
              << released->record.ifname << " on " << released->record.node << ")\n";
  }
  return exit_ok;
}

int list_endpoints(Context& ctx, const std::string& node) {
  auto store = ctx.store();
  if (!store) return report(store.error());
  auto eps = ipam::list_endpoints(**store, node);
  if (!eps) return report(eps.error());
  warn_skipped(eps->skipped);
  if (ctx.json()) {
    Json out = Json::array();
    for (const auto& ep : eps->items) out.push_back(encode(ep));
    std::cout << out.dump(2) << '\n';
    return exit_ok;
  }
  Table table({"NODE", "CONTAINER", "IFNAME", "POD", "ADDRESSES", "HOST VETH", "LABELS", "PORTS"});
  for (const auto& ep : eps->items) {
    std::string addresses, ports;
    for (const auto& a : ep.addresses) addresses += (addresses.empty() ? "" : ",") + a.address.to_string();
    for (const auto& p : ep.ports) ports += (ports.empty() ? "" : ",") + p.name + "=" + std::to_string(p.port) + "/" + p.protocol;
    const std::string pod = ep.pod_name.empty() ? "-" : ep.pod_namespace + "/" + ep.pod_name;
    table.add({ep.node, ep.container_id.substr(0, 12), ep.ifname, pod, addresses, ep.host_veth,
               ep.labels.empty() ? "-" : model::format_labels(ep.labels), ports.empty() ? "-" : ports});
  }
  table.print(std::cout);
  return exit_ok;
}

int label_endpoint(Context& ctx, const std::string& name, const std::vector<std::string>& args) {
  auto edit = model::parse_label_edit(args);
  if (!edit) return report(edit.error());
  auto store = ctx.store();
  if (!store) return report(store.error());
  auto ep = ipam::label_endpoint(**store, name, *edit);
  if (!ep) return report(ep.error());
  if (ctx.json()) {
    std::cout << encode(*ep).dump(2) << '\n';
  } else {
    std::cout << "endpoint " << ep->node << "/" << ep->container_id << "-" << ep->ifname << " labelled ("
              << model::format_labels(ep->labels) << ")\n";
  }
  return exit_ok;
}

}  // namespace

void add_ipam_commands(CLI::App& app, Context& ctx, int& exit_code) {
  auto* ipam = app.add_subcommand("ipam", "workload addresses");
  ipam->require_subcommand(1);
  auto node = std::make_shared<std::string>();
  auto* show_cmd = ipam->add_subcommand("show", "per block: holder, addresses used and free");
  show_cmd->add_option("--node", *node, "only this node's blocks");
  show_cmd->callback([&ctx, &exit_code, node] { exit_code = show(ctx, *node); });
  auto address = std::make_shared<std::string>();
  auto* release_cmd = ipam->add_subcommand("release", "release one address by hand (and drop it from its endpoint)");
  release_cmd->add_option("IP", *address, "the address")->required();
  release_cmd->callback([&ctx, &exit_code, address] { exit_code = release(ctx, *address); });
  add_ipam_check_command(*ipam, ctx, exit_code);

  auto* endpoint = app.add_subcommand("endpoint", "workload interfaces");
  endpoint->require_subcommand(1);
  auto ep_node = std::make_shared<std::string>();
  auto* list = endpoint->add_subcommand("list", "every endpoint with its addresses");
  list->add_option("--node", *ep_node, "only this node's endpoints");
  list->callback([&ctx, &exit_code, ep_node] { exit_code = list_endpoints(ctx, *ep_node); });
  auto ep_name = std::make_shared<std::string>();
  auto ep_labels = std::make_shared<std::vector<std::string>>();
  auto* label = endpoint->add_subcommand("label", "set (KEY=VALUE) or remove (KEY-) an endpoint's labels");
  label->add_option("ENDPOINT", *ep_name, "NAMESPACE/POD, NODE/CONTAINERID-IFNAME, CONTAINERID or a unique POD")->required();
  label->add_option("LABELS", *ep_labels, "KEY=VALUE or KEY- ...")->required();
  label->callback([&ctx, &exit_code, ep_name, ep_labels] { exit_code = label_endpoint(ctx, *ep_name, *ep_labels); });
}

}  // namespace weft::cli
