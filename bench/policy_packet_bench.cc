// policy_packet_bench: the per-packet cost of weft's policy table — does it grow with the number
// of endpoints in the ruleset? (issue 11: it should stay flat, since a packet costs two verdict-map
// lookups and its endpoint's own chain whatever the number of endpoints.)
//
// Topology (root; network namespaces of its own, deleted at the end): a host namespace
// weft-pb-<pid>-h routing between two pod namespaces, -c (198.19.200.2) and -s (198.19.201.2),
// each on a veth whose host side is named like a workload's. Contenders, measured in turns
// within each run so that the machine's drift hits them alike:
//   none     no policy table (weft's state on a cluster without policy)
//   10       the table compiled for 10 endpoints (client and server included) and the policies
//   10000    the same with 10,000 endpoints (9,998 of them other workloads of this host)
// The server is selected for ingress (allowed from the client), the client for egress (allowed
// to the server), so every ping goes through both chains. Each turn: 200 pings 5 ms apart; the
// figure is ping's average round trip.
//
// Prints one JSON document: per contender the median, min and max over the runs (µs).
// Usage: policy_packet_bench [runs]   (default 5)
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <regex>
#include <string>
#include <vector>

#include "base/process.h"
#include "kernel/netlink_kernel.h"
#include "kernel/netns.h"
#include "policy/compile.h"
#include "policy/policy_file.h"

using namespace weft;
using namespace weft::policy;

namespace {

[[noreturn]] void die(const std::string& what, const Error& e) {
  std::fprintf(stderr, "%s: %s\n", what.c_str(), e.describe().c_str());
  std::exit(3);
}

void must(const std::vector<std::string>& argv) {
  if (auto r = run_checked(Command{.argv = argv}); !r) die("setup", r.error());
}

const char* kPolicies = R"(
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: server, namespace: bench}
spec:
  podSelector: {matchLabels: {app: server}}
  ingress: [{from: [{podSelector: {matchLabels: {app: client}}}]}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: client, namespace: bench}
spec:
  podSelector: {matchLabels: {app: client}}
  policyTypes: [Egress]
  egress: [{to: [{podSelector: {matchLabels: {app: server}}}]}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: others, namespace: bench}
spec:
  podSelector: {matchExpressions: [{key: app, operator: NotIn, values: [client, server]}]}
  ingress: [{from: [{podSelector: {matchLabels: {tier: front}}}], ports: [{port: 80}]}]
)";

ClusterView view_with(int endpoints, const std::string& client_if, const std::string& server_if) {
  auto policies = parse_policy_file(kPolicies);
  if (!policies) die("policies", policies.error());
  ClusterView v{.policies = *policies};
  const auto endpoint = [](std::string name, std::string app, uint32_t v4, std::string interface) {
    return EndpointInfo{.name = std::move(name), .namespace_name = "bench",
                        .labels = {{"app", std::move(app)}, {"tier", v4 % 2 ? "front" : "back"}},
                        .addresses = {IpAddress::v4(v4)}, .host = "h0", .interface = std::move(interface)};
  };
  v.endpoints.push_back(endpoint("client", "client", 0xC613C802u, client_if));  // 198.19.200.2
  v.endpoints.push_back(endpoint("server", "server", 0xC613C902u, server_if));  // 198.19.201.2
  for (int i = 0; i < endpoints - 2; ++i) {
    char ifname[16];
    std::snprintf(ifname, sizeof ifname, "weft%011x", i);
    v.endpoints.push_back(endpoint("pod" + std::to_string(i), "app" + std::to_string(i % 200),
                                   0xC6140000u + static_cast<uint32_t>(i), ifname));  // 198.20.x.y: not routed
  }
  return v;
}

double ping_average_us(const std::string& client_ns) {
  auto r = run(Command{.argv = {"ip", "netns", "exec", client_ns, "ping", "-q", "-n", "-c", "200", "-i", "0.005",
                                "-W", "1", "198.19.201.2"}});
  if (!r) die("ping", r.error());
  static const std::regex rtt(R"(= ([0-9.]+)/([0-9.]+)/([0-9.]+)/)");
  std::smatch m;
  if (r->exit_code != 0 || !std::regex_search(r->out, m, rtt)) {
    std::fprintf(stderr, "ping failed (the policy blocks it?):\n%s%s\n", r->out.c_str(), r->err.c_str());
    std::exit(4);
  }
  return std::stod(m[2]) * 1000.0;
}

}  // namespace

