// The evaluator against the Kubernetes semantics table and weft's order / Deny / Pass. Policies
// come from YAML through the file parser, as users write them.
#include "policy/evaluate.h"

#include <gtest/gtest.h>

#include "parse.h"
#include "policy/policy_file.h"

namespace weft::policy {
namespace {

using weft::testing::ip;

// Namespaces x (team=a) and y (team=b); pods a (app=a) and b (app=b) in each; x/a serves a named
// port "http" on TCP 8080; pods of x on host h1, of y on h2.
ClusterView cluster(std::string_view policies) {
  ClusterView v;
  auto parsed = parse_policy_file(policies);
  EXPECT_TRUE(parsed) << parsed.error().message;
  if (parsed) v.policies = *parsed;
  v.namespaces = {{"x", {{"team", "a"}}}, {"y", {{"team", "b"}}}};
  v.endpoints = {
      {.name = "a", .namespace_name = "x", .labels = {{"app", "a"}}, .addresses = {ip("198.19.1.1")},
       .ports = {{"http", Protocol::tcp, 8080}}, .host = "h1", .interface = "weft1"},
      {.name = "b", .namespace_name = "x", .labels = {{"app", "b"}}, .addresses = {ip("198.19.1.2")}, .host = "h1", .interface = "weft2"},
      {.name = "a", .namespace_name = "y", .labels = {{"app", "a"}}, .addresses = {ip("198.19.2.1")}, .host = "h2", .interface = "weft3"},
      {.name = "b", .namespace_name = "y", .labels = {{"app", "b"}}, .addresses = {ip("198.19.2.2")}, .host = "h2", .interface = "weft4"},
  };
  v.host_addresses = {{"h1", {ip("198.18.0.1")}}, {"h2", {ip("198.18.0.2")}}};
  return v;
}

Verdict probe(const ClusterView& v, ProbeEnd from, ProbeEnd to, uint16_t port = 80, Protocol protocol = Protocol::tcp) {
  auto r = evaluate(v, Probe{.from = std::move(from), .to = std::move(to), .protocol = protocol, .port = port});
  EXPECT_TRUE(r) << r.error().message;
  return r.value_or(Verdict{});
}

bool allowed(const ClusterView& v, const std::string& from, const std::string& to, uint16_t port = 80,
             Protocol protocol = Protocol::tcp) {
  return probe(v, from, to, port, protocol).allowed();
}

const std::string k8s_head = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n";

TEST(Evaluate, NoPolicyAllowsEverything) {
  const auto v = cluster("");
  const auto verdict = probe(v, "x/a", "y/b");
  EXPECT_TRUE(verdict.allowed());
  EXPECT_EQ(verdict.ingress.reason, "no policy selects y/b for ingress");
}

TEST(Evaluate, DefaultDenyIngressOnlyInItsNamespaceAndDirection) {
  const auto v = cluster(k8s_head + "metadata: {name: deny, namespace: x}\nspec: {podSelector: {}}\n");
  const auto verdict = probe(v, "y/a", "x/a");
  EXPECT_FALSE(verdict.allowed());
  EXPECT_TRUE(verdict.egress.allowed);
  EXPECT_FALSE(verdict.ingress.allowed);
  EXPECT_EQ(verdict.ingress.reason, "x/a is selected by 1 policy for ingress and no rule allows this");
  EXPECT_FALSE(allowed(v, "x/b", "x/a")) << "same namespace too";
  EXPECT_TRUE(allowed(v, "x/a", "y/a")) << "egress of x is not selected; y has no policy";
}

TEST(Evaluate, DefaultDenyEgress) {
  const auto v = cluster(k8s_head + "metadata: {name: deny, namespace: x}\nspec: {podSelector: {}, policyTypes: [Egress]}\n");
  EXPECT_FALSE(allowed(v, "x/a", "y/a"));
  EXPECT_TRUE(allowed(v, "y/a", "x/a")) << "ingress of x not selected";
}

TEST(Evaluate, EgressRulesWithoutPolicyTypesAlsoSelectIngress) {
  // policyTypes absent: Ingress always, so egress rules alone deny all ingress of the pods.
  const auto v = cluster(k8s_head + "metadata: {name: p, namespace: x}\nspec:\n  podSelector: {}\n  egress: [{}]\n");
  EXPECT_TRUE(allowed(v, "x/a", "y/a"));
  EXPECT_FALSE(allowed(v, "y/a", "x/a"));
}

TEST(Evaluate, EmptyVersusAbsentSelectors) {
  // from: [{namespaceSelector: {}}] is every pod of every namespace; from: [{podSelector: {}}] is
  // every pod of the policy's namespace only.
  const auto all_ns = cluster(k8s_head + "metadata: {name: p, namespace: x}\nspec:\n  podSelector: {}\n  ingress:\n"
                                         "  - from: [{namespaceSelector: {}}]\n");
  EXPECT_TRUE(allowed(all_ns, "y/b", "x/a"));
  EXPECT_FALSE(probe(all_ns, ip("203.0.113.9"), "x/a").allowed()) << "an address is not a pod of any namespace";
  const auto own_ns = cluster(k8s_head + "metadata: {name: p, namespace: x}\nspec:\n  podSelector: {}\n  ingress:\n"
                                         "  - from: [{podSelector: {}}]\n");
  EXPECT_TRUE(allowed(own_ns, "x/b", "x/a"));
  EXPECT_FALSE(allowed(own_ns, "y/b", "x/a"));
  // An ingress rule with no from at all matches every source, addresses included.
  const auto any = cluster(k8s_head + "metadata: {name: p, namespace: x}\nspec:\n  podSelector: {}\n  ingress:\n  - {}\n");
  EXPECT_TRUE(probe(any, ip("203.0.113.9"), "x/a").allowed());
}

TEST(Evaluate, PodAndNamespaceSelectorInOnePeerAreAndedInTwoPeersOred) {
  const auto anded = cluster(k8s_head + "metadata: {name: p, namespace: x}\nspec:\n  podSelector: {matchLabels: {app: a}}\n"
                                        "  ingress:\n  - from:\n    - namespaceSelector: {matchLabels: {team: b}}\n"
                                        "      podSelector: {matchLabels: {app: b}}\n");
  EXPECT_TRUE(allowed(anded, "y/b", "x/a"));
  EXPECT_FALSE(allowed(anded, "y/a", "x/a"));
  EXPECT_FALSE(allowed(anded, "x/b", "x/a"));
  EXPECT_TRUE(allowed(anded, "y/a", "x/b")) << "x/b is not selected";
  const auto ored = cluster(k8s_head + "metadata: {name: p, namespace: x}\nspec:\n  podSelector: {matchLabels: {app: a}}\n"
                                       "  ingress:\n  - from:\n    - namespaceSelector: {matchLabels: {team: b}}\n"
                                       "    - podSelector: {matchLabels: {app: b}}\n");
  EXPECT_TRUE(allowed(ored, "y/b", "x/a"));
  EXPECT_TRUE(allowed(ored, "y/a", "x/a"));
  EXPECT_TRUE(allowed(ored, "x/b", "x/a"));
}

TEST(Evaluate, NamespaceNameLabelIsImplicit) {
  const auto v = cluster(k8s_head + "metadata: {name: p, namespace: x}\nspec:\n  podSelector: {}\n  ingress:\n"
                                    "  - from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: y}}}]\n");
  EXPECT_TRUE(allowed(v, "y/a", "x/a"));
  EXPECT_FALSE(allowed(v, "x/b", "x/a"));
}

TEST(Evaluate, IpBlockWithExcept) {
  const auto v = cluster(k8s_head + "metadata: {name: p, namespace: x}\nspec:\n  podSelector: {}\n  policyTypes: [Egress]\n  egress:\n"
                                    "  - to: [{ipBlock: {cidr: 198.19.0.0/16, except: [198.19.2.0/24]}}]\n");
  EXPECT_TRUE(allowed(v, "x/a", "x/b"));
  EXPECT_FALSE(allowed(v, "x/a", "y/a")) << "198.19.2.1 is in except";
  EXPECT_FALSE(probe(v, "x/a", ip("203.0.113.1")).allowed());
  EXPECT_TRUE(probe(v, "x/a", ip("198.19.9.9")).allowed());
}

TEST(Evaluate, PortsNamedPortsAndEndPort) {
  const auto v = cluster(k8s_head + "metadata: {name: p, namespace: x}\nspec:\n  podSelector: {}\n  ingress:\n"
                                    "  - ports: [{port: http}, {port: 81, endPort: 83}, {protocol: UDP, port: 80}]\n");
  EXPECT_TRUE(allowed(v, "y/a", "x/a", 8080)) << "http is 8080 on x/a";
  EXPECT_FALSE(allowed(v, "y/a", "x/b", 8080)) << "x/b has no port named http";
  EXPECT_FALSE(allowed(v, "y/a", "x/a", 80));
  EXPECT_TRUE(allowed(v, "y/a", "x/a", 80, Protocol::udp));
  EXPECT_TRUE(allowed(v, "y/a", "x/a", 81));
  EXPECT_TRUE(allowed(v, "y/a", "x/a", 83));
  EXPECT_FALSE(allowed(v, "y/a", "x/a", 84));
  EXPECT_FALSE(allowed(v, "y/a", "x/a", 82, Protocol::udp));
}

TEST(Evaluate, PoliciesAreAddedTogether) {
  const auto v = cluster(k8s_head + "metadata: {name: deny, namespace: x}\nspec: {podSelector: {}}\n---\n" + k8s_head +
                         "metadata: {name: allow-a, namespace: x}\nspec:\n  podSelector: {matchLabels: {app: a}}\n  ingress:\n"
                         "  - from: [{podSelector: {matchLabels: {app: b}}}]\n");
  const auto verdict = probe(v, "x/b", "x/a");
  EXPECT_TRUE(verdict.allowed());
  EXPECT_EQ(verdict.ingress.policy, "NetworkPolicy x/allow-a");
  EXPECT_EQ(verdict.ingress.rule, "ingress[0].from[0]");
  EXPECT_FALSE(allowed(v, "x/a", "x/b"));
}

TEST(Evaluate, TrafficFromTheEndpointsOwnHostIsAllowed) {
  const auto v = cluster(k8s_head + "metadata: {name: deny, namespace: x}\nspec: {podSelector: {}}\n");
  const auto own = probe(v, ip("198.18.0.1"), "x/a");
  EXPECT_TRUE(own.allowed());
  EXPECT_EQ(own.ingress.reason, "from the endpoint's own host");
  EXPECT_FALSE(probe(v, ip("198.18.0.2"), "x/a").allowed()) << "another host is not";
}

const std::string weft_head = "apiVersion: weft.io/v1\nkind: ";

TEST(Evaluate, WeftDenyBeforeKubernetesAllowByOrder) {
  const auto v = cluster(k8s_head + "metadata: {name: allow-all, namespace: x}\nspec:\n  podSelector: {}\n  ingress: [{}]\n---\n" +
                         weft_head + "Policy\nmetadata: {name: no-y, namespace: x}\nspec:\n  order: 100\n  ingress:\n"
                                     "  - {action: Deny, source: {namespaceSelector: team == 'b'}}\n");
  const auto denied = probe(v, "y/a", "x/a");
  EXPECT_FALSE(denied.allowed());
  EXPECT_EQ(denied.ingress.policy, "Policy x/no-y");
  EXPECT_EQ(denied.ingress.rule, "ingress[0]");
  EXPECT_TRUE(allowed(v, "x/b", "x/a")) << "no match in no-y: on to allow-all";
  // At an order after Kubernetes' 1000 the allow comes first.
  const auto late = cluster(k8s_head + "metadata: {name: allow-all, namespace: x}\nspec:\n  podSelector: {}\n  ingress: [{}]\n---\n" +
                            weft_head + "Policy\nmetadata: {name: no-y, namespace: x}\nspec:\n  order: 2000\n  ingress:\n"
                                        "  - {action: Deny, source: {namespaceSelector: team == 'b'}}\n");
  EXPECT_TRUE(allowed(late, "y/a", "x/a"));
}

TEST(Evaluate, PassSkipsTheRemainingPoliciesAndLogGoesOn) {
  const auto v = cluster(weft_head + "GlobalPolicy\nmetadata: {name: pass-a}\nspec:\n  order: 1\n  selector: app == 'a'\n"
                                     "  ingress:\n  - {action: Log}\n  - {action: Pass, source: {selector: app == 'b'}}\n---\n" +
                         weft_head + "GlobalPolicy\nmetadata: {name: deny-all}\nspec:\n  order: 2\n  ingress: [{action: Deny}]\n");
  const auto passed = probe(v, "y/b", "x/a");
  EXPECT_TRUE(passed.allowed());
  EXPECT_EQ(passed.ingress.policy, "GlobalPolicy pass-a");
  EXPECT_EQ(passed.ingress.rule, "ingress[1]");
  const auto denied = probe(v, "y/a", "x/a");
  EXPECT_FALSE(denied.allowed());
  EXPECT_EQ(denied.ingress.policy, "GlobalPolicy deny-all");
}

TEST(Evaluate, WeftRuleProtocolIcmpAndNotNets) {
  const auto v = cluster(weft_head + "GlobalPolicy\nmetadata: {name: g}\nspec:\n  types: [Egress]\n  egress:\n"
                                     "  - {action: Allow, protocol: ICMP, icmp: {type: 8}}\n"
                                     "  - {action: Allow, protocol: UDP, destination: {notNets: [198.19.2.0/24], ports: ['53']}}\n");
  Probe ping{.from = std::string("x/a"), .to = std::string("y/a"), .protocol = Protocol::icmp, .icmp_type = 8};
  auto r = evaluate(v, ping);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->allowed());
  ping.icmp_type = 0;
  r = evaluate(v, ping);
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->allowed());
  EXPECT_TRUE(allowed(v, "x/a", "x/b", 53, Protocol::udp));
  EXPECT_FALSE(allowed(v, "x/a", "y/b", 53, Protocol::udp)) << "in notNets";
  EXPECT_FALSE(allowed(v, "x/a", "x/b", 53, Protocol::tcp));
}

TEST(Evaluate, UnknownEndpointsAreErrors) {
  const auto v = cluster("");
  auto r = evaluate(v, Probe{.from = std::string("x/zz"), .to = std::string("x/a")});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::not_found);
  r = evaluate(v, Probe{.from = std::string("a"), .to = std::string("x/a")});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::invalid_argument) << "a is in x and y";
}

}  // namespace
}  // namespace weft::policy
