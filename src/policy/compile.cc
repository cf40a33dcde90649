#include "policy/compile.h"

#include <algorithm>
#include <cstdio>
#include <iterator>
#include <map>
#include <optional>
#include <set>
#include <tuple>

namespace weft::policy {
namespace {

std::string hex_hash(std::string_view text) {
  uint64_t h = 1469598103934665603ull;  // FNV-1a 64: stable across builds and runs
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ull;
  }
  char out[17];
  std::snprintf(out, sizeof out, "%016llx", static_cast<unsigned long long>(h));
  return std::string(out, 12);
}

std::string_view l4(Protocol p) {
  switch (p) {
    case Protocol::tcp: return "tcp";
    case Protocol::udp: return "udp";
    case Protocol::sctp: return "sctp";
    case Protocol::icmp: return "icmp";
    case Protocol::icmpv6: return "ipv6-icmp";
  }
  return "";
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) out += (i ? ", " : "") + items[i];
  return out;
}

std::string quoted(std::string_view s) { return "\"" + std::string(s) + "\""; }

// An anonymous set as nft prints it: one element bare, several in braces.
std::string literal(const std::vector<std::string>& items) {
  return items.size() == 1 ? items.front() : "{ " + joined(items) + " }";
}

// ICMP type and code names nft prints instead of numbers (the ones it knows; others stay numbers).
std::string icmp_type_name(Protocol p, uint8_t type) {
  static const std::map<int, const char*> v4 = {
      {0, "echo-reply"},          {3, "destination-unreachable"}, {4, "source-quench"},     {5, "redirect"},
      {8, "echo-request"},        {9, "router-advertisement"},    {10, "router-solicitation"}, {11, "time-exceeded"},
      {12, "parameter-problem"},  {13, "timestamp-request"},      {14, "timestamp-reply"},  {15, "info-request"},
      {16, "info-reply"},         {17, "address-mask-request"},   {18, "address-mask-reply"}};
  static const std::map<int, const char*> v6 = {
      {1, "destination-unreachable"}, {2, "packet-too-big"},      {3, "time-exceeded"},       {4, "parameter-problem"},
      {128, "echo-request"},          {129, "echo-reply"},        {130, "mld-listener-query"}, {131, "mld-listener-report"},
      {133, "nd-router-solicit"},     {134, "nd-router-advert"},  {135, "nd-neighbor-solicit"}, {136, "nd-neighbor-advert"},
      {137, "nd-redirect"}};
  const auto& names = p == Protocol::icmp ? v4 : v6;
  const auto it = names.find(type);
  return it == names.end() ? std::to_string(type) : it->second;
}

std::string icmp_code_name(Protocol p, uint8_t code) {
  static const std::map<int, const char*> v4 = {{0, "net-unreachable"},  {1, "host-unreachable"}, {2, "prot-unreachable"},
                                                {3, "port-unreachable"}, {4, "frag-needed"},      {9, "net-prohibited"},
                                                {10, "host-prohibited"}, {13, "admin-prohibited"}};
  static const std::map<int, const char*> v6 = {{0, "no-route"},         {1, "admin-prohibited"}, {3, "addr-unreachable"},
                                                {4, "port-unreachable"}, {5, "policy-fail"},      {6, "reject-route"}};
  const auto& names = p == Protocol::icmp ? v4 : v6;
  const auto it = names.find(code);
  return it == names.end() ? std::to_string(code) : it->second;
}

// An endpoint's named ports as one text (they shape its ingress rules).
std::string ports_text(const EndpointInfo& e) {
  std::string out;
  for (const auto& p : e.ports) out += p.name + "/" + std::string(l4(p.protocol)) + "/" + std::to_string(p.port) + ";";
  return out;
}

class Compiler {
 public:
  Compiler(const ClusterView& view, const CompileOptions& options) : view_(view), options_(options) {}

