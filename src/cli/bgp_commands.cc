// weft bgp config | peer add|list|delete | status
#include <iostream>

#include "cli/context.h"
#include "cli/table.h"
#include "ipam/bgp_registry.h"
#include "base/clock.h"

namespace weft::cli {
namespace {

struct ConfigArgs {
  bool as_given = false;
  int64_t as_number = 0;
  std::string node;
  std::string node_mesh;   // "", "on", "off"
  bool password_given = false;
  std::string node_mesh_password;  // "" with password_given: remove it
};

struct PeerArgs {
  std::string name, peer_ip, node, node_selector, password, local_address, export_mode = "pools";
  int64_t as_number = 0;
  int ttl = 0;
  bool multihop = false;
  std::vector<std::string> accept, exports, next_hop_self;
};

// A list flag's prefixes; the single word "none" is the empty list (`peer set --accept none`).
Result<std::vector<Prefix>> parse_prefixes(const std::vector<std::string>& texts, std::string_view flag) {
  std::vector<Prefix> out;
  if (texts.size() == 1 && texts[0] == "none") return out;
  for (const auto& text : texts) {
    auto p = Prefix::parse(text);
    if (!p) return fail(Errc::invalid_argument, flag, ": ", p.error().message);
    out.push_back(*p);
  }
  return out;
}

// Applies the flags `peer add` and `peer set` share to `peer`, those `given` only (add: all).
// Validation of the whole peer is the store write's (ipam::add_bgp_peer, update_bgp_peer).
Result<void> apply_peer_flags(const PeerArgs& args, const std::function<bool(std::string_view)>& given,
                              model::BgpPeer& peer) {
  if (given("--as")) {
    if (auto r = model::validate_as_number(args.as_number); !r) return std::unexpected(r.error());
    peer.as_number = static_cast<uint32_t>(args.as_number);
  }
  if (given("--node") || given("--node-selector")) {
    peer.node = args.node;
    peer.node_selector = args.node_selector;
  }
  if (given("--password")) peer.password = args.password;
  if (given("--accept")) {
    auto accept = parse_prefixes(args.accept, "--accept");
    if (!accept) return std::unexpected(accept.error());
    peer.accept = *accept;
  }
  if (given("--export")) {
    auto exports = parse_prefixes(args.exports, "--export");
    if (!exports) return std::unexpected(exports.error());
    peer.exports = *exports;
  }
  if (given("--export-mode")) {
    auto mode = model::parse_export_mode(args.export_mode);
    if (!mode) return fail(Errc::invalid_argument, "--export-mode: ", mode.error().message);
    peer.export_mode = *mode;
  }
  if (given("--local-address")) {
    peer.local_address.reset();
    if (!args.local_address.empty() && args.local_address != "none") {
      auto a = IpAddress::parse(args.local_address);
      if (!a) return fail(Errc::invalid_argument, "--local-address: ", a.error().message);
      peer.local_address = *a;
    }
  }
  if (given("--next-hop-self")) {
    peer.next_hop_self.clear();
    for (const auto& text : args.next_hop_self) {
      if (text == "none" && args.next_hop_self.size() == 1) break;
      auto a = IpAddress::parse(text);
      if (!a) return fail(Errc::invalid_argument, "--next-hop-self: ", a.error().message);
      peer.next_hop_self.push_back(*a);
    }
  }
  if (given("--ttl") || given("--multihop")) {
    if (args.ttl < 0 || args.ttl > 255) return fail(Errc::invalid_argument, "--ttl must be 1-255 (0: the default)");
    peer.ttl = static_cast<uint8_t>(args.multihop ? 255 : args.ttl);
  }
  return {};
}

// The model's peer from `weft bgp peer add`'s flags.
Result<model::BgpPeer> peer_from_args(const PeerArgs& args) {
  auto address = IpAddress::parse(args.peer_ip);
  if (!address) return fail(Errc::invalid_argument, "--peer-ip: ", address.error().message);
  model::BgpPeer peer;
  peer.name = args.name.empty() ? model::default_peer_name(*address) : args.name;
  peer.address = *address;
  if (auto r = apply_peer_flags(args, [](std::string_view) { return true; }, peer); !r) return std::unexpected(r.error());
  return peer;
}

// weftd rewrites its status at least every minute (BgpRunner::kStatusRefresh); older means it
// stopped reporting.
constexpr int64_t kStaleAfterSeconds = 180;

int64_t seconds_since(int64_t unix_time) {
  return std::max<int64_t>(0, unix_now() - unix_time);
}

std::string uptime(int64_t since_unix) {
  if (since_unix == 0) return "-";
  int64_t s = seconds_since(since_unix);
  std::string out;
  if (s >= 86400) out += std::to_string(s / 86400) + "d", s %= 86400;
  if (s >= 3600 || !out.empty()) out += std::to_string(s / 3600) + "h", s %= 3600;
  if (s >= 60 || !out.empty()) out += std::to_string(s / 60) + "m", s %= 60;
  return out + std::to_string(s) + "s";
}

// "received Cease / Administrative Shutdown (6/2) 3m10s ago": the words weftd wrote, the codes
// for searching and for a weftd that did not know them, and when.
std::string last_notification(const std::optional<model::BgpNotificationStatus>& n) {
  if (!n) return "-";
  std::string out = n->direction + " " + (n->text.empty() ? "NOTIFICATION" : n->text) + " (" +
                    std::to_string(n->code) + "/" + std::to_string(n->subcode) + ")";
  if (n->at_unix != 0) out += " " + uptime(n->at_unix) + " ago";
  return out;
}

int show_config(Context& ctx, store::Store& store) {
  auto global = ipam::get_bgp_global(store);
  if (!global) return report(global.error());
  auto nodes = ipam::list_bgp_node_configs(store);
  if (!nodes) return report(nodes.error());
  warn_skipped(nodes->skipped);
  if (ctx.json()) {
    Json j = model::encode(*global);
    if (!global->node_mesh_password.empty()) j["nodeMeshPassword"] = "*";  // never printed
    j["nodes"] = Json::array();
    for (const auto& n : nodes->items) j["nodes"].push_back(model::encode(n));
    std::cout << j.dump(2) << '\n';
    return exit_ok;
  }
  std::cout << "AS number: " << global->as_number << "\nnode-to-node mesh: " << (global->node_mesh ? "on" : "off")
            << (global->node_mesh_password.empty() ? "" : ", TCP MD5 password set") << '\n';
  for (const auto& n : nodes->items) std::cout << "node " << n.node << ": AS " << n.as_number << '\n';
  return exit_ok;
}

int config(Context& ctx, const ConfigArgs& args) {
  auto store = ctx.store();
  if (!store) return report(store.error());
  if (!args.as_given && args.node_mesh.empty() && !args.password_given) {
    if (!args.node.empty()) return report(Error{Errc::invalid_argument, "--node needs --as (0 removes the override)"});
    return show_config(ctx, **store);
  }
  if (!args.node.empty()) {
    if (!args.node_mesh.empty() || args.password_given) {
      return report(Error{Errc::invalid_argument, "--node-mesh and --node-mesh-password are cluster-wide, not per node"});
    }
    if (args.as_number != 0) {  // 0: back to the cluster's AS
      if (auto r = model::validate_as_number(args.as_number); !r) return report(r.error());
    }
    if (auto r = ipam::set_bgp_node_as(**store, args.node, static_cast<uint32_t>(args.as_number)); !r) {
      return report(r.error());
    }
    if (!ctx.json()) {
      std::cout << "node " << args.node << ": "
                << (args.as_number == 0 ? "uses the cluster AS" : "AS " + std::to_string(args.as_number)) << '\n';
    }
    return exit_ok;
  }
  auto global = ipam::get_bgp_global(**store);
  if (!global) return report(global.error());
  if (args.as_given) {
    if (auto r = model::validate_as_number(args.as_number); !r) return report(r.error());
    global->as_number = static_cast<uint32_t>(args.as_number);
  }
  if (!args.node_mesh.empty()) global->node_mesh = args.node_mesh == "on";
  if (args.password_given) {
    if (auto r = model::validate_md5_password(args.node_mesh_password); !r) return report(r.error());
    global->node_mesh_password = args.node_mesh_password;
  }
  if (auto r = ipam::set_bgp_global(**store, *global); !r) return report(r.error());
  return ctx.json() ? exit_ok : show_config(ctx, **store);
}

int peer_add(Context& ctx, const PeerArgs& args) {
  auto parsed = peer_from_args(args);
  if (!parsed) return report(parsed.error());
  const model::BgpPeer& peer = *parsed;
  auto store = ctx.store();
  if (!store) return report(store.error());
  if (auto r = ipam::add_bgp_peer(**store, peer); !r) return report(r.error());
  if (!ctx.json()) std::cout << "BGP peer " << peer.name << " added\n";
  return exit_ok;
}

// `weft bgp peer set NAME --flag ...`: the given flags change, the rest stays. weftd applies an
// export or import change on the running session (no reset); session settings (AS, password,
// addresses, TTL) restart it.
int peer_set(Context& ctx, const std::string& name, const PeerArgs& args,
             const std::function<bool(std::string_view)>& given) {
  auto store = ctx.store();
  if (!store) return report(store.error());
  auto updated = ipam::update_bgp_peer(**store, name, [&](model::BgpPeer& peer) { return apply_peer_flags(args, given, peer); });
  if (!updated) return report(updated.error());
  if (!ctx.json()) std::cout << "BGP peer " << name << " updated\n";
  return exit_ok;
}

int peer_list(Context& ctx) {
  auto store = ctx.store();
  if (!store) return report(store.error());
  auto peers = ipam::list_bgp_peers(**store);
  if (!peers) return report(peers.error());
  warn_skipped(peers->skipped);
  if (ctx.json()) {
    Json out = Json::array();
    for (auto p : peers->items) {
      if (!p.password.empty()) p.password = "*";  // never printed
      out.push_back(model::encode(p));
    }
    std::cout << out.dump(2) << '\n';
    return exit_ok;
  }
  Table table({"NAME", "PEER-IP", "AS", "NODES", "PASSWORD", "ACCEPT", "EXPORT", "SESSION"});
  auto joined = [](const auto& items) {
    std::string out;
    for (const auto& a : items) out += (out.empty() ? "" : ",") + a.to_string();
    return out.empty() ? std::string("-") : out;
  };
  for (const auto& p : peers->items) {
    const std::string nodes = !p.node.empty() ? p.node : !p.node_selector.empty() ? p.node_selector : "all";
    std::string exports(model::to_string(p.export_mode));
    if (!p.exports.empty()) exports += "+" + joined(p.exports);
    std::string session;
    if (p.local_address) session += "local " + p.local_address->to_string() + " ";
    if (!p.next_hop_self.empty()) session += "next-hop " + joined(p.next_hop_self) + " ";
    if (p.ttl != 0) session += "ttl " + std::to_string(p.ttl) + " ";
    if (!session.empty()) session.pop_back();
    table.add({p.name, p.address.to_string(), std::to_string(p.as_number), nodes, p.password.empty() ? "-" : "set",
               joined(p.accept), exports, session.empty() ? "-" : session});
  }
  table.print(std::cout);
  return exit_ok;
}

int peer_delete(Context& ctx, const std::string& name) {
  auto store = ctx.store();
  if (!store) return report(store.error());
  if (auto r = ipam::remove_bgp_peer(**store, name); !r) return report(r.error());
  if (!ctx.json()) std::cout << "BGP peer " << name << " deleted\n";
  return exit_ok;
}

int status(Context& ctx, const std::string& node) {
  auto store = ctx.store();
  if (!store) return report(store.error());
  auto all = ipam::list_bgp_status(**store);
  if (!all) return report(all.error());
  warn_skipped(all->skipped);
  std::erase_if(all->items, [&](const model::BgpNodeStatus& s) { return !node.empty() && s.node != node; });
  if (ctx.json()) {
    Json out = Json::array();
    for (const auto& s : all->items) {
      Json j = model::encode(s);
      j["reportedSecondsAgo"] = seconds_since(s.updated_at_unix);
      j["stale"] = seconds_since(s.updated_at_unix) > kStaleAfterSeconds;
      for (size_t i = 0; i < s.sessions.size(); ++i) {
        const int64_t since = s.sessions[i].established_at_unix;
        j["sessions"][i]["uptimeSeconds"] = since == 0 ? 0 : seconds_since(since);
      }
      out.push_back(j);
    }
    std::cout << out.dump(2) << '\n';
    return exit_ok;
  }
  if (all->items.empty()) {
    std::cout << "no node runs BGP (no pool has routes: bgp, or no weftd is up)\n";
    return exit_ok;
  }
  Table table({"NODE", "PEER", "KIND", "ADDRESS", "AS", "STATE", "UPTIME", "RECEIVED", "ACCEPTED", "ADVERTISED",
               "LAST-ERROR", "LAST-NOTIFICATION"});
  for (const auto& s : all->items) {
    if (seconds_since(s.updated_at_unix) > kStaleAfterSeconds) {
      std::cerr << "weft: warning: " << s.node << " has not reported for " << uptime(s.updated_at_unix)
                << " (is its weftd running?): its rows are its last report\n";
    }
    if (s.sessions.empty()) table.add({s.node, "-", "-", "-", "-", "no peers", "-", "-", "-", "-", "-", "-"});
    for (const auto& p : s.sessions) {
      table.add({s.node, p.peer, p.kind, p.address.to_string(), std::to_string(p.as_number), p.state,
                 uptime(p.established_at_unix), std::to_string(p.received), std::to_string(p.accepted),
                 std::to_string(p.advertised), p.last_error.empty() ? "-" : p.last_error,
                 last_notification(p.last_notification)});
    }
  }
  table.print(std::cout);
  return exit_ok;
}

// The flags `peer add` and `peer set` share (apply_peer_flags reads them).
void add_peer_flags(CLI::App* cmd, PeerArgs& args) {
  auto* only_node = cmd->add_option("--node", args.node, "only this node peers with it");
  cmd->add_option("--node-selector", args.node_selector, "the nodes whose labels match (k=v,k!=v,k,!k)")->excludes(only_node);
  cmd->add_option("--password", args.password, "TCP MD5 password (RFC 2385)");
  cmd->add_option("--accept", args.accept, "prefixes accepted from it besides the pools (repeatable)");
  cmd->add_option("--export-mode", args.export_mode,
                  "pools: every route in the BGP pools, learned ones too, next hop self (default); own: this node's blocks only")
      ->check(CLI::IsMember({"pools", "own"}));
  cmd->add_option("--export", args.exports, "learned routes inside this prefix are exported to it too (repeatable)");
  cmd->add_option("--local-address", args.local_address, "the session's source address (default: the kernel's choice)");
  cmd->add_option("--next-hop-self", args.next_hop_self,
                  "the NEXT_HOP to advertise, one per family (default: the session's local address; IPv6: the underlay link-local)");
  auto* ttl = cmd->add_option("--ttl", args.ttl, "IP TTL of the session (default: 1 for eBGP, the system's for iBGP)");
  cmd->add_flag("--multihop", args.multihop, "eBGP to a router that is not directly connected (TTL 255)")->excludes(ttl);
}

}  // namespace

void add_bgp_commands(CLI::App& app, Context& ctx, int& exit_code) {
  auto* bgp = app.add_subcommand("bgp", "BGP settings, external peers and session status (pools with routes: bgp)");
  bgp->require_subcommand(1);

  auto cargs = std::make_shared<ConfigArgs>();
  auto* config_cmd = bgp->add_subcommand("config", "show or set the cluster's AS number (default 64512), a node's own AS, the node mesh");
  config_cmd->add_option("--as", cargs->as_number, "AS number (with --node: that node's; 0 removes its override)");
  config_cmd->add_option("--node", cargs->node, "set this node's AS number instead of the cluster's");
  config_cmd->add_option("--node-mesh", cargs->node_mesh, "on: nodes peer with each other (default); off: only with external peers")
      ->check(CLI::IsMember({"on", "off"}));
  config_cmd->add_option("--node-mesh-password", cargs->node_mesh_password,
                         "TCP MD5 password (RFC 2385) on every node-to-node session; '' removes it. Changing it "
                         "resets the mesh sessions: set it on a new cluster or in a maintenance window");
  config_cmd->callback([&ctx, &exit_code, cargs, config_cmd] {
    cargs->as_given = config_cmd->count("--as") > 0;
    cargs->password_given = config_cmd->count("--node-mesh-password") > 0;
    exit_code = config(ctx, *cargs);
  });

  auto* peer = bgp->add_subcommand("peer", "external BGP peers (routers, route reflectors)");
  peer->require_subcommand(1);
  auto pargs = std::make_shared<PeerArgs>();
  auto* add = peer->add_subcommand("add", "add an external peer");
  add->add_option("--peer-ip", pargs->peer_ip, "the peer's address")->required();
  add->add_option("--as", pargs->as_number, "the peer's AS number")->required();
  add->add_option("--name", pargs->name, "a name for it (default: its address with '-')");
  add_peer_flags(add, *pargs);
  add->callback([&ctx, &exit_code, pargs] { exit_code = peer_add(ctx, *pargs); });

  auto sargs = std::make_shared<PeerArgs>();
  auto set_name = std::make_shared<std::string>();
  auto* set = peer->add_subcommand("set", "change an external peer: only the flags given (lists: 'none' empties them)");
  set->add_option("name", *set_name, "peer name")->required();
  set->add_option("--as", sargs->as_number, "the peer's AS number");
  add_peer_flags(set, *sargs);
  set->callback([&ctx, &exit_code, sargs, set_name, set] {
    exit_code = peer_set(ctx, *set_name, *sargs, [set](std::string_view flag) { return set->count(std::string(flag)) > 0; });
  });

  peer->add_subcommand("list", "list external peers")->callback([&ctx, &exit_code] { exit_code = peer_list(ctx); });
  auto name = std::make_shared<std::string>();
  auto* del = peer->add_subcommand("delete", "remove an external peer");
  del->add_option("name", *name, "peer name")->required();
  del->callback([&ctx, &exit_code, name] { exit_code = peer_delete(ctx, *name); });

  auto node = std::make_shared<std::string>();
  auto* st = bgp->add_subcommand("status", "every node's BGP sessions: state, uptime, prefixes received, accepted and advertised, last error and NOTIFICATION");
  st->add_option("--node", *node, "only this node");
  st->callback([&ctx, &exit_code, node] { exit_code = status(ctx, *node); });
}

}  // namespace weft::cli
