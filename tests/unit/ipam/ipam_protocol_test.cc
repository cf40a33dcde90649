// The IPAM socket codec (ipam/ipam_protocol.h): round trips, and a table of malformed input that
// must be refused with invalid_argument, never thrown on or half-accepted.
#include <gtest/gtest.h>

#include <set>

#include "ipam/ipam_protocol.h"
#include "parse.h"

namespace weft::ipam::protocol {
namespace {

using ::weft::testing::ip;  // tests/support/parse.h
using ::weft::testing::pfx;

TEST(IpamProtocol, RequestsRoundTrip) {
  std::vector<Request> requests = {
      Request{.op = Op::status},
      Request{.op = Op::add, .container_id = "c0ffee", .ifname = "eth0", .netns = "/run/netns/x", .network = "weft",
              .pod_namespace = "default", .pod_name = "web-1", .labels = {{"app", "web"}},
              .ports = {{"http", 80, "TCP"}, {"dns", 53, "UDP"}}, .pools = {"lab", "lab6"}},
      Request{.op = Op::del, .container_id = "a.b_c-d", .ifname = "net1"},
      Request{.op = Op::check, .container_id = "x", .ifname = "eth0"},
      Request{.op = Op::gc, .valid_attachments = {{"c1", "eth0"}, {"c2", "net1"}}, .grace_seconds = 0},
      Request{.op = Op::gc},
  };
  for (const auto& r : requests) {
    const std::string line = encode(r);
    ASSERT_EQ(line.back(), '\n');
    EXPECT_EQ(line.find('\n'), line.size() - 1) << "one line only";
    auto decoded = decode_request(line);
    ASSERT_TRUE(decoded) << line << ": " << decoded.error().message;
    EXPECT_EQ(*decoded, r) << line;
  }
}

TEST(IpamProtocol, ResponsesRoundTrip) {
  Response ok{.node = "h1", .mtu = 1450};
  ok.addresses = {{ip("198.19.1.5"), "lab", pfx("198.19.1.0/24")},
                  {ip("fd00:198:19::105"), "lab6", pfx("fd00:198:19::100/120")}};
  Response gc{.node = "h1"};
  gc.released = {{"c1", "eth0"}};
  Response status{.node = "h1", .ready = true, .detail = "1 pool(s)"};
  Response failed = Response::failure(Error{Errc::exhausted, "pool lab has no free block"});
  for (const auto& r : {ok, gc, status, failed}) {
    auto decoded = decode_response(encode(r));
    ASSERT_TRUE(decoded) << encode(r) << ": " << decoded.error().message;
    EXPECT_EQ(decoded->ok(), r.ok());
    EXPECT_EQ(decoded->node, r.node);
    EXPECT_EQ(decoded->mtu, r.mtu);
    EXPECT_EQ(decoded->addresses, r.addresses);
    EXPECT_EQ(decoded->released, r.released);
    EXPECT_EQ(decoded->ready, r.ready);
    EXPECT_EQ(decoded->detail, r.detail);
    if (!r.ok()) {
      EXPECT_EQ(decoded->error->code, Errc::exhausted);
      EXPECT_EQ(decoded->error->message, r.error->message);
    }
  }
}

TEST(IpamProtocol, EveryErrorCodeTravels) {
  for (int i = 0; i <= static_cast<int>(Errc::internal); ++i) {
    const auto code = static_cast<Errc>(i);
    auto decoded = decode_response(encode(Response::failure(Error{code, "x"})));
    ASSERT_TRUE(decoded);
    EXPECT_EQ(decoded->error->code, code) << errc_name(code);
  }
  auto unknown = decode_response(R"({"ok":false,"error":{"code":"from_the_future","message":"m"}})");
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->error->code, Errc::internal);
}

TEST(IpamProtocol, AcceptsARequestWithoutNewlineAndIgnoresUnknownFields) {
  auto r = decode_request(R"({"v":1,"op":"del","containerId":"c1","ifname":"eth0","future":[1,2]})");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->op, Op::del);
}

