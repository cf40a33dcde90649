#include "model/pool.h"

#include <gtest/gtest.h>

#include "model/keys.h"
#include "model/node.h"
#include "parse.h"

namespace weft::ipam {
namespace {

using ::weft::testing::ip;  // tests/support/parse.h
using ::weft::testing::pfx;

model::Pool make_pool(std::string name, std::string cidr, int block) {
  model::Pool p;
  p.name = std::move(name);
  p.cidr = pfx(cidr);
  p.block_length = block;
  return p;
}

TEST(PoolValidate, AcceptsTypicalPools) {
  EXPECT_TRUE(validate(make_pool("default", "10.244.0.0/16", 24)));
  EXPECT_TRUE(validate(make_pool("lab", "198.19.0.0/16", 26)));
  EXPECT_TRUE(validate(make_pool("v6", "fd00:10::/48", 122)));
  EXPECT_TRUE(validate(make_pool("whole", "198.19.0.0/24", 24)));
}

struct BadPool {
  const char* name;
  const char* cidr;
  int block;
  const char* message_part;
};

TEST(PoolValidate, RejectsWithAnActionableMessage) {
  const BadPool cases[] = {
      {"a", "198.19.0.0/16", 15, "between /16 and /30"},
      {"a", "198.19.0.0/16", 31, "between /16 and /30"},
      {"a", "fd00::/48", 127, "between /48 and /126"},
      {"", "198.19.0.0/16", 24, "pool name"},
      {"Bad_Name", "198.19.0.0/16", 24, "pool name"},
      {"-x", "198.19.0.0/16", 24, "pool name"},
  };
  for (const auto& c : cases) {
    auto r = validate(make_pool(c.name, c.cidr, c.block));
    ASSERT_FALSE(r) << c.name << " " << c.cidr << " /" << c.block;
    EXPECT_EQ(r.error().code, Errc::invalid_argument);
    EXPECT_NE(r.error().message.find(c.message_part), std::string::npos) << r.error().message;
  }
}

TEST(PoolValidate, SettingsMustFitTogether) {
  auto p = make_pool("a", "198.19.0.0/16", 24);
  p.encapsulate = model::Encapsulate::cross_subnet;
  EXPECT_FALSE(validate(p)) << "cross-subnet without an encapsulation";
  p.encapsulation = model::Encapsulation::vxlan;
  EXPECT_TRUE(validate(p));
  auto v6 = make_pool("b", "fd00::/48", 122);
  v6.encapsulation = model::Encapsulation::ipip;
  auto r = validate(v6);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("IPv4 only"), std::string::npos);
  p.routes = model::RouteSource::bgp;
  r = model::validate_against(p, {});
  ASSERT_FALSE(r) << "a new vxlan pool takes its routes from the store";
  EXPECT_NE(r.error().message.find("routes bgp goes with encapsulation none"), std::string::npos);
  EXPECT_TRUE(validate(p)) << "a stored one (from before the rule) still decodes";
  EXPECT_FALSE(model::routed_by_bgp(p));
}

TEST(PoolValidate, OverlapAndDuplicateNames) {
  std::vector<model::Pool> existing = {make_pool("a", "198.19.0.0/16", 24)};
  auto inside = model::validate_against(make_pool("b", "198.19.4.0/24", 26), existing);
  ASSERT_FALSE(inside);
  EXPECT_NE(inside.error().message.find("overlaps pool a (198.19.0.0/16)"), std::string::npos)
      << inside.error().message;
  EXPECT_FALSE(model::validate_against(make_pool("b", "198.0.0.0/8", 24), existing)) << "covering";
  auto dup = model::validate_against(make_pool("a", "198.20.0.0/16", 24), existing);
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().code, Errc::already_exists);
  EXPECT_TRUE(model::validate_against(make_pool("b", "198.20.0.0/16", 24), existing));
  EXPECT_TRUE(model::validate_against(make_pool("c", "fd00::/48", 122), existing));
}

TEST(PoolCodec, RoundTrips) {
  auto p = make_pool("lab", "198.19.0.0/16", 24);
  p.encapsulation = model::Encapsulation::ipip;
  p.encapsulate = model::Encapsulate::cross_subnet;
  p.routes = model::RouteSource::bgp;
  p.nat_outgoing = true;
  auto back = model::decode_pool(dump_json(encode(p)));
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(*back, p);
  EXPECT_EQ(p.block_count(), 256u);
}

TEST(PoolCodec, GarbageIsCorruptNotACrash) {
  const char* cases[] = {
      "", "not json", "[]", "{}", R"({"name":"a"})",
      R"({"name":"a","cidr":"198.19.0.1/16","blockSize":24})",
      R"({"name":"a","cidr":"198.19.0.0/16","blockSize":"24"})",
      R"({"name":"a","cidr":"198.19.0.0/16","blockSize":24,"encapsulation":"gre"})",
      R"({"name":"a","cidr":"198.19.0.0/16","blockSize":99999999999})",
      R"({"name":7,"cidr":"198.19.0.0/16","blockSize":24})",
  };
  for (const char* text : cases) {
    auto r = model::decode_pool(text);
    ASSERT_FALSE(r) << text;
    EXPECT_EQ(r.error().code, Errc::corrupt) << text;
  }
}

TEST(NodeCodec, RoundTripsAndRejectsGarbage) {
  model::Node n{"h1", {*model::InterfaceAddress::parse("198.18.1.2/24")}, {{"rack", "r1"}}, ip("fe80::1"),
         "02:00:00:00:00:01", 1450,
         {"h3 is not on-link"}};
  auto back = model::decode_node(dump_json(encode(n)));
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(*back, n);
  EXPECT_EQ(back->addresses[0].subnet().to_string(), "198.18.1.0/24");
  for (const char* text : {"{", R"({"name":"h 1"})", R"({"name":"h1","addresses":"x"})",
                           R"({"name":"h1","addresses":["198.18.1.2"]})",
                           R"({"name":"h1","labels":{"a":1}})", R"({"name":"h1","mtu":-1})",
                           R"({"name":"h1","problems":[1]})"}) {
    auto r = model::decode_node(text);
    ASSERT_FALSE(r) << text;
    EXPECT_EQ(r.error().code, Errc::corrupt);
  }
}

TEST(Keys, BlockKeyRoundTrips) {
  auto block = pfx("198.19.3.0/24");
  auto key = model::keys::block("lab", block);
  EXPECT_EQ(key, "/weft/v1/blocks/lab/198.19.3.0-24");
  auto back = model::keys::block_from_key_segment(model::keys::last_segment(key));
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, block);
  auto v6 = pfx("fd00::40/122");
  EXPECT_EQ(*model::keys::block_from_key_segment(model::keys::last_segment(model::keys::block("v6", v6))), v6);
  EXPECT_FALSE(model::keys::block_from_key_segment("garbage"));
}

}  // namespace
}  // namespace weft::ipam
