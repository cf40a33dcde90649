// Endpoint identity through the real path (issue 11): the runtime's CNI_ARGS, labels and named
// ports go through weft-cni and weftd's socket into the endpoint record in etcd; malformed values
// are refused with the CNI error format and leave nothing behind; labels change later with
// `weft endpoint label`.
#include "cni_fixture.h"

namespace weft::testing {
namespace {

TEST_F(CniTest, NamespacePodLabelsAndNamedPortsReachTheEndpointRecord) {
  const std::string ns = c().container("ident");
  const std::string config = c().config("1.0.0", R"("args":{"cni":{"labels":[{"key":"app","value":"web"}],
      "ports":[{"name":"dns","port":53,"protocol":"udp"}]}},
      "runtimeConfig":{"labels":{"tier":"front"},"portMappings":[{"name":"http","hostPort":8080,"containerPort":80,
      "protocol":"tcp"},{"hostPort":9000,"containerPort":9000}]})");
  auto r = c().cni("ADD", "ctr-id", ns, config, "eth0", {{"CNI_ARGS", "IgnoreUnknown=1;K8S_POD_NAMESPACE=team-a;K8S_POD_NAME=web-1"}});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;

  auto plain_ns = c().container("plain");
  ASSERT_EQ(c().cni("ADD", "ctr-plain", plain_ns, c().config()).exit_code, 0);

  auto listed = c().weft({"endpoint", "list", "-o", "json"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  const Json eps = *parse_json(listed.out);
  ASSERT_EQ(eps.size(), 2u) << listed.out;
  const Json& ep = eps[0]["containerId"] == "ctr-id" ? eps[0] : eps[1];
  const Json& plain = eps[0]["containerId"] == "ctr-id" ? eps[1] : eps[0];
  EXPECT_EQ(ep["podNamespace"], "team-a");
  EXPECT_EQ(ep["podName"], "web-1");
  EXPECT_EQ(ep["labels"], (Json{{"app", "web"}, {"tier", "front"}}));
  EXPECT_EQ(ep["ports"], *parse_json(R"([{"name":"dns","port":53,"protocol":"UDP"},{"name":"http","port":80,"protocol":"TCP"}])"));
  EXPECT_EQ(plain["podNamespace"], "default") << "no K8S_POD_NAMESPACE: the default namespace";
  EXPECT_TRUE(plain["labels"].empty());

  auto label = c().weft({"endpoint", "label", "team-a/web-1", "app=api", "tier-"});
  ASSERT_EQ(label.exit_code, 0) << label.err;
  auto after = *parse_json(c().weft({"endpoint", "list", "-o", "json"}).out);
  const Json& relabelled = after[0]["containerId"] == "ctr-id" ? after[0] : after[1];
  EXPECT_EQ(relabelled["labels"], (Json{{"app", "api"}}));
  EXPECT_EQ(relabelled["addresses"], ep["addresses"]) << "relabelling keeps the allocation";

  // DEL still releases everything.
  ASSERT_EQ(c().cni("DEL", "ctr-id", ns, config).exit_code, 0);
  EXPECT_EQ(keys("/weft/v1/endpoints/h1/ctr-id").size(), 0u);
}

TEST_F(CniTest, MalformedIdentityIsACniErrorAndAllocatesNothing) {
  const std::string ns = c().container("bad");
  struct Case {
    std::string extra;
    std::string cni_args;
    int code;
    std::string text;
  } cases[] = {
      {"", "K8S_POD_NAMESPACE=Not_A_Label", 4, "K8S_POD_NAMESPACE"},
      {"", "K8S_POD_NAME=a/b", 4, "K8S_POD_NAME"},
      {R"("args":{"cni":{"ports":[{"name":"http","port":0}]}})", "", 7, "not 1-65535"},
      {R"("args":{"cni":{"ports":[{"name":"http","port":80,"protocol":"icmp"}]}})", "", 7, "icmp"},
      {R"("runtimeConfig":{"portMappings":[{"name":"Bad Name","containerPort":80}]})", "", 7, "port name"},
      {R"("args":{"cni":{"labels":[{"key":"a b","value":"x"}]}})", "", 7, "not a valid label key"},
  };
  for (const auto& k : cases) {
    auto r = c().cni("ADD", "ctr-bad", ns, c().config("1.0.0", k.extra), "eth0", {{"CNI_ARGS", k.cni_args}});
    EXPECT_EQ(r.exit_code, 1) << k.text;
    auto err = parse_json(r.out);
    ASSERT_TRUE(err) << r.out;
    EXPECT_EQ((*err)["code"], k.code) << r.out;
    EXPECT_NE(r.out.find(k.text), std::string::npos) << r.out;
  }
  EXPECT_TRUE(keys("/weft/v1/endpoints/").empty());
  EXPECT_TRUE(keys("/weft/v1/allocations/").empty());
  EXPECT_FALSE(host_link_exists(host_veth("ctr-bad")));
}

}  // namespace
}  // namespace weft::testing
