// Network policy conformance on the lab (issue 11), after the Kubernetes network-policy tests:
// namespaces x, y, z with pods a, b, c on 3 hosts (lab_pods_fixture.h), probed on TCP 80, TCP 81
// and UDP 80 by `weft lab check`. For each policy below: apply it with `weft policy apply -f -`,
// wait until the matrix equals the case's truth table, delete it, and wait until the matrix is
// all-allowed again (removing a policy restores the matrix). On every matched table, `weft explain`
// must give the same answer (issue 11): `weft explain --matrix` on every probe, and the single-flow
// `weft explain FROM TO` on nine flows per case in rotation.
//
// The truth tables are written by hand from Kubernetes' and Calico's documented semantics, not
// computed by weft's evaluator: they are the check on it and on the nftables driver alike. One
// rule holds for every table: a pod probing itself connects to its own address over the
// loopback of its own namespace, which no policy sees, so that probe is always allowed.
#include <functional>
#include <set>

#include "lab_pods_fixture.h"

namespace {

using namespace weft_e2e;

// One probe of the matrix, as the tables see it.
struct Probe {
  std::string from_ns, from_pod, to_ns, to_pod;
  std::string protocol;  // "tcp" | "udp"
  int port = 0;
  bool tcp(int p) const { return protocol == "tcp" && port == p; }
  bool udp(int p) const { return protocol == "udp" && port == p; }
  bool from(const std::string& ns, const std::string& pod) const { return from_ns == ns && from_pod == pod; }
  bool to(const std::string& ns, const std::string& pod) const { return to_ns == ns && to_pod == pod; }
};

struct Case {
  std::string name;
  // The policy file; "{x/a}" and the like stand for that pod's IPv4 address.
  std::string yaml;
  // Allowed or not, for every probe but a pod to itself.
  std::function<bool(const Probe&)> allowed;
};

const std::string kNp = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n";
const std::string kWeft = "apiVersion: weft.io/v1\n";

std::vector<Case> cases() {
  return {
      {"default deny ingress in x",
       kNp + "metadata: {name: deny-ingress, namespace: x}\nspec:\n  podSelector: {}\n  policyTypes: [Ingress]\n",
       [](const Probe& p) { return p.to_ns != "x"; }},
      {"default deny egress in x",
       kNp + "metadata: {name: deny-egress, namespace: x}\nspec:\n  podSelector: {}\n  policyTypes: [Egress]\n",
       [](const Probe& p) { return p.from_ns != "x"; }},
      {"deny ingress to one pod (policyTypes absent means Ingress)",
       kNp + "metadata: {name: deny-a, namespace: x}\nspec:\n  podSelector: {matchLabels: {pod: a}}\n",
       [](const Probe& p) { return !p.to("x", "a"); }},
      {"allow all ingress {} with Egress listed but no egress rule",
       kNp + "metadata: {name: all-in-no-out, namespace: y}\nspec:\n  podSelector: {}\n"
             "  policyTypes: [Ingress, Egress]\n  ingress:\n  - {}\n",
       [](const Probe& p) { return p.from_ns != "y"; }},
      {"allow from namespace y (namespaceSelector)",
       kNp + "metadata: {name: from-y, namespace: x}\nspec:\n  podSelector: {}\n  ingress:\n"
             "  - from:\n    - namespaceSelector: {matchLabels: {ns: y}}\n",
       [](const Probe& p) { return p.to_ns != "x" || p.from_ns == "y"; }},
      {"allow from the own namespace (podSelector {} alone)",
       kNp + "metadata: {name: from-own, namespace: x}\nspec:\n  podSelector: {}\n  ingress:\n"
             "  - from:\n    - podSelector: {}\n",
       [](const Probe& p) { return p.to_ns != "x" || p.from_ns == "x"; }},
      {"pod AND namespace selector in one peer",
       kNp + "metadata: {name: b-in-y-or-z, namespace: x}\nspec:\n  podSelector: {matchLabels: {pod: a}}\n"
             "  ingress:\n  - from:\n    - namespaceSelector:\n        matchExpressions:\n"
             "        - {key: ns, operator: In, values: [y, z]}\n      podSelector: {matchLabels: {pod: b}}\n",
       [](const Probe& p) { return !p.to("x", "a") || (p.from_pod == "b" && p.from_ns != "x"); }},
      {"pod OR namespace selector (two peers)",
       kNp + "metadata: {name: y-or-b, namespace: x}\nspec:\n  podSelector: {matchLabels: {pod: a}}\n"
             "  ingress:\n  - from:\n    - namespaceSelector: {matchLabels: {ns: y}}\n"
             "    - podSelector: {matchLabels: {pod: b}}\n",
       [](const Probe& p) { return !p.to("x", "a") || p.from_ns == "y" || p.from("x", "b"); }},
      {"pods c of every namespace (namespaceSelector {})",
       kNp + "metadata: {name: any-c, namespace: x}\nspec:\n  podSelector: {matchLabels: {pod: a}}\n"
             "  ingress:\n  - from:\n    - namespaceSelector: {}\n      podSelector: {matchLabels: {pod: c}}\n",
       [](const Probe& p) { return !p.to("x", "a") || p.from_pod == "c"; }},
      {"matchExpressions NotIn over all namespaces",
       kNp + "metadata: {name: not-a, namespace: x}\nspec:\n  podSelector: {}\n  ingress:\n  - from:\n"
             "    - namespaceSelector: {}\n      podSelector:\n        matchExpressions:\n"
             "        - {key: pod, operator: NotIn, values: [a]}\n",
       [](const Probe& p) { return p.to_ns != "x" || p.from_pod != "a"; }},
      {"the implicit kubernetes.io/metadata.name label",
       kNp + "metadata: {name: from-z-by-name, namespace: x}\nspec:\n  podSelector: {}\n  ingress:\n"
             "  - from:\n    - namespaceSelector:\n        matchExpressions:\n"
             "        - {key: kubernetes.io/metadata.name, operator: In, values: [z]}\n",
       [](const Probe& p) { return p.to_ns != "x" || p.from_ns == "z"; }},
      {"ipBlock with except",
       kNp + "metadata: {name: cidr-but-y-a, namespace: x}\nspec:\n  podSelector: {matchLabels: {pod: a}}\n"
             "  ingress:\n  - from:\n    - ipBlock: {cidr: 198.19.0.0/16, except: [\"{y/a}/32\"]}\n",
       [](const Probe& p) { return !p.to("x", "a") || !p.from("y", "a"); }},
      {"port 80 TCP only",
       kNp + "metadata: {name: tcp-80, namespace: x}\nspec:\n  podSelector: {matchLabels: {pod: a}}\n"
             "  ingress:\n  - ports:\n    - {protocol: TCP, port: 80}\n",
       [](const Probe& p) { return !p.to("x", "a") || p.tcp(80); }},
      {"port range 80-81 with endPort (TCP only)",
       kNp + "metadata: {name: tcp-80-81, namespace: y}\nspec:\n  podSelector: {}\n"
             "  ingress:\n  - ports:\n    - {protocol: TCP, port: 80, endPort: 81}\n",
       [](const Probe& p) { return p.to_ns != "y" || p.protocol == "tcp"; }},
      {"named TCP port",
       kNp + "metadata: {name: named-81, namespace: x}\nspec:\n  podSelector: {matchLabels: {pod: a}}\n"
             "  ingress:\n  - ports:\n    - port: serve-81-tcp\n",
       [](const Probe& p) { return !p.to("x", "a") || p.tcp(81); }},
      {"named UDP port from one namespace",
       kNp + "metadata: {name: named-udp-from-x, namespace: y}\nspec:\n  podSelector: {}\n"
             "  ingress:\n  - from:\n    - namespaceSelector: {matchLabels: {ns: x}}\n"
             "    ports:\n    - {protocol: UDP, port: serve-80-udp}\n",
       [](const Probe& p) { return p.to_ns != "y" || (p.from_ns == "x" && p.udp(80)); }},
      {"egress to a CIDR",
       kNp + "metadata: {name: out-to-y-b, namespace: x}\nspec:\n  podSelector: {matchLabels: {pod: a}}\n"
             "  policyTypes: [Egress]\n  egress:\n  - to:\n    - ipBlock: {cidr: \"{y/b}/32\"}\n",
       [](const Probe& p) { return !p.from("x", "a") || p.to("y", "b"); }},
      {"egress to a namespace on one port",
       kNp + "metadata: {name: out-to-z-81, namespace: x}\nspec:\n  podSelector: {}\n  policyTypes: [Egress]\n"
             "  egress:\n  - to:\n    - namespaceSelector: {matchLabels: {ns: z}}\n    ports:\n"
             "    - {protocol: TCP, port: 81}\n",
       [](const Probe& p) { return p.from_ns != "x" || (p.to_ns == "z" && p.tcp(81)); }},
      {"policyTypes Egress only: the ingress section is ignored",
       kNp + "metadata: {name: egress-only, namespace: x}\nspec:\n  podSelector: {matchLabels: {pod: b}}\n"
             "  policyTypes: [Egress]\n  ingress:\n  - from:\n    - podSelector: {matchLabels: {pod: c}}\n",
       [](const Probe& p) { return !p.from("x", "b"); }},
      {"egress rules without policyTypes: Ingress and Egress both apply",
       kNp + "metadata: {name: in-and-out, namespace: y}\nspec:\n  podSelector: {matchLabels: {pod: c}}\n"
             "  egress:\n  - to:\n    - namespaceSelector: {}\n",
       [](const Probe& p) { return !p.to("y", "c"); }},
      {"two policies on one pod allow the union",
       kNp + "metadata: {name: from-b, namespace: x}\nspec:\n  podSelector: {matchLabels: {pod: a}}\n"
             "  ingress:\n  - from:\n    - podSelector: {matchLabels: {pod: b}}\n---\n" +
           kNp + "metadata: {name: from-z, namespace: x}\nspec:\n  podSelector: {matchLabels: {pod: a}}\n"
                 "  ingress:\n  - from:\n    - namespaceSelector: {matchLabels: {ns: z}}\n",
       [](const Probe& p) { return !p.to("x", "a") || p.from("x", "b") || p.from_ns == "z"; }},
      {"deny before allow by order (GlobalPolicy Deny order 10, Allow order 20)",
       kWeft + "kind: GlobalPolicy\nmetadata: {name: deny-y-to-a}\nspec:\n  order: 10\n  selector: pod == 'a'\n"
               "  ingress:\n  - action: Deny\n    source: {namespaceSelector: ns == 'y'}\n---\n" +
           kWeft + "kind: GlobalPolicy\nmetadata: {name: allow-to-a}\nspec:\n  order: 20\n  selector: pod == 'a'\n"
                   "  ingress:\n  - action: Allow\n",
       [](const Probe& p) { return p.to_pod != "a" || p.from_ns != "y"; }},
      {"namespaced Policy allow at order 100 before a GlobalPolicy deny at 200",
       kWeft + "kind: Policy\nmetadata: {name: z-to-a, namespace: x}\nspec:\n  order: 100\n  selector: pod == 'a'\n"
               "  ingress:\n  - action: Allow\n    source: {namespaceSelector: ns == 'z'}\n---\n" +
           kWeft + "kind: GlobalPolicy\nmetadata: {name: deny-to-a}\nspec:\n  order: 200\n  selector: pod == 'a'\n"
                   "  ingress:\n  - action: Deny\n",
       [](const Probe& p) { return p.to_pod != "a" || (p.to_ns == "x" && p.from_ns == "z"); }},
      {"Pass leaves the decision to the profile; a NetworkPolicy denies the rest",
       kWeft + "kind: GlobalPolicy\nmetadata: {name: pass-from-z}\nspec:\n  order: 10\n  selector: pod == 'b'\n"
               "  ingress:\n  - action: Pass\n    source: {namespaceSelector: ns == 'z'}\n---\n" +
           kNp + "metadata: {name: deny-ingress, namespace: y}\nspec:\n  podSelector: {}\n",
       // b pods are selected by the GlobalPolicy: a source in z passes (allowed), others match no
       // rule (denied). The other pods of y are denied by the NetworkPolicy.
       [](const Probe& p) { return p.to_pod == "b" ? p.from_ns == "z" : p.to_ns != "y"; }},
      {"weft Policy: selector expression, protocol UDP only",
       kWeft + "kind: Policy\nmetadata: {name: udp-only, namespace: y}\nspec:\n  selector: pod in {'a', 'b'}\n"
               "  ingress:\n  - action: Allow\n    protocol: UDP\n",
       [](const Probe& p) { return p.to_ns != "y" || p.to_pod == "c" || p.protocol == "udp"; }},
      {"weft Policy egress: Deny TCP 81, then Allow",
       kWeft + "kind: Policy\nmetadata: {name: no-81-out, namespace: z}\nspec:\n  order: 50\n  selector: all()\n"
               "  types: [Egress]\n  egress:\n  - action: Deny\n    protocol: TCP\n    destination: {ports: [81]}\n"
               "  - action: Allow\n",
       [](const Probe& p) { return p.from_ns != "z" || !p.tcp(81); }},
      {"weft Policy: notNets",
       kWeft + "kind: Policy\nmetadata: {name: not-from-c, namespace: z}\nspec:\n  selector: all()\n"
               "  ingress:\n  - action: Allow\n    source: {nets: [198.19.0.0/16], notNets: [\"{x/c}/32\", \"{y/c}/32\"]}\n",
       [](const Probe& p) { return p.to_ns != "z" || !(p.from("x", "c") || p.from("y", "c")); }},
  };
}

// "{x/a}" -> x/a's address, for every pod.
std::string with_addresses(std::string text, const std::map<std::string, std::string>& v4) {
  for (const auto& [pod, address] : v4) {
    const std::string token = "{" + pod + "}";
    for (size_t at; (at = text.find(token)) != std::string::npos;) text.replace(at, token.size(), address);
  }
  return text;
}

class LabPolicy : public LabPods {
 public:
  void SetUp() override {
    LabPods::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    for (const auto& ns : kNamespaces) {
      auto add = weft_in(*this, {"namespace", "add", ns, "ns=" + ns});
      ASSERT_EQ(add.exit_code, 0) << add.err;
    }
    v4_ = pod_v4(*this);
    ASSERT_EQ(v4_.size(), 9u);
  }

