// weft explain FROM TO [--port P --protocol tcp|udp|sctp|icmp]: what happens to one flow — the
// path between the two hosts (the backend that carries it, next hop, device) and the policy
// decision at each end (egress at the source, ingress at the destination) with the policy and
// rule that decided, from the evaluator (policy/evaluate.h), which the enforced ruleset means.
// FROM and TO are pods ("namespace/name", or a name alone when unique) or addresses.
#include <iostream>

#include "cli/context.h"
#include "dataplane/block_paths.h"
#include "dataplane/desired_state.h"
#include "model/keys.h"
#include "policy/evaluate.h"
#include "policy/model_view.h"

namespace weft::cli {
namespace {

struct Args {
  std::string from, to, protocol = "tcp";
  int port = 0;
};

// One end of the flow: the endpoint's view when it is a pod, its address, the node it is on.
struct End {
  std::string label;  // "x/a" or the address
  std::optional<IpAddress> address;
  std::string node;   // "" when the address is in no block
};

policy::ProbeEnd probe_end(const std::string& text) {
  if (auto a = IpAddress::parse(text)) return *a;
  return text;
}

std::string node_of_address(const model::ClusterModel& model, const IpAddress& a) {
  for (const auto& [key, b] : model.blocks) {
    if (b.block.contains(a)) return b.node;
  }
  return "";
}

Result<End> resolve(const model::ClusterModel& model, const policy::ClusterView& view, const std::string& text) {
  if (auto a = IpAddress::parse(text)) {
    for (const auto& e : view.endpoints) {
      if (std::find(e.addresses.begin(), e.addresses.end(), *a) != e.addresses.end()) {
        return End{e.namespace_name + "/" + e.name, *a, e.host};
      }
    }
    return End{text, *a, node_of_address(model, *a)};
  }
  const auto slash = text.find('/');
  const policy::EndpointInfo* found = nullptr;
  for (const auto& e : view.endpoints) {
    const bool match = slash == std::string::npos ? e.name == text
                                                  : e.namespace_name == text.substr(0, slash) && e.name == text.substr(slash + 1);
    if (!match) continue;
    if (found) return fail(Errc::invalid_argument, "'", text, "' names more than one pod: say namespace/name");
    found = &e;
  }
  if (!found) return fail(Errc::not_found, "no pod '", text, "'");
  std::optional<IpAddress> v4;
  for (const auto& a : found->addresses) {
    if (a.family() == Family::v4) v4 = a;
  }
  if (!v4 && !found->addresses.empty()) v4 = found->addresses.front();
  return End{found->namespace_name + "/" + found->name, v4, found->host};
}

// The path from `from`'s host to `to`: the same decision weftd on that host makes (block_paths.h).
Json path_of(const model::ClusterModel& model, const End& from, const End& to) {
  if (from.node.empty() || !to.address) return Json{{"summary", "not between two weft hosts: the hosts' own routing"}};
  if (from.node == to.node) return Json{{"summary", "on one host (" + from.node + "): through its routing table, no encapsulation"}};
  const auto self_node = model.nodes.find(from.node);
  if (self_node == model.nodes.end() || self_node->second.addresses.empty()) {
    return Json{{"summary", "host " + from.node + " has no node record"}};
  }
  dataplane::LocalFacts self{.node = from.node, .underlay = self_node->second.addresses.front()};
  std::vector<std::string> problems;
  for (const auto& b : dataplane::classify_blocks(model, self, problems)) {
    if (!b.block->block.contains(*to.address)) continue;
    Json out{{"from", from.node}, {"to", b.block->node}, {"block", b.block->block.to_string()}, {"pool", b.pool->name}};
    const std::string node = b.block->node;
    const std::string underlay = b.underlay ? b.underlay->to_string() : "?";
    switch (b.path) {
      case dataplane::Path::direct:
        out["path"] = "direct";
        out["summary"] = "direct route via " + underlay + " (" + node + ", same segment)";
        break;
      case dataplane::Path::vxlan: {
        const auto vtep = dataplane::tunnel_address(model, node, to.address->family(), model::Encapsulation::vxlan);
        out["path"] = "vxlan";
        out["summary"] = "VXLAN via " + (vtep ? vtep->to_string() : "?") + " dev " + std::string(dataplane::kVxlanDevice) +
                         ", outer destination " + underlay + " (" + node + ")";
        break;
      }
      case dataplane::Path::ipip:
        out["path"] = "ipip";
        out["summary"] = "IPIP to " + underlay + " (" + node + ")";
        break;
      case dataplane::Path::bgp:
        out["path"] = "bgp";
        out["summary"] = "the route BGP learned for " + b.block->block.to_string() + " (" + node + ")";
        break;
      case dataplane::Path::unsupported:
        out["path"] = "none";
        out["summary"] = "no path: IPIP cannot carry this address family";
        break;
      case dataplane::Path::local:
        out["path"] = "local";
        out["summary"] = "the block is " + from.node + "'s own";
        break;
    }
    return out;
  }
  for (const auto& p : problems) {
    if (p.find(to.node) != std::string::npos) return Json{{"summary", "no path: " + p}};
  }
  return Json{{"summary", "no route: the destination is in no block another host holds"}};
}

Json decision_json(const policy::Decision& d) {
  return Json{{"allowed", d.allowed}, {"policy", d.policy}, {"rule", d.rule}, {"reason", d.reason}};
}

int run(Context& ctx, const Args& args) {
  const auto protocol = policy::parse_protocol(args.protocol);
  if (!protocol) return report(Error{Errc::invalid_argument, "unknown protocol '" + args.protocol + "'"});
  if (policy::has_ports(*protocol) && (args.port < 1 || args.port > 65535)) {
    return report(Error{Errc::invalid_argument, "--port 1-65535 is needed for " + args.protocol});
  }
  auto store = ctx.store();
  if (!store) return report(store.error());
  auto listing = (*store)->list(std::string(model::keys::root));
  if (!listing) return report(listing.error());
  model::ClusterModel model;
  model.reset(listing->kvs, listing->revision);
  auto inputs = policy::policy_inputs(model);
  for (const auto& p : inputs.problems) std::cerr << "weft: warning: " << p << '\n';

  auto from = resolve(model, inputs.view, args.from);
  if (!from) return report(from.error());
  auto to = resolve(model, inputs.view, args.to);
  if (!to) return report(to.error());
  policy::Probe probe{.from = probe_end(args.from), .to = probe_end(args.to), .protocol = *protocol,
                      .port = static_cast<uint16_t>(policy::has_ports(*protocol) ? args.port : 0)};
  if (*protocol == policy::Protocol::icmp || *protocol == policy::Protocol::icmpv6) probe.icmp_type = 8;  // echo request
  auto verdict = policy::evaluate(inputs.view, probe);
  if (!verdict) return report(verdict.error());
  const auto path = path_of(model, *from, *to);
  const std::string flow = std::string(policy::to_string(*protocol)) + (probe.port ? "/" + std::to_string(probe.port) : "");
  if (ctx.json()) {
    Json out{{"from", from->label}, {"to", to->label}, {"protocol", policy::to_string(*protocol)}, {"port", probe.port},
             {"path", path}, {"egress", decision_json(verdict->egress)}, {"ingress", decision_json(verdict->ingress)},
             {"result", verdict->allowed() ? "allowed" : "blocked"}};
    std::cout << out.dump(2) << '\n';
    return exit_ok;
  }
  const auto at = [](const End& e) { return e.node.empty() ? e.label : e.label + " on " + e.node; };
  const auto line = [](const policy::Decision& d) {
    std::string s = d.allowed ? "allowed" : "denied";
    if (!d.policy.empty()) s += " by " + d.policy + (d.rule.empty() ? "" : " rule " + d.rule);
    return s + (d.reason.empty() ? "" : " (" + d.reason + ")");
  };
  std::cout << "flow:    " << at(*from) << " -> " << at(*to) << ", " << flow << '\n'
            << "path:    " << path["summary"].get<std::string>() << '\n'
            << "egress:  " << line(verdict->egress) << '\n'
            << "ingress: " << line(verdict->ingress) << '\n'
            << "result:  " << (verdict->allowed() ? "allowed" : "blocked") << '\n';
  return exit_ok;
}

}  // namespace

void add_explain_command(CLI::App& app, Context& ctx, int& exit_code) {
  auto args = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("explain", "the path and the policy decision for one flow between pods or addresses");
  cmd->add_option("from", args->from, "source: namespace/pod, pod, or an address")->required();
  cmd->add_option("to", args->to, "destination: namespace/pod, pod, or an address")->required();
  cmd->add_option("--port", args->port, "destination port (tcp, udp, sctp)");
  cmd->add_option("--protocol", args->protocol, "tcp, udp, sctp, icmp")->capture_default_str();
  cmd->callback([&ctx, &exit_code, args] { exit_code = run(ctx, *args); });
}

}  // namespace weft::cli