TEST(IpamProtocol, RefusesMalformedRequests) {
  const std::vector<std::pair<std::string, std::string>> table = {
      {"", "empty"},
      {"{", "truncated"},
      {"[]", "not an object"},
      {"null", "null"},
      {R"({"op":"add"})", "no version"},
      {R"({"v":2,"op":"status"})", "future version"},
      {R"({"v":"1","op":"status"})", "version as string"},
      {R"({"v":1})", "no op"},
      {R"({"v":1,"op":"ADD"})", "op case"},
      {R"({"v":1,"op":"launch"})", "unknown op"},
      {R"({"v":1,"op":"add","ifname":"eth0"})", "add without container id"},
      {R"({"v":1,"op":"add","containerId":"c1"})", "add without ifname"},
      {R"({"v":1,"op":"add","containerId":"","ifname":"eth0"})", "empty container id"},
      {R"({"v":1,"op":"add","containerId":"../etc","ifname":"eth0"})", "path in container id"},
      {R"({"v":1,"op":"add","containerId":"a/b","ifname":"eth0"})", "slash in container id"},
      {R"({"v":1,"op":"add","containerId":"-a","ifname":"eth0"})", "container id starts with -"},
      {R"({"v":1,"op":"add","containerId":"c1","ifname":"eth0:1"})", "colon in ifname"},
      {R"({"v":1,"op":"add","containerId":"c1","ifname":"a very long name"})", "ifname with spaces"},
      {R"({"v":1,"op":"add","containerId":"c1","ifname":"sixteen-chars-xx"})", "ifname too long"},
      {R"({"v":1,"op":"add","containerId":"c1","ifname":".."})", "ifname .."},
      {R"({"v":1,"op":"add","containerId":7,"ifname":"eth0"})", "container id as number"},
      {R"({"v":1,"op":"add","containerId":"c1","ifname":"eth0","labels":["a"]})", "labels as list"},
      {R"({"v":1,"op":"add","containerId":"c1","ifname":"eth0","labels":{"a":1}})", "label value as number"},
      {R"({"v":1,"op":"add","containerId":"c1","ifname":"eth0","pools":"lab"})", "pools as string"},
      {R"({"v":1,"op":"add","containerId":"c1","ifname":"eth0","labels":{"a b":"c"}})", "label key with a space"},
      {R"({"v":1,"op":"add","containerId":"c1","ifname":"eth0","ports":{}})", "ports as object"},
      {R"({"v":1,"op":"add","containerId":"c1","ifname":"eth0","ports":[{"name":"x","port":0}]})", "port 0"},
      {R"({"v":1,"op":"add","containerId":"c1","ifname":"eth0","ports":[{"name":"x","port":1,"protocol":"gre"}]})",
       "unknown protocol"},
      {R"({"v":1,"op":"add","containerId":"c1","ifname":"eth0","netns":5})", "netns as number"},
      {R"({"v":1,"op":"gc","validAttachments":{}})", "attachments as object"},
      {R"({"v":1,"op":"gc","validAttachments":[{"containerId":"c1"}]})", "attachment without ifname"},
      {R"({"v":1,"op":"gc","validAttachments":[{"containerId":"c/1","ifname":"eth0"}]})", "bad attachment id"},
      {R"({"v":1,"op":"gc","graceSeconds":-5})", "negative grace"},
      {R"({"v":1,"op":"gc","graceSeconds":1.5})", "fractional grace"},
      {std::string(kMaxMessageBytes + 1, ' '), "oversized"},
  };
  for (const auto& [text, why] : table) {
    auto r = decode_request(text);
    ASSERT_FALSE(r) << why;
    EXPECT_EQ(r.error().code, Errc::invalid_argument) << why;
  }
}

TEST(IpamProtocol, RefusesMalformedResponses) {
  const std::vector<std::pair<std::string, std::string>> table = {
      {"", "empty"},
      {R"({})", "no ok"},
      {R"({"ok":"yes"})", "ok as string"},
      {R"({"ok":false})", "failure without error"},
      {R"({"ok":false,"error":"boom"})", "error as string"},
      {R"({"ok":true,"mtu":-1})", "negative mtu"},
      {R"({"ok":true,"mtu":70000})", "mtu too large"},
      {R"({"ok":true,"addresses":{}})", "addresses as object"},
      {R"({"ok":true,"addresses":[{"address":"198.19.1.300","block":"198.19.1.0/24"}]})", "bad address"},
      {R"({"ok":true,"addresses":[{"address":"198.19.2.5","block":"198.19.1.0/24"}]})", "address outside block"},
      {R"({"ok":true,"addresses":[{"address":"198.19.1.5"}]})", "no block"},
      {R"({"ok":true,"released":[{"containerId":"x"}]})", "released without ifname"},
  };
  for (const auto& [text, why] : table) {
    auto r = decode_response(text);
    ASSERT_FALSE(r) << why;
    EXPECT_EQ(r.error().code, Errc::invalid_argument) << why;
  }
}

TEST(IpamProtocol, ContainerIdsAndInterfaceNamesFollowTheCniSpec) {
  for (auto id : {"a", "0", "c0ffee", "A.b_c-d", "k8s_POD_web-1_default_uid_0"}) EXPECT_TRUE(valid_container_id(id)) << id;
  for (auto id : {"", "_a", ".a", "-a", "a b", "a/b", "a:b", "ä"}) EXPECT_FALSE(valid_container_id(id)) << id;
  EXPECT_FALSE(valid_container_id(std::string(257, 'a')));
  for (auto name : {"eth0", "net1", "a", "fifteen-chars-x", "eth.1"}) EXPECT_TRUE(valid_ifname(name)) << name;
  for (auto name : {"", ".", "..", "a/b", "a:b", "a b", "a\tb", "sixteen-chars-xx"}) EXPECT_FALSE(valid_ifname(name)) << name;
}

TEST(IpamProtocol, HostVethNamesAreStableShortAndDistinct) {
  EXPECT_EQ(host_veth_name("c1", "eth0"), host_veth_name("c1", "eth0"));
  EXPECT_NE(host_veth_name("c1", "eth0"), host_veth_name("c1", "eth1"));
  // The NUL separator keeps ("ab","c") and ("a","bc") apart.
  EXPECT_NE(host_veth_name("ab", "c"), host_veth_name("a", "bc"));
  std::set<std::string> names;
  for (int i = 0; i < 10000; ++i) {
    const std::string name = host_veth_name("container-" + std::to_string(i), "eth0");
    EXPECT_EQ(name.size(), 15u);
    EXPECT_TRUE(name.starts_with("weft"));
    names.insert(name);
  }
  EXPECT_EQ(names.size(), 10000u);
  // Pinned: a change would orphan the veths of running workloads across an upgrade.
  EXPECT_EQ(host_veth_name("c1", "eth0"), "weftf53f02b3bfe");
}

}  // namespace
}  // namespace weft::ipam::protocol