  // `weft policy apply -f -` on h1, the file on stdin.
  Outcome apply(const std::string& yaml) {
    auto r = weft::run(weft::Command{.argv = {WEFT_CLI_PATH, "lab", "exec", "h1", "--state-dir", dir_.string(), "--",
                                              WEFT_CLI_PATH, "policy", "apply", "-f", "-"},
                                     .input = yaml});
    if (!r) return Outcome{.exit_code = -1, .out = "", .err = r.error().describe()};
    return Outcome{.exit_code = r->exit_code, .out = r->out, .err = r->err};
  }

  // Deletes every stored policy; false (with a test failure) when one cannot be.
  bool delete_all_policies() {
    auto listed = weft_in(*this, {"policy", "list", "-A", "-o", "json"});
    auto policies = weft::parse_json(listed.out);
    EXPECT_TRUE(listed.exit_code == 0 && policies) << listed.out << listed.err;
    if (!policies) return false;
    bool ok = true;
    for (const auto& p : *policies) {
      const std::string kind = p["kind"] == "NetworkPolicy" ? "networkpolicy" : p["kind"] == "Policy" ? "policy" : "globalpolicy";
      std::vector<std::string> args{"policy", "delete", p["name"].get<std::string>(), "--kind", kind};
      if (p.contains("namespace")) args.insert(args.end(), {"-n", p["namespace"].get<std::string>()});
      auto del = weft_in(*this, args);
      EXPECT_EQ(del.exit_code, 0) << del.err;
      ok = ok && del.exit_code == 0;
    }
    return ok;
  }

