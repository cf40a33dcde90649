// The policy backend against the recording FakeKernel: no policy, no table; a policy makes the
// table and a second round writes nothing and lists nothing; an endpoint joining a selector
// changes set elements only; a policy change patches chains; a rule removed by hand (another
// nftables commit) is seen and put back; an unreadable policy record is a problem while the
// others still apply. No root, no kernel. The table is compiled the way the
// agent does it (policy::host_policy) and handed to compute_desired.
#include "dataplane/policy.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>

#include "dataplane/reconciler.h"
#include "kernel/fake_kernel.h"
#include "model/keys.h"
#include "policy/compile.h"
#include "policy/model_view.h"
#include "policy/policy_codec.h"
#include "policy/policy_file.h"

namespace weft::dataplane {
namespace {

const auto kFamily = kPolicyFamily;
const auto kTable = kPolicyTableName;

struct Node {
  model::ClusterModel model;
  kernel::FakeKernel kernel;
  LocalFacts self{.node = "h1", .underlay = *model::InterfaceAddress::parse("198.18.1.11/24"), .underlay_device = "eth0"};
  Reconciler reconciler{kernel};

  Node() { self.underlay_ifindex = kernel.add_device({.name = "eth0", .kind = "veth", .mtu = 1500, .up = true}).index; }

  void endpoint(const std::string& node, const std::string& id, const std::string& ns, const std::string& pod,
                model::Labels labels, const char* address) {
    model::Endpoint e{.node = node, .container_id = id, .ifname = "eth0", .pod_namespace = ns, .pod_name = pod,
                      .labels = std::move(labels), .host_veth = "weft" + id,
                      .addresses = {{*IpAddress::parse(address), "lab", *Prefix::parse("198.19.0.0/24")}}};
    model.endpoints[model::keys::endpoint(node, id, "eth0")] = e;
  }
  void apply_policy_file(const std::string& yaml) {
    auto policies = policy::parse_policy_file(yaml);
    ASSERT_TRUE(policies) << policies.error().describe();
    for (const auto& p : *policies) {
      model.policy_records[model::keys::network_policy(p.namespace_name, p.name)] = dump_json(policy::encode(p));
    }
  }
  DesiredState desired() const {
    auto policy = policy::host_policy(model, {.host = self.node, .own_devices = {std::string(kVxlanDevice)}});
    auto out = compute_desired(model, self, {}, policy.table);
    out.problems.insert(out.problems.end(), policy.problems.begin(), policy.problems.end());
    return out;
  }
  ReconcileReport round() { return reconciler.apply(desired()); }
  std::optional<kernel::NftTable> table() {
    auto t = kernel.nft_get_table(kFamily, kTable);
    EXPECT_TRUE(t);
    return t ? *t : std::nullopt;
  }
  std::vector<std::string> policy_writes() { return about_policy(kernel.writes()); }
  std::vector<std::string> policy_calls() { return about_policy(kernel.calls()); }
  static std::vector<std::string> about_policy(std::vector<std::string> calls) {
    std::erase_if(calls, [](const std::string& s) { return s.find("weft_policy") == std::string::npos; });
    return calls;
  }
};

const char* kAllowFromWeb = R"(
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db-from-web, namespace: x}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress:
  - from:
    - podSelector: {matchLabels: {app: web}}
)";

// Does a verdict map send `interface` to a chain?
bool has_verdict_for(const kernel::NftTable& t, const std::string& interface) {
  for (const auto& s : t.sets) {
    if (!s.is_map) continue;
    for (const auto& e : s.elements) {
      if (e.starts_with("\"" + interface + "\" : jump ")) return true;
    }
  }
  return false;
}

const kernel::NftSet* set_with(const kernel::NftTable& t, const std::string& element) {
  for (const auto& s : t.sets) {
    if (std::find(s.elements.begin(), s.elements.end(), element) != s.elements.end()) return &s;
  }
  return nullptr;
}

TEST(PolicyBackend, NoPolicyNoTable) {
  Node n;
  n.endpoint("h1", "c1", "x", "db", {{"app", "db"}}, "198.19.0.2");
  ASSERT_TRUE(n.round().ok());
  EXPECT_FALSE(n.table()) << "a cluster without policy pays nothing per packet";
  EXPECT_TRUE(n.policy_writes().empty());
}

