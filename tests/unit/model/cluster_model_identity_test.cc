// The cluster model's view of endpoints and namespaces: what the policy driver reads.
#include <gtest/gtest.h>

#include "model/cluster_model.h"
#include "model/keys.h"

namespace weft::model {
namespace {

store::KeyValue kv(std::string key, std::string value) { return store::KeyValue{.key = std::move(key), .value = std::move(value)}; }

store::WatchBatch batch(std::vector<store::WatchEvent> events, int64_t revision) {
  return store::WatchBatch{.resync = false, .events = std::move(events), .revision = revision};
}

const std::string kEp1 = keys::endpoint("h1", "c1", "eth0");
const std::string kEp1Value =
    R"({"node":"h1","containerId":"c1","ifname":"eth0","podNamespace":"x","podName":"a","labels":{"app":"web"},
        "ports":[{"name":"http","port":80,"protocol":"TCP"}],"hostVeth":"weft000000000c1",
        "addresses":[{"address":"198.19.1.5","pool":"lab","block":"198.19.1.0/24"}]})";

TEST(ClusterModelIdentity, EndpointsAndNamespacesAreKeptWithoutShakingTheDataPlane) {
  ClusterModel m;
  m.reset({kv(kEp1, kEp1Value), kv(keys::namespace_key("x"), R"({"name":"x","labels":{"team":"a"}})"),
           kv(keys::endpoint("h2", "c2", "eth0"), R"({"node":"h2","containerId":"c2","ifname":"eth0","addresses":[]})")},
          5);
  ASSERT_EQ(m.endpoints.size(), 2u);
  auto local = m.endpoints_of("h1");
  ASSERT_EQ(local.size(), 1u);
  EXPECT_EQ(local[0]->host_veth, "weft000000000c1");
  EXPECT_EQ(local[0]->ports, (std::vector<NamedPort>{{"http", 80, "TCP"}}));
  EXPECT_EQ(m.labels_of_namespace("x"), (Labels{{"team", "a"}, {"kubernetes.io/metadata.name", "x"}}));
  EXPECT_EQ(m.labels_of_namespace("nowhere"), (Labels{{"kubernetes.io/metadata.name", "nowhere"}}));

  const uint64_t before = m.policy_generation;
  const bool changed = m.apply(batch({{store::WatchEvent::Type::put, kv(kEp1, std::string(kEp1Value).replace(
                                                                           kEp1Value.find("web"), 3, "api"))}},
                                     6));
  EXPECT_FALSE(changed) << "a label change is no route or BGP change";
  EXPECT_GT(m.policy_generation, before);
  EXPECT_EQ(m.endpoints.at(kEp1).labels.at("app"), "api");

  const uint64_t mid = m.policy_generation;
  m.apply(batch({{store::WatchEvent::Type::remove, kv(keys::namespace_key("x"), "")},
                 {store::WatchEvent::Type::put, kv(keys::endpoint("h2", "c2", "eth0"), "garbage")}},
                7));
  EXPECT_GT(m.policy_generation, mid);
  EXPECT_TRUE(m.namespaces.empty());
  EXPECT_EQ(m.endpoints.size(), 1u) << "an unreadable endpoint is dropped";
  EXPECT_TRUE(m.skipped.contains(keys::endpoint("h2", "c2", "eth0")));
}

TEST(ClusterModelIdentity, ANamespaceStoredUnderAnotherNameIsSkipped) {
  ClusterModel m;
  m.reset({kv(keys::namespace_key("x"), R"({"name":"y"})")}, 1);
  EXPECT_TRUE(m.namespaces.empty());
  EXPECT_TRUE(m.skipped.contains(keys::namespace_key("x")));
}

TEST(ClusterModelIdentity, PolicyRecordsAreKeptAsTheirTextUntilDeleted) {
  ClusterModel m;
  const std::string k8s = keys::network_policy("x", "deny"), weft = keys::policy("x", "p"), global = keys::global_policy("g");
  m.reset({kv(k8s, "{1}"), kv(weft, "{2}")}, 1);
  EXPECT_EQ(m.policy_records, (std::map<std::string, std::string>{{k8s, "{1}"}, {weft, "{2}"}}));
  const uint64_t before = m.policy_generation;
  EXPECT_FALSE(m.apply(batch({{store::WatchEvent::Type::put, kv(global, "{3}")},
                              {store::WatchEvent::Type::remove, kv(k8s, "")}},
                             2)));
  EXPECT_GT(m.policy_generation, before);
  EXPECT_EQ(m.policy_records, (std::map<std::string, std::string>{{global, "{3}"}, {weft, "{2}"}}));
  const uint64_t after = m.policy_generation;
  m.apply(batch({{store::WatchEvent::Type::remove, kv(keys::policy("x", "never-there"), "")}}, 3));
  EXPECT_EQ(m.policy_generation, after) << "removing what was not there changes nothing";
}

}  // namespace
}  // namespace weft::model
