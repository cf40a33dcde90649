// The JSON a policy is stored as (model/keys.h: networkpolicies/, policies/, globalpolicies/):
// the model's own form, selectors as their canonical text, so every agent reads the same policy
// without the original document.
//
//   {"kind": "NetworkPolicy", "namespace": "x", "name": "allow-web", "order": 1000,
//    "selector": "app == \"web\"", "types": ["Ingress"],
//    "ingress": [{"name": "ingress[0].from[0]", "action": "Allow", "protocol": "TCP",
//                 "ports": [{"first": 80, "last": 80}, {"name": "http"}], "icmp": {"type": 8},
//                 "peer": {"selector": "...", "namespaceSelector": "...", "nets": [], "notNets": []}}],
//    "egress": []}
//
// Contract: decode_policy(encode(p)) == p. decode_policy returns Errc::corrupt naming the key and
// what is wrong.
#pragma once

#include <string_view>

#include "base/json.h"
#include "policy/policy.h"

namespace weft::policy {

Json encode(const Policy& policy);
Result<Policy> decode_policy(std::string_view key, std::string_view json_text);

}  // namespace weft::policy