  kernel::NftTable run() {
    for (const auto& e : view_.endpoints) {
      if (!namespace_labels_.contains(e.namespace_name)) namespace_labels_[e.namespace_name] = namespace_labels(view_, e.namespace_name);
      identities_[{e.namespace_name, e.labels}].push_back(&e);
    }
    std::vector<const EndpointInfo*> local;
    for (const auto& e : view_.endpoints) {
      if (e.host == options_.host && !e.interface.empty()) local.push_back(&e);
    }
    std::sort(local.begin(), local.end(), [](const auto* a, const auto* b) { return a->interface < b->interface; });
    std::vector<const Policy*> policies;
    for (const auto& p : view_.policies) policies.push_back(&p);
    std::sort(policies.begin(), policies.end(), [](const auto* a, const auto* b) { return evaluated_before(*a, *b); });
    // A namespaced policy can select only endpoints of its namespace: index them, so an endpoint
    // is matched against its namespace's policies and the global ones, not against all.
    std::map<std::string, std::vector<const Policy*>, std::less<>> by_namespace;
    std::vector<const Policy*> global;
    for (const Policy* p : policies) (p->origin == Origin::global ? global : by_namespace[p->namespace_name]).push_back(p);
    std::vector<const Policy*> candidates;

    kernel::NftTable t{.family = std::string(kPolicyFamily), .name = std::string(kPolicyTableName)};
    kernel::NftSet workloads{.name = "workloads", .type = "ifname"};
    kernel::NftSet to{.name = "to_workload", .type = "ifname : verdict", .is_map = true};
    kernel::NftSet from{.name = "from_workload", .type = "ifname : verdict", .is_map = true};
    std::vector<kernel::NftChain> endpoint_chains;
    std::set<std::string> chain_names;
    struct Chains {
      bool rendered = false;
      std::optional<std::string> egress, ingress;
    };
    std::map<std::tuple<std::string, Labels, std::string>, Chains> chains_by_kind;
    for (const auto* e : local) {
      workloads.elements.push_back(quoted(e->interface));
      candidates.clear();
      const auto own = by_namespace.find(e->namespace_name);
      const std::vector<const Policy*> none;
      const auto& local_policies = own == by_namespace.end() ? none : own->second;
      std::merge(global.begin(), global.end(), local_policies.begin(), local_policies.end(), std::back_inserter(candidates),
                 [](const auto* a, const auto* b) { return evaluated_before(*a, *b); });
      // Endpoints of one identity and named ports (a workload's pods) get the same chains:
      // rendered once.
      auto& chains = chains_by_kind[{e->namespace_name, e->labels, ports_text(*e)}];
      if (!chains.rendered) {
        chains.rendered = true;
        for (Direction d : {Direction::egress, Direction::ingress}) {
          auto chain = endpoint_chain(*e, d, candidates);
          if (!chain) continue;
          (d == Direction::ingress ? chains.ingress : chains.egress) = chain->name;
          if (chain_names.insert(chain->name).second) endpoint_chains.push_back(std::move(*chain));
        }
      }
      if (chains.egress) from.elements.push_back(quoted(e->interface) + " : jump " + *chains.egress);
      if (chains.ingress) to.elements.push_back(quoted(e->interface) + " : jump " + *chains.ingress);
    }
    std::vector<std::string> own_quoted;
    for (const auto& d : options_.own_devices) own_quoted.push_back(quoted(d));
    std::sort(own_quoted.begin(), own_quoted.end());
    own_quoted.erase(std::unique(own_quoted.begin(), own_quoted.end()), own_quoted.end());
    const std::string prefix = quoted(std::string(kWorkloadPrefix) + "*");
    const auto unknown = [&](const char* dir) {
      std::string r = std::string(dir) + " " + prefix + " " + dir + " != @workloads ";
      if (!own_quoted.empty()) r += std::string(dir) + " != " + literal(own_quoted) + " ";
      return r + "drop";
    };
    kernel::NftChain forward{.name = "forward",
                             .hook = "type filter hook forward priority filter; policy accept;",
                             .rules = {"ct state established,related accept", "ct state invalid drop", unknown("iifname"),
                                       unknown("oifname"), "iifname vmap @from_workload", "oifname vmap @to_workload"}};
    t.sets.push_back(std::move(workloads));
    t.sets.push_back(std::move(from));
    t.sets.push_back(std::move(to));
    for (auto& [name, set] : sets_) t.sets.push_back(std::move(set));
    t.chains.push_back(std::move(forward));
    for (auto& c : endpoint_chains) t.chains.push_back(std::move(c));
    return t;
  }

