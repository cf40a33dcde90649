// The stored JSON of a policy decodes to the same policy.
#include "policy/policy_codec.h"

#include <gtest/gtest.h>

#include "policy/policy_file.h"

namespace weft::policy {
namespace {

TEST(PolicyCodec, RoundTripsEveryField) {
  auto file = parse_policy_file(R"y(
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web, namespace: x}
spec:
  # "all" and "has" are label keys here, not all() and has() (found by policy_file_fuzz)
  podSelector: {matchLabels: {app: web, all: x, has: y}}
  ingress:
  - from:
    - {podSelector: {}, namespaceSelector: {matchLabels: {team: a}}}
    - ipBlock: {cidr: 2001:db8::/32, except: [2001:db8:1::/48]}
    ports: [{port: 80, endPort: 90}, {port: http}]
  egress: [{}]
---
apiVersion: weft.io/v1
kind: GlobalPolicy
metadata: {name: g}
spec:
  order: 5
  selector: "!has(x)"
  ingress: [{action: Log}, {action: Deny, protocol: ICMPv6, icmp: {type: 128, code: 0}}]
)y");
  ASSERT_TRUE(file) << file.error().message;
  ASSERT_EQ(file->size(), 2u);
  for (const auto& p : *file) {
    const std::string text = dump_json(encode(p));
    auto back = decode_policy("k", text);
    ASSERT_TRUE(back) << back.error().message << "\n" << text;
    EXPECT_EQ(*back, p) << text;
  }
}

TEST(PolicyCodec, CorruptValuesNameTheKey) {
  for (const char* bad : {"", "[]", R"({"kind": "Other"})",
                          R"({"kind": "Policy", "name": "a", "order": 1, "selector": "a ==", "types": []})",
                          R"({"kind": "Policy", "name": "a", "order": 1, "selector": "", "types": [],
                              "ingress": [{"name": "i", "action": "Allow", "peer": {"nets": ["300.0.0.0/8"]}}]})"}) {
    auto r = decode_policy("/weft/v1/policies/x/a", bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, Errc::corrupt);
    EXPECT_NE(r.error().message.find("policy /weft/v1/policies/x/a: "), std::string::npos) << r.error().message;
  }
}

}  // namespace
}  // namespace weft::policy