  // The probes whose result differs from `allowed`, one line each; a check that did not run is
  // one line too.
  std::vector<std::string> differences(const std::function<bool(const Probe&)>& allowed) {
    return matrix_differences(lab({"check", "--tcp", "80,81", "--udp", "80", "-o", "json"}), allowed, "the network");
  }

  // `weft explain --matrix` on the same ports: what the policies mean, for every probe.
  std::vector<std::string> explain_matrix_differences(const std::function<bool(const Probe&)>& allowed) {
    return matrix_differences(weft_in(*this, {"-o", "json", "explain", "--matrix", "--tcp", "80,81", "--udp", "80"}), allowed,
                              "weft explain --matrix");
  }

  // The probes of a matrix in JSON (`weft lab check` or `weft explain --matrix`: probes[] with
  // from, to, protocol, port, result) whose result differs from `allowed`, one line each.
  static std::vector<std::string> matrix_differences(const Outcome& run, const std::function<bool(const Probe&)>& allowed,
                                                     const std::string& who) {
    auto json = weft::parse_json(run.out);
    if (run.exit_code != 0 || !json || !json->contains("probes")) return {who + " failed: " + run.out + run.err};
    std::vector<std::string> out;
    std::set<std::string> seen;
    for (const auto& j : (*json)["probes"]) {
      const std::string from = j["from"], to = j["to"];
      Probe p{from.substr(0, from.find('/')), from.substr(from.find('/') + 1), to.substr(0, to.find('/')),
              to.substr(to.find('/') + 1), j["protocol"], j["port"]};
      const bool expected = from == to || allowed(p);
      const bool actual = j["result"] == "allowed";
      seen.insert(from + ">" + to + ":" + p.protocol + std::to_string(p.port));
      if (expected != actual) {
        out.push_back(from + " -> " + to + " " + p.protocol + "/" + std::to_string(p.port) + ": " + who + " says " +
                      (actual ? "allowed" : "blocked") + ", the table " + (expected ? "allowed" : "blocked") +
                      (j.contains("ingress") ? " (egress: " + j["egress"].dump() + ", ingress: " + j["ingress"].dump() + ")" : ""));
      }
    }
    if (seen.size() != 9u * 9u * 3u) out.push_back(who + ": the matrix has " + std::to_string(seen.size()) + " probes, not 243");
    return out;
  }