 private:
  std::optional<kernel::NftChain> endpoint_chain(const EndpointInfo& e, Direction d, const std::vector<const Policy*>& policies) {
    kernel::NftChain chain;
    bool selected = false;
    for (const Policy* p : policies) {
      if (!(d == Direction::ingress ? p->ingress_applies : p->egress_applies) || !selects(*p, e)) continue;
      selected = true;
      for (const Rule& r : d == Direction::ingress ? p->ingress : p->egress) {
        for (Family f : {Family::v4, Family::v6}) render(*p, r, d, e, f, chain.rules);
      }
    }
    if (!selected) return std::nullopt;
    chain.rules.push_back("drop");
    // Named after what it does: endpoints whose rules render the same (the pods of one workload)
    // share one chain, so the ruleset grows with the kinds of endpoint, not their number.
    std::string text;
    for (const auto& r : chain.rules) text += r + "\n";
    chain.name = std::string(d == Direction::ingress ? "in_" : "out_") + hex_hash(text);
    return chain;
  }

  // The set of the addresses of family f that a peer's endpoint part admits.
  std::string peer_set(const Policy& p, const Peer& peer, Family f) {
    const std::string scope = peer.namespace_selector ? to_string(*peer.namespace_selector)
                              : p.origin == Origin::global
                                  ? "all()"
                                  : std::string(kNamespaceNameLabel) + " == \"" + p.namespace_name + "\"";
    const std::string key = "namespaces(" + scope + ") endpoints(" + (peer.selector ? to_string(*peer.selector) : "all()") + ")";
    const std::string name = (f == Family::v4 ? "s4_" : "s6_") + hex_hash(key);
    if (!sets_.contains(name)) {
      kernel::NftSet set{.name = name, .type = f == Family::v4 ? "ipv4_addr" : "ipv6_addr", .interval = true};
      std::vector<std::string> elements;
      for (const auto& [identity, members] : identities_) {
        if (!peer_admits_endpoint(p, peer, *members.front(), namespace_labels_.at(identity.first))) continue;
        for (const auto* e : members) {
          for (const auto& a : e->addresses) {
            if (a.family() == f) elements.push_back(a.to_string());
          }
        }
      }
      std::sort(elements.begin(), elements.end());
      elements.erase(std::unique(elements.begin(), elements.end()), elements.end());
      set.elements = std::move(elements);
      sets_.emplace(name, std::move(set));
    }
    return name;
  }

  // address . protocol . port of the named port `port_name` on the endpoints the peer admits.
  std::string named_port_set(const Policy& p, const Peer& peer, const std::string& port_name, Protocol protocol, Family f) {
    const std::string base = peer_set(p, peer, f);
    const std::string name = (f == Family::v4 ? "n4_" : "n6_") + hex_hash(base + " " + port_name + " " + std::string(l4(protocol)));
    if (!sets_.contains(name)) {
      kernel::NftSet set{.name = name, .type = std::string(f == Family::v4 ? "ipv4_addr" : "ipv6_addr") + " . inet_proto . inet_service"};
      for (const auto& [identity, members] : identities_) {
        if (!peer_admits_endpoint(p, peer, *members.front(), namespace_labels_.at(identity.first))) continue;
        for (const auto* e : members) {
          const auto port = resolve_named_port(*e, port_name, protocol);
          if (!port) continue;
          for (const auto& a : e->addresses) {
            if (a.family() == f && peer_admits_address(peer, a)) {
              set.elements.push_back(a.to_string() + " . " + std::string(l4(protocol)) + " . " + std::to_string(*port));
            }
          }
        }
      }
      std::sort(set.elements.begin(), set.elements.end());
      set.elements.erase(std::unique(set.elements.begin(), set.elements.end()), set.elements.end());
      sets_.emplace(name, std::move(set));
    }
    return name;
  }

