// The compiler: the rendered ruleset against a checked-in golden file, determinism, and the
// property the driver relies on — an endpoint joining a selector changes set elements only.
// Regenerate the golden after an intended change with WEFT_UPDATE_GOLDEN=1 and review the diff.
#include "policy/compile.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>

#include "parse.h"
#include "policy/policy_file.h"

namespace weft::policy {
namespace {

using weft::testing::ip;

constexpr const char* kPolicies = R"y(
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web, namespace: x}
spec:
  podSelector: {matchLabels: {app: a}}
  ingress:
  - from:
    - namespaceSelector: {matchLabels: {team: b}}
      podSelector: {matchLabels: {app: b}}
    - ipBlock: {cidr: 203.0.113.0/24, except: [203.0.113.128/25]}
    ports: [{port: http}, {port: 81, endPort: 83}, {protocol: UDP, port: 53}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-egress, namespace: x}
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress:
  - to: [{podSelector: {matchLabels: {app: a}}}]
    ports: [{port: http}]
---
apiVersion: weft.io/v1
kind: GlobalPolicy
metadata: {name: no-b}
spec:
  order: 10
  selector: has(app)
  ingress:
  - {action: Log, protocol: ICMP, icmp: {type: 8, code: 0}}
  - {action: Deny, source: {selector: "app == 'b'", namespaceSelector: "team == 'b'"}}
  - {action: Pass, protocol: ICMPv6}
  - {action: Allow, protocol: UDP, destination: {ports: [53]}}
)y";

ClusterView cluster() {
  ClusterView v;
  auto parsed = parse_policy_file(kPolicies);
  EXPECT_TRUE(parsed) << parsed.error().message;
  if (parsed) v.policies = *parsed;
  v.namespaces = {{"x", {{"team", "a"}}}, {"y", {{"team", "b"}}}};
  v.endpoints = {
      {.name = "a", .namespace_name = "x", .labels = {{"app", "a"}}, .addresses = {ip("198.19.1.1"), ip("fd00::1:1")},
       .ports = {{"http", Protocol::tcp, 8080}}, .host = "h1", .interface = "weft00000000001"},
      {.name = "b", .namespace_name = "x", .labels = {{"app", "b"}}, .addresses = {ip("198.19.1.2")}, .host = "h1",
       .interface = "weft00000000002"},
      {.name = "a", .namespace_name = "y", .labels = {{"app", "a"}}, .addresses = {ip("198.19.2.1")},
       .ports = {{"http", Protocol::tcp, 9090}}, .host = "h2", .interface = "weft00000000003"},
      {.name = "b", .namespace_name = "y", .labels = {{"app", "b"}}, .addresses = {ip("198.19.2.2"), ip("fd00::2:2")},
       .host = "h2", .interface = "weft00000000004"},
  };
  return v;
}

const CompileOptions kH1{.host = "h1", .own_devices = {"weft.vxlan"}};

TEST(Compile, RenderedRulesetMatchesTheGolden) {
  const std::string rendered = kernel::replace_script(compile(cluster(), kH1));
  const std::string path = std::string(WEFT_POLICY_GOLDEN_DIR) + "/h1.nft";
  if (std::getenv("WEFT_UPDATE_GOLDEN")) {
    std::ofstream(path) << rendered;
    GTEST_SKIP() << "wrote " << path;
  }
  std::ifstream in(path);
  ASSERT_TRUE(in) << "missing " << path;
  std::stringstream golden;
  golden << in.rdbuf();
  EXPECT_EQ(rendered, golden.str());
}

TEST(Compile, DeterministicWhateverTheInputOrder) {
  auto v = cluster();
  const auto first = compile(v, kH1);
  std::mt19937 shuffle(7);
  for (int i = 0; i < 5; ++i) {
    std::shuffle(v.endpoints.begin(), v.endpoints.end(), shuffle);
    std::shuffle(v.policies.begin(), v.policies.end(), shuffle);
    EXPECT_EQ(compile(v, kH1), first);
  }
}

TEST(Compile, AnEndpointJoiningASelectorChangesSetElementsOnly) {
  auto v = cluster();
  const auto before = compile(v, kH1);
  // y/a becomes app=b: it joins the peer "app == b in team b" (a remote endpoint).
  v.endpoints[2].labels["app"] = "b";
  const auto after = compile(v, kH1);
  EXPECT_NE(after, before);
  EXPECT_EQ(after.chains, before.chains);
  ASSERT_EQ(after.sets.size(), before.sets.size());
  int changed = 0;
  for (size_t i = 0; i < after.sets.size(); ++i) {
    EXPECT_EQ(after.sets[i].name, before.sets[i].name);
    EXPECT_EQ(after.sets[i].type, before.sets[i].type);
    if (after.sets[i].elements != before.sets[i].elements) ++changed;
  }
  EXPECT_GT(changed, 0);
}

TEST(Compile, EndpointsOfOtherHostsGetNoChainsAndUnselectedNoneEither) {
  const auto t = compile(cluster(), CompileOptions{.host = "h2"});
  std::vector<std::string> chains;
  for (const auto& c : t.chains) chains.push_back(c.name);
  // y/a and y/b are selected by no-b (has(app)) for ingress; no policy of y selects egress. Their
  // rules are the same, so they share one chain.
  ASSERT_EQ(chains.size(), 2u);
  EXPECT_EQ(chains[0], "forward");
  EXPECT_TRUE(chains[1].starts_with("in_")) << chains[1];
  const auto& to = t.sets[2];
  ASSERT_EQ(to.name, "to_workload");
  ASSERT_EQ(to.elements.size(), 2u);
  EXPECT_TRUE(to.elements[0].starts_with("\"weft00000000003\" : jump ") && to.elements[0].ends_with(chains[1])) << to.elements[0];
  EXPECT_TRUE(to.elements[1].starts_with("\"weft00000000004\" : jump ") && to.elements[1].ends_with(chains[1])) << to.elements[1];
}

TEST(Compile, EqualPeersShareOneSet) {
  auto v = cluster();
  auto extra = parse_policy_file(
      "apiVersion: weft.io/v1\nkind: GlobalPolicy\nmetadata: {name: same}\nspec:\n  ingress:\n"
      "  - {action: Allow, source: {namespaceSelector: \"team == 'b'\", selector: \"app in {'b'}\"}}\n");
  ASSERT_TRUE(extra) << extra.error().message;
  const auto before = compile(v, kH1).sets.size();
  v.policies.push_back(extra->front());
  EXPECT_EQ(compile(v, kH1).sets.size(), before) << "same peer as no-b's Deny rule, spelled differently";
}

}  // namespace
}  // namespace weft::policy

namespace weft::policy {
namespace {

// golden/h1.listing is what `nft list table inet weft_policy` (nftables 1.0.6) printed after
// loading golden/h1.nft: the compiled table reads back equal, so a driver that diffs the kernel's
// listing against compile() sees no difference in an unchanged ruleset.
TEST(Compile, ReadsBackEqualFromNftsListing) {
  std::ifstream in(std::string(WEFT_POLICY_GOLDEN_DIR) + "/h1.listing");
  ASSERT_TRUE(in);
  std::stringstream listing;
  listing << in.rdbuf();
  auto read = kernel::parse_listing(listing.str());
  ASSERT_TRUE(read) << read.error().message;
  EXPECT_EQ(*read, compile(cluster(), kH1));
}

}  // namespace
}  // namespace weft::policy