  // The single-flow `weft explain FROM TO --port P` on nine flows per case, one from each pod, to
  // the pod and on the port the rotation picks (over the cases each pair and port comes up):
  // the same answer as its matrix. Returns the lines where its result differs from the table.
  // All explains run in one shell in h1, each output followed by a separator line.
  std::vector<std::string> explain_differences(const std::function<bool(const Probe&)>& allowed, size_t rotation) {
    struct Flow {
      Probe probe;
      std::string from, to;
    };
    static const std::vector<std::pair<std::string, int>> ports{{"tcp", 80}, {"tcp", 81}, {"udp", 80}};
    std::vector<std::pair<std::string, std::string>> pods;
    for (const auto& ns : kNamespaces) {
      for (const auto& pod : kPods) pods.emplace_back(ns, pod);
    }
    std::vector<Flow> flows;
    for (size_t i = 0; i < pods.size(); ++i) {
      const auto& [from_ns, from_pod] = pods[i];
      const auto& [to_ns, to_pod] = pods[(i + 1 + rotation % (pods.size() - 1)) % pods.size()];  // never itself
      const auto& [protocol, port] = ports[(i + rotation) % ports.size()];
      flows.push_back({Probe{from_ns, from_pod, to_ns, to_pod, protocol, port}, lab_pod(from_ns, from_pod), lab_pod(to_ns, to_pod)});
    }
    std::string script;
    for (const auto& f : flows) {
      script += std::string(WEFT_CLI_PATH) + " -o json explain " + f.from + " " + f.to + " --protocol " + f.probe.protocol +
                " --port " + std::to_string(f.probe.port) + " 2>&1; echo " + kSeparator + "\n";
    }
    auto r = exec("h1", {"/bin/sh", "-c", script});
    if (r.exit_code != 0) return {"explain run failed: " + r.err};
    std::vector<std::string> out;
    size_t at = 0;
    for (const auto& f : flows) {
      const size_t end = r.out.find(std::string(kSeparator) + "\n", at);
      if (end == std::string::npos) return {"explain printed too little:\n" + r.out.substr(at, 2000)};
      const std::string text = r.out.substr(at, end - at);
      at = end + std::string(kSeparator).size() + 1;
      auto json = weft::parse_json(text);
      const std::string line = f.from + " -> " + f.to + " " + f.probe.protocol + "/" + std::to_string(f.probe.port);
      if (!json || !json->contains("result")) {
        out.push_back(line + ": explain failed: " + text);
        continue;
      }
      const std::string expected = allowed(f.probe) ? "allowed" : "blocked";
      if ((*json)["result"] != expected) {
        out.push_back(line + ": explain says " + (*json)["result"].get<std::string>() + ", the network " + expected +
                      " (egress: " + (*json)["egress"].dump() + ", ingress: " + (*json)["ingress"].dump() + ")");
      }
    }
    return out;
  }
  static constexpr const char* kSeparator = "--weft-explain-end--";

