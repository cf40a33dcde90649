// BGP settings in the store: label selectors, peer validation, the JSON codecs (round trips and
// corrupt values), and the cluster model picking them up from watch events.
#include "model/bgp_config.h"

#include <gtest/gtest.h>

#include "model/cluster_model.h"
#include "model/keys.h"
#include "parse.h"

namespace weft::ipam {
namespace {

using ::weft::testing::ip;  // tests/support/parse.h
using ::weft::testing::pfx;

struct SelectorCase {
  const char* selector;
  std::map<std::string, std::string> labels;
  bool match;
};

TEST(LabelSelector, MatchesEveryTerm) {
  const std::vector<SelectorCase> cases = {
      {"rack=a", {{"rack", "a"}}, true},
      {"rack=a", {{"rack", "b"}}, false},
      {"rack=a", {}, false},
      {"rack!=a", {}, true},
      {"rack!=a", {{"rack", "a"}}, false},
      {"edge", {{"edge", ""}}, true},
      {"edge", {}, false},
      {"!edge", {}, true},
      {"!edge", {{"edge", "yes"}}, false},
      {"rack=a, zone=1", {{"rack", "a"}, {"zone", "1"}}, true},
      {"rack=a,zone=1", {{"rack", "a"}, {"zone", "2"}}, false},
      {"weft.io/route-reflector=true", {{"weft.io/route-reflector", "true"}}, true},
  };
  for (const auto& c : cases) {
    auto s = model::parse_selector(c.selector);
    ASSERT_TRUE(s) << c.selector << ": " << s.error().message;
    EXPECT_EQ(matches(*s, c.labels), c.match) << c.selector;
  }
}

TEST(LabelSelector, RejectsWhatIsNotATerm) {
  for (const char* bad : {"", " ", "=a", "rack=a,", "a b=c", "!"}) {
    auto s = model::parse_selector(bad);
    ASSERT_FALSE(s) << "'" << bad << "'";
    EXPECT_EQ(s.error().code, Errc::invalid_argument);
  }
}

model::BgpPeer tor() {
  return model::BgpPeer{.name = "tor-a", .address = ip("198.18.1.1"), .as_number = 65000, .node_selector = "rack=a",
                        .password = "s3cret"};
}

TEST(BgpPeerValidate, NamesWhatIsWrong) {
  EXPECT_TRUE(validate(tor()));
  struct Case {
    std::function<void(model::BgpPeer&)> change;
    const char* message;
  };
  const std::vector<Case> cases = {
      {[](model::BgpPeer& p) { p.name = "Tor_A"; }, "peer name 'Tor_A'"},
      {[](model::BgpPeer& p) { p.as_number = 0; }, "AS number 0 is out of range"},
      {[](model::BgpPeer& p) { p.as_number = 23456; }, "AS_TRANS"},
      {[](model::BgpPeer& p) { p.node = "h1"; }, "not both"},
      {[](model::BgpPeer& p) { p.node_selector = "a b"; }, "node selector term"},
      {[](model::BgpPeer& p) { p.password = std::string(81, 'x'); }, "longer than 80"},
      {[](model::BgpPeer& p) { p.password = "tab\there"; }, "printable ASCII"},
      {[](model::BgpPeer& p) { p.local_address = ip("2001:db8::1"); }, "not of the peer address's family"},
      {[](model::BgpPeer& p) { p.next_hop_self = {ip("198.18.9.1"), ip("198.18.9.2")}; }, "one next-hop-self address per family"},
  };
  for (const auto& c : cases) {
    auto p = tor();
    c.change(p);
    auto r = validate(p);
    ASSERT_FALSE(r) << c.message;
    EXPECT_NE(r.error().message.find(c.message), std::string::npos) << r.error().message;
  }
}

TEST(BgpCodec, RoundTrips) {
  const model::BgpGlobal global{65010, false};
  EXPECT_EQ(*model::decode_bgp_global(dump_json(encode(global))), global);
  const model::BgpGlobal with_password{64512, true, "mesh secret"};
  EXPECT_EQ(*model::decode_bgp_global(dump_json(encode(with_password))), with_password);
  const model::BgpNodeConfig node{"h1", 4200000000u};
  EXPECT_EQ(*model::decode_bgp_node_config(dump_json(encode(node))), node);
  auto peer = tor();
  peer.accept = {pfx("0.0.0.0/0"), pfx("2001:db8::/32")};
  EXPECT_EQ(*model::decode_bgp_peer(dump_json(encode(peer))), peer);
  peer.local_address = ip("198.18.100.1");
  peer.next_hop_self = {ip("198.18.100.1"), ip("fd00:198:18:100::1")};
  peer.ttl = 3;
  peer.export_mode = model::ExportMode::own;
  peer.exports = {pfx("10.96.0.0/12")};
  EXPECT_EQ(*model::decode_bgp_peer(dump_json(encode(peer))), peer);
  const model::BgpNodeStatus status{
      "h1", 64512, "198.18.1.11", true, 1790000000,
      {{.peer = "h2", .kind = "rr-client", .address = ip("198.18.1.12"), .as_number = 64512, .state = "Established",
        .established_at_unix = 1790000000, .received = 5, .accepted = 4, .advertised = 6},
       {.peer = "tor-a", .kind = "external", .address = ip("198.18.1.1"), .as_number = 65000, .state = "Active",
        .last_error = "connect: refused",
        .last_notification = model::BgpNotificationStatus{"received", 6, 2, "Cease / Administrative Shutdown: \"bye\"",
                                                          1790000100}}}};
  EXPECT_EQ(*model::decode_bgp_status(dump_json(encode(status))), status);
}

// A status written by a weftd from before `accepted` and `lastNotification`: its "received"
// counted only the paths it kept, i.e. the accepted ones.
TEST(BgpCodec, AnOldSessionStatusDecodesWithAcceptedAsReceived) {
  auto s = model::decode_bgp_status(R"({"node": "h1", "asNumber": 64512, "routerId": "198.18.1.11", "updatedAt": 1,
      "sessions": [{"peer": "h2", "kind": "mesh", "address": "198.18.1.12", "asNumber": 64512,
                    "state": "Established", "establishedAt": 1, "received": 7, "advertised": 3}]})");
  ASSERT_TRUE(s) << s.error().describe();
  ASSERT_EQ(s->sessions.size(), 1u);
  EXPECT_EQ(s->sessions[0].received, 7u);
  EXPECT_EQ(s->sessions[0].accepted, 7u);
  EXPECT_EQ(s->sessions[0].advertised, 3u);
  EXPECT_FALSE(s->sessions[0].last_notification);
}

TEST(BgpCodec, ACorruptLastNotificationIsReported) {
  const std::string head = R"({"node": "h1", "sessions": [{"peer": "h2", "address": "198.18.1.12", "state": "Idle", )";
  for (const char* bad : {R"("lastNotification": 6}]})",
                          R"("lastNotification": {"direction": "lost", "code": 6}}]})",
                          R"("lastNotification": {"direction": "sent", "code": 256}}]})",
                          R"("lastNotification": {"direction": "sent", "code": 6, "subcode": -1}}]})",
                          R"("lastNotification": {"direction": "sent"}}]})"}) {
    auto r = model::decode_bgp_status(head + bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, Errc::corrupt) << bad;
  }
  auto ok = model::decode_bgp_status(head + R"("lastNotification": {"direction": "sent", "code": 4}}]})");
  ASSERT_TRUE(ok) << ok.error().describe();
  EXPECT_EQ(ok->sessions[0].last_notification, (model::BgpNotificationStatus{"sent", 4, 0, "", 0}));
}

TEST(BgpCodec, APeerWrittenBeforeTheSessionSettingsKeepsTheDefaults) {
  auto peer = model::decode_bgp_peer(R"({"name": "tor-a", "peerIp": "198.18.1.1", "asNumber": 65000})");
  ASSERT_TRUE(peer) << peer.error().describe();
  EXPECT_EQ(peer->export_mode, model::ExportMode::pools);
  EXPECT_EQ(peer->ttl, 0);
  EXPECT_FALSE(peer->local_address);
  EXPECT_TRUE(peer->next_hop_self.empty());
  for (const char* bad : {R"({"name": "t", "peerIp": "198.18.1.1", "asNumber": 1, "ttl": 256})",
                          R"({"name": "t", "peerIp": "198.18.1.1", "asNumber": 1, "exportMode": "all"})",
                          R"({"name": "t", "peerIp": "198.18.1.1", "asNumber": 1, "localAddress": "x"})",
                          R"({"name": "t", "peerIp": "198.18.1.1", "asNumber": 1, "export": ["10.0.0.0/33"]})"}) {
    auto r = model::decode_bgp_peer(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, Errc::corrupt) << bad;
  }
}

TEST(BgpCodec, DefaultsAndCorruptValues) {
  EXPECT_EQ(*model::decode_bgp_global("{}"), model::BgpGlobal{});
  EXPECT_EQ(model::decode_bgp_global("{}")->as_number, 64512u);
  for (const char* bad : {"", "[]", "{\"asNumber\": 0}", "{\"asNumber\": \"x\"}", "{\"nodeMesh\": 1}",
                          "{\"asNumber\": 4294967296}", "{\"nodeMeshPassword\": 7}",
                          "{\"nodeMeshPassword\": \"tab\\there\"}"}) {
    auto r = model::decode_bgp_global(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, Errc::corrupt) << bad;
  }
  for (const char* bad : {"{\"name\":\"x\",\"peerIp\":\"1.2.3\",\"asNumber\":1}",
                          "{\"name\":\"x\",\"peerIp\":\"1.2.3.4\"}",
                          "{\"name\":\"x\",\"peerIp\":\"1.2.3.4\",\"asNumber\":1,\"accept\":[\"10/8\"]}",
                          "{\"name\":\"x\",\"peerIp\":\"1.2.3.4\",\"asNumber\":-1}"}) {
    auto r = model::decode_bgp_peer(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, Errc::corrupt) << bad;
  }
}

store::WatchBatch put(const std::string& key, const std::string& value, int64_t revision) {
  store::WatchBatch b;
  b.revision = revision;
  b.events.push_back(store::WatchEvent{store::WatchEvent::Type::put, store::KeyValue{key, value}});
  return b;
}

TEST(ClusterModelBgp, TakesSettingsAndPeersAndIgnoresStatus) {
  model::ClusterModel m;
  m.reset({}, 1);
  EXPECT_EQ(m.as_number_of("h1"), model::kDefaultAsNumber);
  EXPECT_TRUE(m.apply(put(model::keys::bgp_config(), dump_json(encode(model::BgpGlobal{65001, true})), 2)));
  EXPECT_TRUE(m.apply(put(model::keys::bgp_node("h2"), dump_json(encode(model::BgpNodeConfig{"h2", 65002})), 3)));
  EXPECT_TRUE(m.apply(put(model::keys::bgp_peer("tor-a"), dump_json(encode(tor())), 4)));
  EXPECT_EQ(m.as_number_of("h1"), 65001u);
  EXPECT_EQ(m.as_number_of("h2"), 65002u);
  ASSERT_EQ(m.bgp_peers.size(), 1u);
  EXPECT_FALSE(m.apply(put(model::keys::bgp_status("h1"), "{}", 5))) << "status is output, not input";

  EXPECT_TRUE(m.apply(put(model::keys::bgp_peer("tor-a"), "{broken", 6)));
  EXPECT_TRUE(m.bgp_peers.empty()) << "an unreadable peer is dropped, not kept stale";
  EXPECT_TRUE(m.skipped.contains(model::keys::bgp_peer("tor-a")));

  EXPECT_TRUE(m.apply(put(model::keys::bgp_config(), "{\"asNumber\": 0}", 7)));
  EXPECT_EQ(m.as_number_of("h1"), 65001u) << "an unreadable value keeps the last good settings";
  EXPECT_TRUE(m.skipped.contains(model::keys::bgp_config()));
  store::WatchBatch resync;
  resync.resync = true;
  resync.revision = 7;
  resync.events.push_back(store::WatchEvent{store::WatchEvent::Type::put, store::KeyValue{model::keys::bgp_config(), "{\"asNumber\": 0}"}});
  EXPECT_TRUE(m.apply(resync));
  EXPECT_EQ(m.as_number_of("h1"), 65001u) << "a resync keeps the last good settings too";

  store::WatchBatch removal;
  removal.revision = 8;
  removal.events.push_back(store::WatchEvent{store::WatchEvent::Type::remove, store::KeyValue{model::keys::bgp_config(), ""}});
  EXPECT_TRUE(m.apply(removal));
  EXPECT_EQ(m.as_number_of("h1"), model::kDefaultAsNumber);
}

}  // namespace
}  // namespace weft::ipam