TEST(PolicyBackend, APolicyMakesTheTableAndASecondRoundWritesNothing) {
  Node n;
  n.endpoint("h1", "c1", "x", "db", {{"app", "db"}}, "198.19.0.2");
  n.endpoint("h2", "c2", "x", "web", {{"app", "web"}}, "198.19.0.3");
  n.apply_policy_file(kAllowFromWeb);
  ASSERT_TRUE(n.round().ok());
  auto t = n.table();
  ASSERT_TRUE(t);
  EXPECT_EQ(*t, policy::compile(policy::policy_inputs(n.model).view, {.host = "h1", .own_devices = {"weft.vxlan"}}));
  EXPECT_TRUE(set_with(*t, "198.19.0.3")) << "web, on another host, is in the peer set";
  EXPECT_TRUE(has_verdict_for(*t, "weftc1")) << "db's ingress chain is in the verdict map";

  n.kernel.clear_calls();
  auto report = n.round();
  EXPECT_TRUE(report.changes.empty());
  EXPECT_TRUE(n.policy_writes().empty()) << "an unchanged ruleset is not rewritten";
  EXPECT_EQ(n.policy_calls(), std::vector<std::string>{}) << "nor listed: the nftables generation has not moved";
}

TEST(PolicyBackend, AfterSomeoneElsesCommitTheTableIsListedAgain) {
  Node n;
  n.endpoint("h1", "c1", "x", "db", {{"app", "db"}}, "198.19.0.2");
  n.apply_policy_file(kAllowFromWeb);
  ASSERT_TRUE(n.round().ok());
  ASSERT_TRUE(n.kernel.nft_replace_table({.family = "inet", .name = "other"}));  // any other table
  n.kernel.clear_calls();
  ASSERT_TRUE(n.round().ok());
  EXPECT_EQ(n.policy_calls(), std::vector<std::string>{"nft_get_table inet weft_policy"});
  n.kernel.clear_calls();
  ASSERT_TRUE(n.round().ok());
  EXPECT_EQ(n.policy_calls(), std::vector<std::string>{}) << "listed once, known again";
}

TEST(PolicyBackend, APolicyChangePatchesTheChainsNotTheTable) {
  Node n;
  n.endpoint("h1", "c1", "x", "db", {{"app", "db"}}, "198.19.0.2");
  n.endpoint("h1", "c4", "x", "api", {{"app", "api"}}, "198.19.0.5");
  n.endpoint("h2", "c2", "x", "web", {{"app", "web"}}, "198.19.0.3");
  n.apply_policy_file(kAllowFromWeb);
  ASSERT_TRUE(n.round().ok());
  n.kernel.clear_calls();
  n.apply_policy_file(R"(
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db-from-web, namespace: x}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress:
  - from:
    - podSelector: {matchLabels: {app: web}}
    ports: [{port: 5432}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: api-deny, namespace: x}
spec:
  podSelector: {matchLabels: {app: api}}
  policyTypes: [Ingress]
)");
  auto report = n.round();
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(n.policy_writes(), std::vector<std::string>{"nft_patch_table inet weft_policy"});
  ASSERT_EQ(report.changes.size(), 1u);
  EXPECT_NE(report.changes[0].find("chain(s) "), std::string::npos) << report.changes[0];
  EXPECT_EQ(n.table(), n.desired().policy) << "the patched table is the compiled one";
  EXPECT_TRUE(has_verdict_for(*n.table(), "weftc4")) << "api is now selected";
}

TEST(PolicyBackend, AnEndpointJoiningASelectorChangesSetElementsOnly) {
  Node n;
  n.endpoint("h1", "c1", "x", "db", {{"app", "db"}}, "198.19.0.2");
  n.endpoint("h2", "c2", "x", "web", {{"app", "web"}}, "198.19.0.3");
  n.endpoint("h2", "c3", "x", "cache", {{"app", "cache"}}, "198.19.0.4");
  n.apply_policy_file(kAllowFromWeb);
  ASSERT_TRUE(n.round().ok());
  const auto before = n.table();
  ASSERT_TRUE(before);
  ASSERT_FALSE(set_with(*before, "198.19.0.4"));

  n.kernel.clear_calls();
  n.model.endpoints[model::keys::endpoint("h2", "c3", "eth0")].labels = {{"app", "web"}};  // weft endpoint label
  n.model.endpoints.erase(model::keys::endpoint("h2", "c2", "eth0"));
  auto report = n.round();
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(n.policy_writes(), std::vector<std::string>{"nft_patch_table inet weft_policy"});
  auto after = n.table();
  ASSERT_TRUE(after);
  EXPECT_TRUE(set_with(*after, "198.19.0.4"));
  EXPECT_FALSE(set_with(*after, "198.19.0.3"));
  EXPECT_EQ(after->chains, before->chains) << "no rule touched";
}

