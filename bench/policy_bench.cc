// policy_bench: policy at scale — compiling the nftables table for one host with N endpoints (all
// on that host: the worst case, one chain pair each) and P policies, and the evaluator's time per
// probe. As root, also through the real nftables in a network namespace of its own
// (weft-bench-policy, deleted at the end), the way weftd's policy driver does it (dataplane/
// policy.h, whose rounds it runs): the first apply of the table, a restart over an unchanged table,
// one endpoint label change taking effect (compile, diff, set elements changed in place) and one
// policy change taking effect (compile, diff, chains rewritten in place). The per-packet cost is
// policy_packet_bench's.
//
// Cluster: 50 namespaces (team=t<i%5>), endpoints spread over them with app=app<k%200> and
// tier=<front|back>, one v4 and one v6 address, a named port "http". Policies: P NetworkPolicies,
// each selecting one app in one namespace, allowing ingress from another app in namespaces of one
// team on port 80 and the named port, plus one weft GlobalPolicy per 10 that denies a tier at a
// lower order.
//
// Prints one JSON document: for each measured thing the median, min and max of R runs (ms), and the
// table's size (sets, set elements, chains, rules, script bytes).
// Usage: policy_bench [endpoints] [policies] [runs]   (default: 10000 1000 5)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <unistd.h>

#include "base/log.h"
#include "dataplane/policy.h"
#include "kernel/netlink_kernel.h"
#include "kernel/netns.h"
#include "policy/compile.h"
#include "policy/evaluate.h"

using namespace weft;
using namespace weft::policy;
using Stopwatch = std::chrono::steady_clock;