int main(int argc, char** argv) {
  const int runs = argc > 1 ? std::atoi(argv[1]) : 5;
  if (runs < 1 || ::geteuid() != 0) {
    std::fprintf(stderr, "usage (as root): policy_packet_bench [runs>=1]\n");
    return 2;
  }
  const std::string base = "weft-pb-" + std::to_string(::getpid());
  const std::string host = base + "-h", client = base + "-c", server = base + "-s";
  const std::string client_if = "weftbench00000c", server_if = "weftbench00000s";
  for (const auto& ns : {host, client, server}) {
    if (auto r = kernel::create_netns(ns); !r) die("netns " + ns, r.error());
  }
  std::map<std::string, std::vector<double>> results;
  {
    must({"ip", "-n", host, "link", "add", client_if, "type", "veth", "peer", "name", "eth0", "netns", client});
    must({"ip", "-n", host, "link", "add", server_if, "type", "veth", "peer", "name", "eth0", "netns", server});
    must({"ip", "-n", host, "addr", "add", "198.19.200.1/24", "dev", client_if});
    must({"ip", "-n", host, "addr", "add", "198.19.201.1/24", "dev", server_if});
    for (const auto& [ns, addr, gw] : {std::tuple{client, "198.19.200.2/24", "198.19.200.1"},
                                       std::tuple{server, "198.19.201.2/24", "198.19.201.1"}}) {
      must({"ip", "-n", ns, "addr", "add", addr, "dev", "eth0"});
      must({"ip", "-n", ns, "link", "set", "eth0", "up"});
      must({"ip", "-n", ns, "link", "set", "lo", "up"});
      must({"ip", "-n", ns, "route", "add", "default", "via", gw});
    }
    must({"ip", "-n", host, "link", "set", client_if, "up"});
    must({"ip", "-n", host, "link", "set", server_if, "up"});
    must({"ip", "netns", "exec", host, "sysctl", "-qw", "net.ipv4.ip_forward=1"});

    auto fd = kernel::NetnsFd::open(host);
    if (!fd) die("open netns", fd.error());
    auto k = kernel::open_netlink_kernel(*fd);
    if (!k) die("netlink", k.error());
    const CompileOptions options{.host = "h0"};
    const std::map<std::string, kernel::NftTable> tables = {
        {"10", compile(view_with(10, client_if, server_if), options)},
        {"10000", compile(view_with(10000, client_if, server_if), options)}};
    (void)ping_average_us(client);  // warm up: neighbours resolved, caches filled
    for (int r = 0; r < runs; ++r) {
      for (const std::string contender : {"none", "10", "10000"}) {
        if (contender == "none") {
          if (auto t = (*k)->nft_get_table(kPolicyFamily, kPolicyTableName); t && *t) {
            if (auto d = (*k)->nft_delete_table(kPolicyFamily, kPolicyTableName); !d) die("delete", d.error());
          }
        } else if (auto a = (*k)->nft_replace_table(tables.at(contender)); !a) {
          die("apply", a.error());
        }
        results[contender].push_back(ping_average_us(client));
      }
    }
  }
  for (const auto& ns : {host, client, server}) (void)kernel::delete_netns(ns);
  std::printf("{\"runs\": %d, \"pings_per_run\": 200, \"rtt_avg_us\": {", runs);
  bool first = true;
  for (const std::string contender : {"none", "10", "10000"}) {
    auto v = results[contender];
    std::sort(v.begin(), v.end());
    std::printf("%s\n  \"%s\": {\"median\": %.1f, \"min\": %.1f, \"max\": %.1f}", first ? "" : ",",
                contender == "none" ? "no_policy" : (contender + "_endpoints").c_str(), v[v.size() / 2], v.front(), v.back());
    first = false;
  }
  std::printf("}}\n");
  return 0;
}