  // Polls the matrix until it equals the table or `limit` passes; returns the last differences.
  std::vector<std::string> converge(const std::function<bool(const Probe&)>& allowed,
                                    std::chrono::seconds limit = std::chrono::seconds(30)) {
    std::vector<std::string> last;
    within(limit, [&] {
      last = differences(allowed);
      return last.empty();
    });
    return last;
  }

  std::map<std::string, std::string> v4_;
};

std::string first_lines(const std::vector<std::string>& lines, size_t n = 30) {
  std::string out;
  for (size_t i = 0; i < lines.size() && i < n; ++i) out += "  " + lines[i] + "\n";
  if (lines.size() > n) out += "  ... and " + std::to_string(lines.size() - n) + " more\n";
  return out;
}

TEST_F(LabPolicy, EveryPolicyMatchesItsTruthTableAndRemovingItRestoresTheMatrix) {
  const auto all_allowed = [](const Probe&) { return true; };
  auto before = converge(all_allowed);
  ASSERT_TRUE(before.empty()) << "without policy every probe must pass:\n" << first_lines(before);

  // A file with a bad second document (a bad selector on line 11) applies nothing: the first one
  // (deny all ingress in x) is not stored either, and the matrix stays all-allowed.
  auto bad = apply(kNp + "metadata: {name: deny-ingress, namespace: x}\nspec:\n  podSelector: {}\n---\n" + kWeft +
                   "kind: Policy\nmetadata: {name: bad, namespace: x}\nspec:\n  selector: pod = 'a'\n");
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("document 2, line 11"), std::string::npos) << bad.err;
  auto listed = weft::parse_json(weft_in(*this, {"policy", "list", "-A", "-o", "json"}).out);
  ASSERT_TRUE(listed);
  EXPECT_TRUE(listed->empty()) << listed->dump();
  auto unchanged = differences(all_allowed);
  EXPECT_TRUE(unchanged.empty()) << "a refused file changed the matrix:\n" << first_lines(unchanged);