namespace {

Selector must(std::string_view text) {
  auto s = parse_selector(text);
  if (!s) {
    std::fprintf(stderr, "bad selector %s: %s\n", std::string(text).c_str(), s.error().message.c_str());
    std::exit(2);
  }
  return *s;
}

ClusterView build(int endpoints, int policies) {
  ClusterView v;
  for (int n = 0; n < 50; ++n) v.namespaces["ns" + std::to_string(n)] = {{"team", "t" + std::to_string(n % 5)}};
  for (int i = 0; i < endpoints; ++i) {
    std::array<uint8_t, 16> v6{0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, static_cast<uint8_t>(i >> 8), static_cast<uint8_t>(i)};
    char ifname[16];
    std::snprintf(ifname, sizeof ifname, "weft%011x", i);
    v.endpoints.push_back(EndpointInfo{
        .name = "pod" + std::to_string(i),
        .namespace_name = "ns" + std::to_string(i % 50),
        .labels = {{"app", "app" + std::to_string(i % 200)}, {"tier", i % 2 ? "front" : "back"}},
        .addresses = {IpAddress::v4(0xC6130000u + static_cast<uint32_t>(i)), IpAddress::v6(v6)},
        .ports = {{"http", Protocol::tcp, 8080}},
        .host = "h0",
        .interface = ifname});
  }
  for (int p = 0; p < policies; ++p) {
    Policy k{.origin = Origin::kubernetes, .namespace_name = "ns" + std::to_string(p % 50), .name = "np" + std::to_string(p)};
    k.selector = must("app == 'app" + std::to_string(p % 200) + "'");
    k.ingress_applies = true;
    for (Protocol proto : {Protocol::tcp}) {
      k.ingress.push_back(Rule{.name = "ingress[0].from[0]",
                               .protocol = proto,
                               .ports = {{80, 80, ""}, {0, 0, "http"}},
                               .peer = Peer{.selector = must("app == 'app" + std::to_string((p * 7) % 200) + "'"),
                                            .namespace_selector = must("team == 't" + std::to_string(p % 5) + "'")}});
    }
    v.policies.push_back(std::move(k));
    if (p % 10 == 0) {
      Policy g{.origin = Origin::global, .name = "g" + std::to_string(p), .order = 100};
      g.selector = must("app == 'app" + std::to_string(p % 200) + "'");
      g.ingress_applies = true;
      g.ingress.push_back(Rule{.name = "ingress[0]", .action = Action::deny, .peer = Peer{.selector = must("tier == 'back'")}});
      v.policies.push_back(std::move(g));
    }
  }
  return v;
}

struct Spread {
  double median, min, max;
};

template <class F>
Spread measure(int runs, F&& f) {
  std::vector<double> ms;
  for (int r = 0; r < runs; ++r) {
    const auto start = Stopwatch::now();
    f();
    ms.push_back(std::chrono::duration<double, std::milli>(Stopwatch::now() - start).count());
  }
  std::sort(ms.begin(), ms.end());
  return {ms[ms.size() / 2], ms.front(), ms.back()};
}

std::string json(const char* name, const Spread& s) {
  char out[200];
  std::snprintf(out, sizeof out, "\"%s\": {\"median_ms\": %.3f, \"min_ms\": %.3f, \"max_ms\": %.3f}", name, s.median, s.min, s.max);
  return out;
}

void die(const char* what, const Error& e) {
  std::fprintf(stderr, "%s: %s\n", what, e.describe().c_str());
  std::exit(3);
}

// One round of weftd's policy driver (dataplane/policy.h) for `table`; dies on a failed round.
void reconcile(dataplane::PolicyBackend& backend, kernel::KernelOps& kernel, const kernel::NftTable& table) {
  dataplane::DesiredState desired;
  desired.policy = table;
  dataplane::ReconcileReport report;
  backend.reconcile_after_routes(desired, kernel, report);
  if (!report.ok()) die("policy round", report.errors.front());
}

// The driver's work against the real nftables, in a namespace of our own.
std::string measure_kernel(ClusterView& view, const CompileOptions& options, int runs) {
  const std::string ns = "weft-bench-policy";
  (void)kernel::delete_netns(ns);
  if (auto r = kernel::create_netns(ns); !r) die("create netns", r.error());
  std::string out;
  {
    auto fd = kernel::NetnsFd::open(ns);
    if (!fd) die("open netns", fd.error());
    auto k = kernel::open_netlink_kernel(*fd);
    if (!k) die("netlink", k.error());
    auto& kernel = **k;
    // The relabelled endpoint runs on another host: its label moves it between peer sets only,
    // the common case on a node with many peers (a local endpoint would also change its chains).
    view.endpoints[1].host = "h1";
    kernel::NftTable table = compile(view, options);
    // The first round of a weftd on a host without the table: list (nothing), replace.
    const Spread apply = measure(runs, [&] {
      (void)kernel.nft_delete_table(kPolicyFamily, kPolicyTableName);
      dataplane::PolicyBackend fresh;
      reconcile(fresh, kernel, table);
    });
    // A weftd restart over an unchanged table: list, diff, no write.
    const Spread restart = measure(runs, [&] {
      dataplane::PolicyBackend fresh;
      reconcile(fresh, kernel, table);
    });
    // Reading the table back (what a round costs after anyone else's nftables commit).
    const Spread read_back = measure(runs, [&] {
      if (auto r = kernel.nft_get_table(kPolicyFamily, kPolicyTableName); !r || !*r) die("read back", r ? Error{Errc::not_found, "no table"} : r.error());
    });
    dataplane::PolicyBackend backend;
    reconcile(backend, kernel, table);
    // An endpoint label change: it leaves one app's selector and joins another's peer sets.
    const Spread relabel = measure(runs, [&] {
      view.endpoints[1].labels["app"] = view.endpoints[1].labels["app"] == "app1" ? "app7" : "app1";
      reconcile(backend, kernel, compile(view, options));
    });
    // A policy change: a rule's port changes, so the chains using it are rewritten.
    const Spread policy_change = measure(runs, [&] {
      auto& port = view.policies.front().ingress.front().ports.front();
      port.first = port.last = port.first == 80 ? 81 : 80;
      reconcile(backend, kernel, compile(view, options));
    });
    out = "\"kernel\": {" + json("full_apply", apply) + ", " + json("restart_unchanged", restart) + ", " +
          json("read_back", read_back) + ", " + json("label_change_effective", relabel) + ", " +
          json("policy_change_effective", policy_change) + "}";
  }
  (void)kernel::delete_netns(ns);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  spdlog::set_level(spdlog::level::err);  // the driver's change log would interleave with the JSON
  const int endpoints = argc > 1 ? std::atoi(argv[1]) : 10000;
  const int policies = argc > 2 ? std::atoi(argv[2]) : 1000;
  const int runs = argc > 3 ? std::atoi(argv[3]) : 5;
  if (endpoints < 2 || policies < 1 || runs < 1) {
    std::fprintf(stderr, "usage: policy_bench [endpoints>=2] [policies>=1] [runs>=1]\n");
    return 2;
  }
  ClusterView view = build(endpoints, policies);
  const CompileOptions options{.host = "h0", .own_devices = {"weft.vxlan"}};
  kernel::NftTable table;
  const Spread compile_time = measure(runs, [&] { table = compile(view, options); });
  std::string script;
  const Spread render_time = measure(runs, [&] { script = kernel::replace_script(table); });
  // One endpoint's label change: the whole compile again (the driver then applies the difference).
  const Spread relabel_time = measure(runs, [&] {
    view.endpoints[1].labels["app"] = view.endpoints[1].labels["app"] == "app0" ? "app1" : "app0";
    table = compile(view, options);
  });
  const int probes = 1000;
  const Spread evaluate_time = measure(runs, [&] {
    for (int i = 0; i < probes; ++i) {
      auto r = evaluate(view, Probe{.from = view.endpoints[i % endpoints].addresses[0],
                                    .to = view.endpoints[(i * 31 + 1) % endpoints].addresses[0],
                                    .port = 80});
      if (!r) std::exit(3);
    }
  });
  std::string kernel_json = "\"kernel\": \"not measured: needs root\"";
  if (::geteuid() == 0) kernel_json = measure_kernel(view, options, runs);
  size_t elements = 0, rules = 0;
  for (const auto& s : table.sets) elements += s.elements.size();
  for (const auto& c : table.chains) rules += c.rules.size();
  std::printf("{\"endpoints\": %d, \"policies\": %zu, \"runs\": %d,\n", endpoints, view.policies.size(), runs);
  std::printf(" %s,\n %s,\n %s,\n", json("compile", compile_time).c_str(), json("render_script", render_time).c_str(),
              json("compile_after_one_label_change", relabel_time).c_str());
  std::printf(" %s,\n", json("evaluate_1000_probes", evaluate_time).c_str());
  std::printf(" %s,\n", kernel_json.c_str());
  std::printf(" \"table\": {\"sets\": %zu, \"set_elements\": %zu, \"chains\": %zu, \"rules\": %zu, \"script_bytes\": %zu}}\n",
              table.sets.size(), elements, table.chains.size(), rules, script.size());
  return 0;
}