TEST(PolicyBackend, ARuleRemovedByHandIsPutBack) {
  Node n;
  n.endpoint("h1", "c1", "x", "db", {{"app", "db"}}, "198.19.0.2");
  n.apply_policy_file(kAllowFromWeb);
  ASSERT_TRUE(n.round().ok());
  auto wanted = n.table();
  ASSERT_TRUE(wanted);
  auto damaged = *wanted;
  damaged.chains.back().rules.erase(damaged.chains.back().rules.begin());
  ASSERT_TRUE(n.kernel.nft_replace_table(damaged));
  n.kernel.clear_calls();
  ASSERT_TRUE(n.round().ok());
  EXPECT_EQ(n.policy_writes(), std::vector<std::string>{"nft_patch_table inet weft_policy"});
  EXPECT_EQ(n.table(), wanted);
}

TEST(PolicyBackend, ABaseChainHookedDifferentlyReplacesTheTable) {
  Node n;
  n.endpoint("h1", "c1", "x", "db", {{"app", "db"}}, "198.19.0.2");
  n.apply_policy_file(kAllowFromWeb);
  ASSERT_TRUE(n.round().ok());
  auto wanted = n.table();
  ASSERT_TRUE(wanted);
  auto damaged = *wanted;
  auto base = std::find_if(damaged.chains.begin(), damaged.chains.end(), [](const kernel::NftChain& c) { return !c.hook.empty(); });
  ASSERT_NE(base, damaged.chains.end());
  base->hook += " # by hand";
  ASSERT_TRUE(n.kernel.nft_replace_table(damaged));
  n.kernel.clear_calls();
  ASSERT_TRUE(n.round().ok());
  EXPECT_EQ(n.policy_writes(), std::vector<std::string>{"nft_replace_table inet weft_policy"});
  EXPECT_EQ(n.table(), wanted);
}

TEST(PolicyBackend, AFailedPatchFallsBackToAReplacement) {
  // Two identical nodes: the first shows where in the round the element change comes, the second
  // has exactly that call fail.
  Node probe, n;
  for (Node* node : {&probe, &n}) {
    node->endpoint("h1", "c1", "x", "db", {{"app", "db"}}, "198.19.0.2");
    node->endpoint("h2", "c2", "x", "web", {{"app", "web"}}, "198.19.0.3");
    node->apply_policy_file(kAllowFromWeb);
    ASSERT_TRUE(node->round().ok());
    node->model.endpoints[model::keys::endpoint("h2", "c2", "eth0")].addresses[0].address = *IpAddress::parse("198.19.0.9");
    node->kernel.clear_calls();
  }
  ASSERT_TRUE(probe.round().ok());
  const auto calls = probe.kernel.calls();
  const auto change = std::find(calls.begin(), calls.end(), "nft_patch_table inet weft_policy");
  ASSERT_NE(change, calls.end());
  n.kernel.fail_call(static_cast<int>(change - calls.begin()) + 1, ENOENT);
  const auto report = n.round();
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(n.policy_writes(), (std::vector<std::string>{"nft_patch_table inet weft_policy",
                                                         "nft_replace_table inet weft_policy"}));
  auto t = n.table();
  ASSERT_TRUE(t);
  EXPECT_TRUE(set_with(*t, "198.19.0.9"));
}

TEST(PolicyBackend, AnUnreadablePolicyIsAProblemAndTheLastPolicyGoneRemovesTheTable) {
  Node n;
  n.endpoint("h1", "c1", "x", "db", {{"app", "db"}}, "198.19.0.2");
  n.apply_policy_file(kAllowFromWeb);
  n.model.policy_records[model::keys::policy("x", "broken")] = "{\"kind\": 7}";
  const auto desired = n.desired();
  ASSERT_EQ(desired.problems.size(), 1u);
  EXPECT_NE(desired.problems[0].find("/weft/v1/policies/x/broken"), std::string::npos) << desired.problems[0];
  ASSERT_TRUE(desired.policy);
  EXPECT_TRUE(has_verdict_for(*desired.policy, "weftc1")) << "the readable policy still applies";
  ASSERT_TRUE(n.reconciler.apply(desired).ok());

  n.model.policy_records.clear();
  auto report = n.round();
  ASSERT_EQ(report.changes.size(), 1u);
  EXPECT_EQ(report.changes[0], "nftables delete table inet weft_policy (no network policy)");
  EXPECT_FALSE(n.table());
}

}  // namespace

TEST(PolicyBackend, RemovesTheTableTheCompilerNames) {
  EXPECT_EQ(kPolicyFamily, policy::kPolicyFamily);
  EXPECT_EQ(kPolicyTableName, policy::kPolicyTableName);
}

}  // namespace weft::dataplane