  const auto list = cases();
  ASSERT_GE(list.size(), 20u);
  size_t case_index = 0;
  int never_matched = 0;  // consecutive cases; three in a row means no enforcement at all
  for (const auto& c : list) {
    SCOPED_TRACE(c.name);
    auto applied = apply(with_addresses(c.yaml, v4_));
    ASSERT_EQ(applied.exit_code, 0) << applied.out << applied.err;
    auto diff = converge(c.allowed);
    EXPECT_TRUE(diff.empty()) << c.name << ": the matrix never matched its table in 30 s; last differences:\n"
                              << first_lines(diff);
    if (diff.empty()) {
      auto matrix = explain_matrix_differences(c.allowed);
      EXPECT_TRUE(matrix.empty()) << c.name << ": weft explain --matrix disagrees with the network:\n" << first_lines(matrix);
      auto explained = explain_differences(c.allowed, case_index);
      EXPECT_TRUE(explained.empty()) << c.name << ": weft explain disagrees with the network:\n" << first_lines(explained);
    }
    ++case_index;
    never_matched = diff.empty() ? 0 : never_matched + 1;
    if (never_matched == 3) {
      delete_all_policies();
      FAIL() << "three policies in a row were never enforced: giving up on the rest (is the policy driver running?)";
    }

    if (c.name == "default deny ingress in x") {
      // The pod's own host still reaches it (kubelet probes); a pod elsewhere does not. x/a is on h1.
      EXPECT_EQ(exec("h1", {"/usr/bin/ping", "-n", "-c", "2", "-i", "0.2", "-W", "1", v4_.at("x/a")}).exit_code, 0)
          << "h1 must reach its own pod x/a under default-deny ingress";
      EXPECT_FALSE(ping(*this, "y/a", v4_.at("x/a"))) << "y/a must not reach x/a under default-deny ingress";
    }

    ASSERT_TRUE(delete_all_policies());
    auto restored = converge(all_allowed);
    EXPECT_TRUE(restored.empty()) << c.name << ": removing the policy did not restore the matrix in 30 s:\n"
                                  << first_lines(restored);
  }
}

}  // namespace
