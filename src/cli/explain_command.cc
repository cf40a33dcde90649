// weft explain FROM TO [--port P --protocol tcp|udp|sctp|icmp]: what happens to one flow — the
// path between the two hosts (the backend that carries it, next hop, device) and the policy
// decision at each end (egress at the source, ingress at the destination) with the policy and
// rule that decided, from the evaluator (policy/evaluate.h), which the enforced ruleset means.
// FROM and TO are pods ("namespace/name", or a name alone when unique) or addresses.
//
// weft explain --matrix --tcp P,… [--udp P,…]: the decision for every ordered pair of pods and
// port, as the matrix `weft lab check --tcp/--udp` prints for the network (cli/lab/
// port_matrix.h), so the two compare cell by cell. A pod to itself is allowed: that traffic never
// leaves the pod, policy does not see it (as on the wire).
#include <algorithm>
#include <iostream>
#include <utility>

#include "cli/context.h"
#include "cli/lab/port_matrix.h"
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
  bool matrix = false;
  std::vector<int> tcp, udp;
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

// Every pod with an IPv4 address ("namespace/name" and that address, sorted): what `weft lab
// check` probes, one pod's v4 address to another's.
std::vector<std::pair<std::string, IpAddress>> v4_pods(const policy::ClusterView& view) {
  std::vector<std::pair<std::string, IpAddress>> out;
  for (const auto& e : view.endpoints) {
    auto v4 = std::find_if(e.addresses.begin(), e.addresses.end(), [](const IpAddress& a) { return a.is_v4(); });
    if (v4 != e.addresses.end()) out.emplace_back(e.namespace_name + "/" + e.name, *v4);
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  return out;
}

int run_matrix(Context& ctx, const Args& args, const policy::ClusterView& view) {
  if (args.tcp.empty() && args.udp.empty()) return report(Error{Errc::invalid_argument, "--matrix needs --tcp and/or --udp ports"});
  const auto pods = v4_pods(view);
  lab::PortMatrix matrix;
  for (const auto& pod : pods) matrix.pods.push_back(pod.first);
  for (int p : args.tcp) matrix.ports.push_back({"tcp", static_cast<uint16_t>(p)});
  for (int p : args.udp) matrix.ports.push_back({"udp", static_cast<uint16_t>(p)});
  std::vector<Json> decisions;
  for (size_t f = 0; f < pods.size(); ++f) {
    for (size_t t = 0; t < pods.size(); ++t) {
      for (const auto& port : matrix.ports) {
        if (f == t) {
          matrix.allowed.push_back(true);
          decisions.push_back(Json{{"reason", "a pod to itself: policy does not apply"}});
          continue;
        }
        const policy::Probe probe{.from = pods[f].second, .to = pods[t].second,
                                  .protocol = port.protocol == "udp" ? policy::Protocol::udp : policy::Protocol::tcp,
                                  .port = port.port};
        auto verdict = policy::evaluate(view, probe);
        if (!verdict) return report(verdict.error());
        matrix.allowed.push_back(verdict->allowed());
        decisions.push_back(Json{{"egress", decision_json(verdict->egress)}, {"ingress", decision_json(verdict->ingress)}});
      }
    }
  }
  if (ctx.json()) {
    auto out = lab::port_matrix_json(matrix);
    for (size_t i = 0; i < decisions.size(); ++i) out["probes"][i].update(decisions[i]);
    std::cout << out.dump(2) << '\n';
  } else {
    lab::print_port_matrix(matrix, std::cout);
  }
  return exit_ok;
}

int run(Context& ctx, const Args& args) {
  if (!args.matrix && (args.from.empty() || args.to.empty())) {
    return report(Error{Errc::invalid_argument, "explain needs FROM and TO, or --matrix"});
  }
  if (args.matrix && (!args.from.empty() || args.port)) {
    return report(Error{Errc::invalid_argument, "--matrix takes no FROM, TO or --port: it explains every pair of pods on the --tcp/--udp ports"});
  }
  const auto protocol = policy::parse_protocol(args.protocol);
  if (!protocol) return report(Error{Errc::invalid_argument, "unknown protocol '" + args.protocol + "'"});
  if (!args.matrix && policy::has_ports(*protocol) && (args.port < 1 || args.port > 65535)) {
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
  if (args.matrix) return run_matrix(ctx, args, inputs.view);

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
  auto* cmd = app.add_subcommand("explain", "the path and the policy decision for one flow between pods or addresses "
                                             "(or, with --matrix, the decision for every pair of pods)");
  cmd->add_option("from", args->from, "source: namespace/pod, pod, or an address");
  cmd->add_option("to", args->to, "destination: namespace/pod, pod, or an address");
  cmd->add_flag("--matrix", args->matrix, "every ordered pair of pods on the --tcp/--udp ports, as `weft lab check` prints them");
  cmd->add_option("--tcp", args->tcp, "with --matrix: TCP ports (80,81)")->delimiter(',')->check(CLI::Range(1, 65535));
  cmd->add_option("--udp", args->udp, "with --matrix: UDP ports (53)")->delimiter(',')->check(CLI::Range(1, 65535));
  cmd->add_option("--port", args->port, "destination port (tcp, udp, sctp)");
  cmd->add_option("--protocol", args->protocol, "tcp, udp, sctp, icmp")->capture_default_str();
  cmd->callback([&ctx, &exit_code, args] { exit_code = run(ctx, *args); });
}

}  // namespace weft::cli
