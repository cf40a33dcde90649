// NetlinkKernel, the real KernelOps, inside a namespace of the test's own: it acts on the
// namespace it was opened for whatever thread calls it, and an nftables table written from a
// value reads back as the same value (so the NAT backend's diff finds nothing to do on a second
// round).
#include "kernel/netlink_kernel.h"

#include "dataplane/nat.h"
#include "dataplane/nft_diff.h"
#include "kernel_fixture.h"
#include "policy/compile.h"
#include "policy/policy_file.h"

namespace weft::kernel::testing {
namespace {

class NetlinkKernelTest : public KernelTest {};

TEST_F(NetlinkKernelTest, ActsInItsNamespaceForRoutesSysctlsAndTables) {
  const std::string name = netns("nk");
  auto fd = NetnsFd::open(name);
  ASSERT_TRUE(fd) << fd.error().describe();
  auto k = open_netlink_kernel(*fd);
  ASSERT_TRUE(k) << k.error().describe();
  auto link = veth_with_address("nk", "nk0", "nk1", "198.18.7.1/24");

  ASSERT_TRUE((*k)->replace_route(Route::via_gateway(pfx("198.19.7.0/24"), ip("198.18.7.2"), link.index)));
  auto routes = (*k)->list_routes();
  ASSERT_TRUE(routes);
  ASSERT_EQ(routes->size(), 1u);
  EXPECT_EQ(routes->front().destination, pfx("198.19.7.0/24"));
  EXPECT_NE(ip_in("nk", "route show proto 247").find("198.19.7.0/24 via 198.18.7.2"), std::string::npos);

  for (const char* value : {"0", "1"}) {  // both ways: the namespace may have inherited either
    ASSERT_TRUE((*k)->write_sysctl("net.ipv4.ip_forward", value));
    EXPECT_EQ(run_command("ip netns exec " + name + " cat /proc/sys/net/ipv4/ip_forward").out, std::string(value) + "\n");
  }

  auto table = dataplane::nat_table({pfx("198.19.0.0/16"), pfx("fd00:198:19::/48")}, {pfx("198.19.0.0/16")});
  ASSERT_TRUE(table);
  auto none = (*k)->nft_get_table("inet", "weft");
  ASSERT_TRUE(none) << none.error().describe();
  EXPECT_FALSE(*none) << "no table yet";
  ASSERT_TRUE((*k)->nft_replace_table(*table));
  auto back = (*k)->nft_get_table("inet", "weft");
  ASSERT_TRUE(back) << back.error().describe();
  ASSERT_TRUE(*back);
  EXPECT_TRUE(dataplane::same_nft_table(**back, *table))
      << "read back:\n" << replace_script(**back) << "written:\n" << replace_script(*table);
  // Absent from the root namespace: nft must answer, and answer "no such table".
  const auto root = run_command("nft list table inet weft");
  EXPECT_NE(root.exit_code, 0);
  EXPECT_NE(root.out.find("No such file or directory"), std::string::npos)
      << "the probe itself failed, or the table is in the root namespace: " << root.out;
  ASSERT_TRUE((*k)->nft_delete_table("inet", "weft"));
  EXPECT_FALSE(*(*k)->nft_get_table("inet", "weft"));
}

// The policy driver's incremental path through the real nft: a compiled policy table reads back
// equal, and the patch between two compilations turns the kernel's table into the second one in
// one commit (one nftables generation): element edits only (an endpoint moved address, another
// joined the selector, one left this host), chains rewritten (a policy's port changed), chains and
// sets deleted (the last workload left) and added again.
TEST_F(NetlinkKernelTest, PolicyTablePatchesInPlace) {
  const std::string name = netns("nkp");
  auto fd = NetnsFd::open(name);
  ASSERT_TRUE(fd) << fd.error().describe();
  auto k = open_netlink_kernel(*fd);
  ASSERT_TRUE(k) << k.error().describe();
  auto policies = policy::parse_policy_file(R"(
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db, namespace: x}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: web}}}]
    ports: [{port: 5432}, {port: http}]
)");
  ASSERT_TRUE(policies) << policies.error().describe();
  const auto endpoint = [](std::string pod, std::string app, const char* v4, const char* v6, std::string veth) {
    return policy::EndpointInfo{.name = pod, .namespace_name = "x", .labels = {{"app", app}},
                                .addresses = {ip(v4), ip(v6)}, .ports = {{"http", policy::Protocol::tcp, 8080}},
                                .host = "h1", .interface = veth};
  };
  policy::ClusterView view{.policies = *policies};
  view.endpoints = {endpoint("db1", "db", "198.19.1.2", "fd00:198:19::2", "weft0000000001"),
                    endpoint("db2", "db", "198.19.1.3", "fd00:198:19::3", "weft0000000002"),
                    endpoint("web1", "web", "198.19.2.2", "fd00:198:19::1:2", "weft0000000003")};
  const policy::CompileOptions options{.host = "h1", .own_devices = {"weft.vxlan"}};
  const auto first = policy::compile(view, options);
  ASSERT_TRUE((*k)->nft_replace_table(first));
  auto back = (*k)->nft_get_table(policy::kPolicyFamily, policy::kPolicyTableName);
  ASSERT_TRUE(back && *back) << (back ? "no table" : back.error().describe());
  EXPECT_TRUE(dataplane::same_nft_table(**back, first)) << "read back:\n" << replace_script(**back);

  view.endpoints[2].addresses = {ip("198.19.2.9"), ip("fd00:198:19::1:9")};  // web1 moved
  view.endpoints[1].labels = {{"app", "web"}};                               // db2 is now a web pod: it joins the peer set
  view.endpoints.push_back(endpoint("web2", "web", "198.19.3.2", "fd00:198:19::2:2", ""));  // elsewhere
  view.endpoints.back().host = "h2";
  const auto second = policy::compile(view, options);
  ASSERT_EQ(second.sets[2].name, "to_workload");
  ASSERT_EQ(second.sets[2].elements.size(), first.sets[2].elements.size() - 1) << "db2 is no longer selected";
  ASSERT_EQ(second.chains, first.chains) << "db1 still uses the chain the two shared";
  // Applies the patch from what the kernel lists to `wanted`, checks the listing is `wanted` after
  // and that the patch was one commit (the policy driver trusts the generation on that).
  const auto patch_to = [&](const NftTable& wanted) -> NftTablePatch {
    auto listed = (*k)->nft_get_table(policy::kPolicyFamily, policy::kPolicyTableName);
    EXPECT_TRUE(listed && *listed);
    if (!listed || !*listed) return {};
    auto patch = dataplane::table_patch(**listed, wanted);
    EXPECT_TRUE(patch) << "a patch can do it";
    if (!patch) return {};
    const auto before = (*k)->nft_generation();
    EXPECT_TRUE(before) << before.error().describe();
    EXPECT_TRUE((*k)->nft_patch_table(policy::kPolicyFamily, policy::kPolicyTableName, *patch))
        << patch_script(policy::kPolicyFamily, policy::kPolicyTableName, *patch);
    const auto after = (*k)->nft_generation();
    EXPECT_TRUE(before && after && *after == *before + 1) << "one transaction, one generation";
    listed = (*k)->nft_get_table(policy::kPolicyFamily, policy::kPolicyTableName);
    EXPECT_TRUE(listed && *listed && dataplane::same_nft_table(**listed, wanted))
        << "read back:\n" << (listed && *listed ? replace_script(**listed) : "none") << "wanted:\n" << replace_script(wanted);
    return *patch;
  };
  auto patch = patch_to(second);
  EXPECT_TRUE(patch.rewrite_chains.empty() && patch.add_chains.empty() && patch.delete_chains.empty() && !patch.elements.empty())
      << "only elements changed";

  // A policy change rewrites chains in place.
  view.policies.front().ingress.front().ports.front() = policy::PortRange{5433, 5433};
  const auto third = policy::compile(view, options);
  patch = patch_to(third);
  EXPECT_FALSE(patch.rewrite_chains.empty() && patch.add_chains.empty()) << "the rules changed";

  // The last workload leaving this host and the policy deleted: chains and sets go.
  view.policies.clear();
  view.endpoints.erase(view.endpoints.begin(), view.endpoints.begin() + 3);
  const auto fourth = policy::compile(view, options);
  patch = patch_to(fourth);
  EXPECT_FALSE(patch.delete_chains.empty()) << "the endpoint chains are gone";
  // And back: chains and sets added.
  patch = patch_to(third);
  EXPECT_FALSE(patch.add_chains.empty());

  // Removing what is not there fails and changes nothing.
  const NftTablePatch bogus{.rewrite_chains = {{.name = third.chains.back().name, .rules = {"accept"}}},
                            .elements = {{.set = "workloads", .remove = {"\"weft0000000001\""}},
                                         {.set = "workloads", .remove = {"\"nothere\""}}}};
  EXPECT_FALSE((*k)->nft_patch_table(policy::kPolicyFamily, policy::kPolicyTableName, bogus));
  back = (*k)->nft_get_table(policy::kPolicyFamily, policy::kPolicyTableName);
  ASSERT_TRUE(back && *back);
  EXPECT_TRUE(dataplane::same_nft_table(**back, third)) << "one transaction: nothing applied";
}

}  // namespace
}  // namespace weft::kernel::testing