  void render(const Policy& p, const Rule& r, Direction d, const EndpointInfo& local, Family f, std::vector<std::string>& out) {
    if (r.protocol == Protocol::icmp && f == Family::v6) return;
    if (r.protocol == Protocol::icmpv6 && f == Family::v4) return;
    const std::string ip = f == Family::v4 ? "ip" : "ip6";
    const std::string field = d == Direction::ingress ? " saddr " : " daddr ";
    std::vector<std::string> nets, not_nets;
    for (const auto& n : r.peer.nets) {
      if (n.family() == f) nets.push_back(n.to_string());
    }
    for (const auto& n : r.peer.not_nets) {
      if (n.family() == f) not_nets.push_back(n.to_string());
    }
    if (!r.peer.nets.empty() && nets.empty()) return;  // no net of this family: matches nothing here
    // A rule that names no address and no ICMP family means the same in v4 and v6: written once.
    const bool family_free = !r.peer.matches_endpoints_only() && nets.empty() && not_nets.empty() &&
                             r.protocol != Protocol::icmp && r.protocol != Protocol::icmpv6 &&
                             (d == Direction::ingress || std::all_of(r.ports.begin(), r.ports.end(),
                                                                     [](const PortRange& x) { return x.name.empty(); }));
    if (family_free && f == Family::v6) return;
    std::string match;
    if (r.peer.matches_endpoints_only()) match += ip + field + "@" + peer_set(p, r.peer, f) + " ";
    if (!nets.empty()) match += ip + field + literal(nets) + " ";
    if (!not_nets.empty()) match += ip + field + "!= " + literal(not_nets) + " ";
    // As nft prints it: a port or ICMP match implies its protocol, so `meta l4proto` only stands
    // alone.
    if (r.icmp && r.icmp->type) {
      const std::string icmp = r.protocol == Protocol::icmp ? "icmp" : "icmpv6";
      match += icmp + " type " + icmp_type_name(*r.protocol, *r.icmp->type) + " ";
      if (r.icmp->code) match += icmp + " code " + icmp_code_name(*r.protocol, *r.icmp->code) + " ";
    } else if (r.protocol && r.ports.empty()) {
      match += "meta l4proto " + std::string(l4(*r.protocol)) + " ";
    }
    std::string verdict;
    switch (r.action) {
      case Action::allow:
      case Action::pass: verdict = "return"; break;
      case Action::deny: verdict = "drop"; break;
      case Action::log: verdict = "log prefix \"weft " + p.name + " " + r.name + ": \""; break;
    }
    if (r.ports.empty()) {
      out.push_back(match + verdict);
      return;
    }
    // Ports: numbers and ingress named ports (resolved on this endpoint) in one set; egress named
    // ports depend on the destination, so they match address . protocol . port.
    std::vector<std::pair<uint16_t, uint16_t>> numbers;
    std::vector<std::string> named_sets;
    for (const auto& range : r.ports) {
      if (range.name.empty()) {
        numbers.emplace_back(range.first, range.last);
      } else if (d == Direction::ingress) {
        if (auto port = resolve_named_port(local, range.name, *r.protocol)) numbers.emplace_back(*port, *port);
      } else {
        named_sets.push_back(named_port_set(p, r.peer, range.name, *r.protocol, f));
      }
    }
    std::sort(numbers.begin(), numbers.end());
    numbers.erase(std::unique(numbers.begin(), numbers.end()), numbers.end());
    std::vector<std::string> port_texts;
    for (const auto& [first, last] : numbers) {
      port_texts.push_back(first == last ? std::to_string(first) : std::to_string(first) + "-" + std::to_string(last));
    }
    const std::string proto(l4(*r.protocol));
    if (!port_texts.empty()) out.push_back(match + proto + " dport " + literal(port_texts) + " " + verdict);
    for (const auto& set : named_sets) {
      out.push_back(match + ip + " daddr . meta l4proto . " + proto + " dport @" + set + " " + verdict);
    }
  }

  const ClusterView& view_;
  const CompileOptions& options_;
  std::map<std::string, kernel::NftSet> sets_;
  std::map<std::string, Labels> namespace_labels_;  // computed once per compile
  // Endpoints by (namespace, labels): what a selector sees, so each peer is matched once per
  // identity rather than once per endpoint.
  std::map<std::pair<std::string, Labels>, std::vector<const EndpointInfo*>> identities_;
};

}  // namespace

kernel::NftTable compile(const ClusterView& view, const CompileOptions& options) { return Compiler(view, options).run(); }

}  // namespace weft::policy
