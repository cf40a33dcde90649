#include "model/endpoint.h"

#include <gtest/gtest.h>

#include "model/keys.h"
#include "parse.h"

namespace weft::model {
namespace {

using ::weft::testing::ip;
using ::weft::testing::pfx;

const std::string kKey = keys::endpoint("h1", "c1", "eth0");

TEST(Endpoint, IdentityLabelsAndNamedPortsRoundTrip) {
  Endpoint e;
  e.node = "h1";
  e.container_id = "c1";
  e.ifname = "eth0";
  e.pod_namespace = "x";
  e.pod_name = "a";
  e.labels = {{"app", "a"}, {"tier", "web"}};
  e.ports = {{"http", 80, "TCP"}, {"dns", 53, "UDP"}};
  e.host_veth = "weft0123456789a";
  e.addresses = {{ip("198.19.1.5"), "lab", pfx("198.19.1.0/24")}};
  const std::string text = dump_json(encode(e));
  EXPECT_NE(text.find(R"("ports":[{"name":"http","port":80,"protocol":"TCP"})"), std::string::npos) << text;
  auto back = decode_endpoint(kKey, text);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(*back, e);
}

TEST(Endpoint, RecordsWrittenBeforeIdentityExistedStillDecode) {
  auto old = decode_endpoint(kKey, R"({"node":"h1","containerId":"c1","ifname":"eth0",
      "addresses":[{"address":"198.19.1.5","pool":"lab","block":"198.19.1.0/24"}]})");
  ASSERT_TRUE(old) << old.error().message;
  EXPECT_TRUE(old->labels.empty());
  EXPECT_TRUE(old->ports.empty());
  EXPECT_EQ(old->pod_namespace, "");
}

TEST(Endpoint, MalformedPortsAreCorrupt) {
  for (const char* ports : {R"({})", R"([{"name":"http"}])", R"([{"name":"http","port":99999}])",
                            R"([{"name":"h","port":1},{"name":"h","port":2}])"}) {
    auto r = decode_endpoint(kKey, std::string(R"({"node":"h1","containerId":"c1","ifname":"eth0","addresses":[],"ports":)") +
                                       ports + "}");
    ASSERT_FALSE(r) << ports;
    EXPECT_EQ(r.error().code, Errc::corrupt) << ports;
    EXPECT_NE(r.error().message.find(kKey), std::string::npos) << r.error().message;
  }
}

TEST(NamedPort, ParsesTheLabSyntax) {
  auto http = parse_named_port("http=80/tcp");
  ASSERT_TRUE(http) << http.error().message;
  EXPECT_EQ(*http, (NamedPort{"http", 80, "TCP"}));
  EXPECT_EQ(*parse_named_port("dns=53/UDP"), (NamedPort{"dns", 53, "UDP"}));
  EXPECT_EQ(*parse_named_port("web-2=8080"), (NamedPort{"web-2", 8080, "TCP"}));
  for (const char* bad : {"http", "=80", "http=", "http=x", "http=80/icmp", "http=0", "http=65536", "HTTP=80",
                          "a--b=1", "-a=1", "123=1", "sixteen-letters-=1", "http=80x"}) {
    auto r = parse_named_port(bad);
    EXPECT_FALSE(r) << bad;
    if (!r) {
      EXPECT_EQ(r.error().code, Errc::invalid_argument) << bad;
    }
  }
}

}  // namespace
}  // namespace weft::model
