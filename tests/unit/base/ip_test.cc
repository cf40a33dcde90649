#include "base/ip.h"

#include <gtest/gtest.h>

#include <string>
#include <unordered_set>
#include <vector>

#include "parse.h"

namespace weft {
namespace {

using ::weft::testing::ip;   // tests/support/parse.h
using ::weft::testing::pfx;

// ---- addresses ----------------------------------------------------------------------------

struct Canon {
  const char* in;
  const char* out;  // RFC 5952 / dotted-quad canonical form
};

TEST(IpAddress, ParsesAndPrintsCanonically) {
  const std::vector<Canon> cases = {
      {"0.0.0.0", "0.0.0.0"},
      {"255.255.255.255", "255.255.255.255"},
      {"10.0.0.1", "10.0.0.1"},
      {"198.19.0.100", "198.19.0.100"},
      {"::", "::"},
      {"::1", "::1"},
      {"1::", "1::"},
      {"2001:db8::1", "2001:db8::1"},
      {"2001:DB8::1", "2001:db8::1"},
      {"2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"},
      {"2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"},      // first of two equal runs
      {"2001:0:0:1:0:0:0:1", "2001:0:0:1::1"},            // longest run wins
      {"2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"},  // one zero group stays
      {"1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"},
      {"1:0:0:0:0:0:0:0", "1::"},
      {"0:0:0:0:0:0:0:1", "::1"},
      {"0:1:0:0:0:0:0:0", "0:1::"},
      {"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"},
      {"fE80::aBcD", "fe80::abcd"},
      {"::ffff:1.2.3.4", "::ffff:1.2.3.4"},
      {"::FFFF:10.0.0.1", "::ffff:10.0.0.1"},
      {"0:0:0:0:0:ffff:102:304", "::ffff:1.2.3.4"},
      {"::1.2.3.4", "::102:304"},  // IPv4-compatible form parses; only mapped prints dotted
      {"64:ff9b::192.0.2.33", "64:ff9b::c000:221"},
      {"1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:102:304"},
      {"1::2:3:4:5:6:7", "1:0:2:3:4:5:6:7"},  // "::" may stand for a single group
      {"::2:3:4:5:6:7:8", "0:2:3:4:5:6:7:8"},
  };
  for (const auto& c : cases) {
    auto a = IpAddress::parse(c.in);
    ASSERT_TRUE(a.has_value()) << c.in << ": " << a.error().message;
    EXPECT_EQ(a->to_string(), c.out) << c.in;
    auto again = IpAddress::parse(a->to_string());
    ASSERT_TRUE(again.has_value()) << c.out;
    EXPECT_EQ(*again, *a) << c.in;
  }
}

TEST(IpAddress, RejectsMalformed) {
  const std::vector<std::string> bad = {
      "",
      " ",
      "1.2.3",
      "1.2.3.4.5",
      "1.2.3.",
      ".1.2.3",
      "1..2.3",
      "256.0.0.0",
      "1.2.3.256",
      "1.2.3.1000",
      "01.2.3.4",
      "1.2.3.04",
      "1.2.3.00",
      "+1.2.3.4",
      "-1.2.3.4",
      "1.2.3.4 ",
      " 1.2.3.4",
      "1.2.3.4\n",
      "1.2.3.4x",
      "1.2.3.4/32",
      "0x1.2.3.4",
      "1.2.3.a",
      "1",
      "localhost",
      std::string("1.2.3.4\0", 8),
      ":",
      ":::",
      "1:::2",
      "1::2::3",
      "::1::",
      ":1::",
      "1:",
      ":1",
      "1::2:",
      "1:2:3:4:5:6:7",
      "1:2:3:4:5:6:7:8:9",
      "1:2:3:4:5:6:7:8::",
      "::1:2:3:4:5:6:7:8",
      "1:2:3:4::5:6:7:8",
      "12345::",
      "g::",
      "1:2:3:4:5:6:7:1.2.3.4",
      "1:2:3:4:5:6::1.2.3.4",
      "::ffff:1.2.3",
      "::ffff:1.2.3.256",
      "::ffff:01.2.3.4",
      "1.2.3.4::",
      "::1.2.3.4:1",
      "fe80::1%eth0",
      "[::1]",
      "::1 ",
      "0x::1",
  };
  for (const auto& s : bad) {
    auto r = IpAddress::parse(s);
    EXPECT_FALSE(r.has_value()) << "'" << s << "' parsed as " << r->to_string();
    if (!r) {
      EXPECT_EQ(r.error().code, Errc::invalid_argument) << s;
    }
  }
}

TEST(IpAddress, ErrorQuotesTextAndClampsIt) {
  auto r = IpAddress::parse("1.2.3.999");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().message, "invalid IP address '1.2.3.999'");

  const std::string huge(10000, '9');
  r = IpAddress::parse(huge);
  ASSERT_FALSE(r.has_value());
  EXPECT_LT(r.error().message.size(), 100u);
  EXPECT_NE(r.error().message.find("999..."), std::string::npos);

  r = IpAddress::parse("1.2\n.3");  // control bytes must not reach a log line raw
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().message, "invalid IP address '1.2\\x0a.3'");
}

TEST(IpAddress, Accessors) {
  const IpAddress a = IpAddress::v4(0x0a000001);
  EXPECT_EQ(a.to_string(), "10.0.0.1");
  EXPECT_EQ(a.v4_host_order(), 0x0a000001u);
  EXPECT_TRUE(a.is_v4());
  EXPECT_EQ(a.family(), Family::v4);
  EXPECT_EQ(a.bit_width(), 32);
  EXPECT_EQ(a.bytes()[0], 10);
  EXPECT_EQ(a.bytes()[3], 1);
  EXPECT_EQ(IpAddress{}, ip("0.0.0.0"));

  const IpAddress b = ip("2001:db8::1");
  EXPECT_EQ(b.family(), Family::v6);
  EXPECT_EQ(b.bit_width(), 128);
  EXPECT_EQ(b.bytes()[0], 0x20);
  EXPECT_EQ(b.bytes()[15], 1);
  EXPECT_EQ(IpAddress::v6(b.bytes()), b);
}

TEST(IpAddress, Bits) {
  const IpAddress a = ip("128.0.0.1");
  EXPECT_TRUE(a.bit(0));
  EXPECT_FALSE(a.bit(1));
  EXPECT_FALSE(a.bit(30));
  EXPECT_TRUE(a.bit(31));
  const IpAddress b = ip("8000::1");
  EXPECT_TRUE(b.bit(0));
  EXPECT_FALSE(b.bit(64));
  EXPECT_TRUE(b.bit(127));
}

TEST(IpAddress, Plus) {
  struct Case {
    const char* from;
    uint64_t offset;
    const char* to;
  };
  const std::vector<Case> cases = {
      {"10.0.0.0", 0, "10.0.0.0"},
      {"10.0.0.0", 1, "10.0.0.1"},
      {"10.0.0.255", 1, "10.0.1.0"},
      {"255.255.255.255", 1, "0.0.0.0"},          // wraps at 2^32
      {"0.0.0.1", uint64_t{1} << 32, "0.0.0.1"},  // offset taken modulo 2^32
      {"10.0.0.0", 65536, "10.1.0.0"},
      {"::", 1, "::1"},
      {"::ffff", 1, "::1:0"},
      {"::ffff:ffff:ffff:ffff", 1, "0:0:0:1::"},  // carries into the upper 64 bits
      {"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 2, "::1"},  // wraps at 2^128
      {"2001:db8::", ~uint64_t{0}, "2001:db8::ffff:ffff:ffff:ffff"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(ip(c.from).plus(c.offset).to_string(), c.to) << c.from << " + " << c.offset;
  }
  EXPECT_TRUE(ip("255.255.255.255").plus(1).is_v4());
}

TEST(IpAddress, OrderingPutsV4BeforeV6) {
  const std::vector<const char*> sorted = {
      "0.0.0.0", "0.0.0.1", "9.255.255.255", "10.0.0.0", "255.255.255.255",
      "::",      "::1",     "::ffff:0.0.0.0", "2001:db8::", "ffff::",
  };
  for (size_t i = 0; i + 1 < sorted.size(); ++i) {
    EXPECT_LT(ip(sorted[i]), ip(sorted[i + 1])) << sorted[i] << " < " << sorted[i + 1];
    EXPECT_NE(ip(sorted[i]), ip(sorted[i + 1]));
  }
  // Same 32 bits in different families are different values.
  EXPECT_NE(ip("0.0.0.0"), ip("::"));
}

TEST(IpAddress, HashesInUnorderedSet) {
  std::unordered_set<IpAddress> set;
  for (uint32_t i = 0; i < 1000; ++i) set.insert(IpAddress::v4(0x0a000000 + i));
  for (uint64_t i = 0; i < 1000; ++i) set.insert(ip("2001:db8::").plus(i));
  set.insert(ip("10.0.0.5"));  // duplicate
  set.insert(ip("::"));
  set.insert(ip("0.0.0.0"));  // distinct from "::" though both are all-zero bytes
  EXPECT_EQ(set.size(), 2002u);
  EXPECT_TRUE(set.contains(ip("10.0.3.231")));
  EXPECT_TRUE(set.contains(ip("2001:db8::3e7")));
  EXPECT_FALSE(set.contains(ip("10.0.3.232")));
  const std::hash<IpAddress> hash;
  EXPECT_EQ(hash(ip("1.2.3.4")), hash(IpAddress::v4(0x01020304)));
}

// ---- prefixes -----------------------------------------------------------------------------

TEST(Prefix, ParsesCanonicalForms) {
  const std::vector<Canon> cases = {
      {"0.0.0.0/0", "0.0.0.0/0"},
      {"10.0.0.0/8", "10.0.0.0/8"},
      {"198.19.0.0/16", "198.19.0.0/16"},
      {"10.244.1.64/26", "10.244.1.64/26"},
      {"10.0.0.1/32", "10.0.0.1/32"},
      {"::/0", "::/0"},
      {"2001:DB8::/32", "2001:db8::/32"},
      {"fd00:0:0:1::/64", "fd00:0:0:1::/64"},
      {"::1/128", "::1/128"},
      {"::ffff:10.0.0.0/104", "::ffff:10.0.0.0/104"},
  };
  for (const auto& c : cases) {
    auto p = Prefix::parse(c.in);
    ASSERT_TRUE(p.has_value()) << c.in << ": " << p.error().message;
    EXPECT_EQ(p->to_string(), c.out);
    EXPECT_EQ(Prefix::parse(p->to_string()).value(), *p);
    EXPECT_EQ(Prefix::parse_lenient(c.in).value(), *p);
  }
}

TEST(Prefix, RejectsMalformed) {
  const std::vector<std::string> bad = {
      "",
      "/",
      "/8",
      "10.0.0.0",
      "10.0.0.0/",
      "10.0.0.0/33",
      "10.0.0.0/-1",
      "10.0.0.0/+8",
      "10.0.0.0/08",
      "10.0.0.0/00",
      "10.0.0.0/8/8",
      "10.0.0.0/8 ",
      " 10.0.0.0/8",
      "10.0.0.0 /8",
      "10.0.0.0/ 8",
      "10.0.0.0/1000",
      "10.0.0.0/99999999999999999999",
      "10.0.0.0/0x8",
      "10.0.0/8",
      "::/129",
      "::/",
      "2001:db8::/032",
      "2001:db8::%eth0/32",
  };
  for (const auto& s : bad) {
    auto r = Prefix::parse(s);
    EXPECT_FALSE(r.has_value()) << "'" << s << "' parsed as " << r->to_string();
    if (!r) {
      EXPECT_EQ(r.error().code, Errc::invalid_argument) << s;
      EXPECT_NE(r.error().message.find(s.substr(0, 20)), std::string::npos) << r.error().message;
    }
    if (s != "10.0.0.0") {
      EXPECT_FALSE(Prefix::parse_lenient(s).has_value()) << s;
    }
  }
}

TEST(Prefix, StrictRejectsHostBitsAndSuggestsTheNetwork) {
  struct Case {
    const char* in;
    const char* network;
  };
  const std::vector<Case> cases = {
      {"10.0.0.1/8", "10.0.0.0/8"},
      {"198.19.1.77/24", "198.19.1.0/24"},
      {"10.244.1.65/26", "10.244.1.64/26"},
      {"255.255.255.255/0", "0.0.0.0/0"},
      {"2001:db8::1/64", "2001:db8::/64"},
      {"2001:db8:1:2::/32", "2001:db8::/32"},
  };
  for (const auto& c : cases) {
    auto r = Prefix::parse(c.in);
    ASSERT_FALSE(r.has_value()) << c.in;
    EXPECT_EQ(r.error().code, Errc::invalid_argument);
    EXPECT_NE(r.error().message.find("host bits are set"), std::string::npos) << r.error().message;
    EXPECT_NE(r.error().message.find(c.network), std::string::npos) << r.error().message;
    EXPECT_NE(r.error().message.find(c.in), std::string::npos) << r.error().message;

    auto lenient = Prefix::parse_lenient(c.in);
    ASSERT_TRUE(lenient.has_value()) << c.in;
    EXPECT_EQ(lenient->to_string(), c.network);
  }
}

TEST(Prefix, LenientAcceptsBareAddresses) {
  EXPECT_EQ(Prefix::parse_lenient("10.1.2.3")->to_string(), "10.1.2.3/32");
  EXPECT_EQ(Prefix::parse_lenient("2001:db8::7")->to_string(), "2001:db8::7/128");
  auto r = Prefix::parse_lenient("10.1.2.300");
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message.find("10.1.2.300"), std::string::npos);
}

TEST(Prefix, ConstructorMasksHostBits) {
  EXPECT_EQ(Prefix(ip("10.1.2.3"), 16).to_string(), "10.1.0.0/16");
  EXPECT_EQ(Prefix(ip("10.1.2.3"), 0).to_string(), "0.0.0.0/0");
  EXPECT_EQ(Prefix(ip("10.1.2.3"), 32).to_string(), "10.1.2.3/32");
  EXPECT_EQ(Prefix(ip("2001:db8:ffff::1"), 33).to_string(), "2001:db8:8000::/33");
  EXPECT_EQ(Prefix(ip("ffff::1"), 0).to_string(), "::/0");
  EXPECT_EQ(Prefix().to_string(), "0.0.0.0/0");
}

TEST(Prefix, FirstLastSize) {
  struct Case {
    const char* prefix;
    const char* first;
    const char* last;
    uint64_t size;
  };
  const uint64_t sat = uint64_t{1} << 63;
  const std::vector<Case> cases = {
      {"10.0.0.0/8", "10.0.0.0", "10.255.255.255", 1u << 24},
      {"10.244.1.64/26", "10.244.1.64", "10.244.1.127", 64},
      {"10.0.0.1/32", "10.0.0.1", "10.0.0.1", 1},
      {"0.0.0.0/0", "0.0.0.0", "255.255.255.255", uint64_t{1} << 32},
      {"2001:db8::/64", "2001:db8::", "2001:db8::ffff:ffff:ffff:ffff", sat},
      {"2001:db8::/65", "2001:db8::", "2001:db8::7fff:ffff:ffff:ffff", sat},  // exactly 2^63
      {"2001:db8::/66", "2001:db8::", "2001:db8::3fff:ffff:ffff:ffff", uint64_t{1} << 62},
      {"2001:db8::/120", "2001:db8::", "2001:db8::ff", 256},
      {"::1/128", "::1", "::1", 1},
      {"::/0", "::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", sat},
  };
  for (const auto& c : cases) {
    const Prefix p = pfx(c.prefix);
    EXPECT_EQ(p.first().to_string(), c.first) << c.prefix;
    EXPECT_EQ(p.last().to_string(), c.last) << c.prefix;
    EXPECT_EQ(p.size(), c.size) << c.prefix;
  }
}

TEST(Prefix, ContainsAddress) {
  struct Case {
    const char* prefix;
    const char* address;
    bool inside;
  };
  const std::vector<Case> cases = {
      {"10.0.0.0/8", "10.0.0.0", true},
      {"10.0.0.0/8", "10.255.255.255", true},
      {"10.0.0.0/8", "11.0.0.0", false},
      {"10.0.0.0/8", "9.255.255.255", false},
      {"0.0.0.0/0", "255.255.255.255", true},
      {"0.0.0.0/0", "::", false},  // never across families
      {"::/0", "0.0.0.0", false},
      {"::/0", "ffff::", true},
      {"::ffff:0.0.0.0/96", "1.2.3.4", false},
      {"::ffff:0.0.0.0/96", "::ffff:1.2.3.4", true},
      {"2001:db8::/32", "2001:db8:ffff::1", true},
      {"2001:db8::/32", "2001:db9::", false},
      {"10.0.0.1/32", "10.0.0.1", true},
      {"10.0.0.1/32", "10.0.0.2", false},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(pfx(c.prefix).contains(ip(c.address)), c.inside) << c.prefix << " ∋ " << c.address;
  }
}

TEST(Prefix, ContainsAndOverlapsPrefix) {
  struct Case {
    const char* a;
    const char* b;
    bool a_contains_b;
    bool b_contains_a;
  };
  const std::vector<Case> cases = {
      {"10.0.0.0/8", "10.0.0.0/8", true, true},
      {"10.0.0.0/8", "10.1.0.0/16", true, false},
      {"10.0.0.0/8", "11.0.0.0/8", false, false},
      {"10.0.0.0/8", "10.0.0.0/7", false, true},
      {"10.0.0.0/8", "0.0.0.0/0", false, true},
      {"10.244.1.0/26", "10.244.1.64/26", false, false},  // adjacent blocks
      {"10.244.1.0/24", "10.244.1.64/26", true, false},
      {"10.244.1.64/26", "10.244.1.127/32", true, false},
      {"10.244.1.64/26", "10.244.1.128/32", false, false},
      {"0.0.0.0/0", "::/0", false, false},
      {"2001:db8::/32", "2001:db8:1::/48", true, false},
      {"2001:db8::/48", "2001:db8:1::/48", false, false},
      {"::/0", "2001:db8::/32", true, false},
  };
  for (const auto& c : cases) {
    const Prefix a = pfx(c.a), b = pfx(c.b);
    EXPECT_EQ(a.contains(b), c.a_contains_b) << c.a << " ⊇ " << c.b;
    EXPECT_EQ(b.contains(a), c.b_contains_a) << c.b << " ⊇ " << c.a;
    const bool overlap = c.a_contains_b || c.b_contains_a;
    EXPECT_EQ(a.overlaps(b), overlap) << c.a << " ∩ " << c.b;
    EXPECT_EQ(b.overlaps(a), overlap) << c.b << " ∩ " << c.a;
  }
}

TEST(Prefix, SubnetsOfV4Slash16) {
  const Prefix pool = pfx("10.244.0.0/16");
  EXPECT_EQ(pool.subnet_count(24), 256u);
  EXPECT_EQ(pool.subnet_count(26), 1024u);
  EXPECT_EQ(pool.subnet_count(16), 1u);
  EXPECT_EQ(pool.subnet_count(32), 65536u);
  EXPECT_EQ(pool.subnet_count(15), 0u);
  EXPECT_EQ(pool.subnet_count(33), 0u);

  struct Case {
    int length;
    uint64_t index;
    const char* subnet;
  };
  const std::vector<Case> cases = {
      {24, 0, "10.244.0.0/24"},   {24, 1, "10.244.1.0/24"},     {24, 255, "10.244.255.0/24"},
      {26, 0, "10.244.0.0/26"},   {26, 1, "10.244.0.64/26"},    {26, 5, "10.244.1.64/26"},
      {26, 1023, "10.244.255.192/26"}, {16, 0, "10.244.0.0/16"}, {32, 65535, "10.244.255.255/32"},
  };
  for (const auto& c : cases) {
    auto s = pool.subnet(c.length, c.index);
    ASSERT_TRUE(s.has_value()) << c.length << "#" << c.index << ": " << s.error().message;
    EXPECT_EQ(s->to_string(), c.subnet);
    EXPECT_EQ(pool.subnet_index(*s), c.index) << c.subnet;
    EXPECT_TRUE(pool.contains(*s));
  }

  // Every /26 once, in order, each right after the previous one.
  std::unordered_set<Prefix> seen;
  for (uint64_t i = 0; i < pool.subnet_count(26); ++i) {
    const Prefix s = *pool.subnet(26, i);
    EXPECT_EQ(pool.subnet_index(s), i);
    if (i > 0) {
      EXPECT_EQ(s.first(), pool.subnet(26, i - 1)->last().plus(1));
    }
    seen.insert(s);
  }
  EXPECT_EQ(seen.size(), 1024u);
  EXPECT_EQ(pool.subnet(26, 1023)->last(), pool.last());
}

TEST(Prefix, SubnetErrors) {
  const Prefix pool = pfx("10.244.0.0/16");
  struct Case {
    int length;
    uint64_t index;
    Errc code;
  };
  const std::vector<Case> cases = {
      {24, 256, Errc::not_found},
      {26, 1024, Errc::not_found},
      {16, 1, Errc::not_found},
      {24, ~uint64_t{0}, Errc::not_found},
      {15, 0, Errc::invalid_argument},
      {33, 0, Errc::invalid_argument},
      {-1, 0, Errc::invalid_argument},
  };
  for (const auto& c : cases) {
    auto s = pool.subnet(c.length, c.index);
    ASSERT_FALSE(s.has_value()) << c.length << "#" << c.index << " gave " << s->to_string();
    EXPECT_EQ(s.error().code, c.code) << s.error().message;
    EXPECT_NE(s.error().message.find("10.244.0.0/16"), std::string::npos) << s.error().message;
  }
  EXPECT_EQ(pfx("::/0").subnet(129, 0).error().code, Errc::invalid_argument);
}

TEST(Prefix, SubnetsOfV6Slash48) {
  const Prefix site = pfx("2001:db8:abcd::/48");
  EXPECT_EQ(site.subnet_count(64), 65536u);
  EXPECT_EQ(site.subnet_count(112), uint64_t{1} << 63);  // 2^64 saturates
  struct Case {
    uint64_t index;
    const char* subnet;
  };
  const std::vector<Case> cases = {
      {0, "2001:db8:abcd::/64"},
      {1, "2001:db8:abcd:1::/64"},
      {0x12, "2001:db8:abcd:12::/64"},
      {65535, "2001:db8:abcd:ffff::/64"},
  };
  for (const auto& c : cases) {
    auto s = site.subnet(64, c.index);
    ASSERT_TRUE(s.has_value()) << s.error().message;
    EXPECT_EQ(s->to_string(), c.subnet);
    EXPECT_EQ(site.subnet_index(*s), c.index);
  }
  EXPECT_EQ(site.subnet(64, 65536).error().code, Errc::not_found);

  // More than 2^64 subnets: every uint64 index is valid and round-trips.
  for (uint64_t index : {uint64_t{0}, uint64_t{12345}, ~uint64_t{0}}) {
    auto s = site.subnet(128, index);
    ASSERT_TRUE(s.has_value());
    EXPECT_EQ(site.subnet_index(*s), index);
  }
  // (A single zero group is not compressed.)
  EXPECT_EQ(site.subnet(128, ~uint64_t{0})->to_string(),
            "2001:db8:abcd:0:ffff:ffff:ffff:ffff/128");
  // A /128 whose index within the /48 needs more than 64 bits cannot be named.
  EXPECT_EQ(site.subnet_index(pfx("2001:db8:abcd:1::/128")), std::nullopt);
  // ::/0 into /0 (a shift by the full width) and into /1.
  EXPECT_EQ(pfx("::/0").subnet(0, 0)->to_string(), "::/0");
  EXPECT_EQ(pfx("::/0").subnet(1, 1)->to_string(), "8000::/1");
  EXPECT_EQ(pfx("::/0").subnet_index(pfx("::/0")), 0u);
  EXPECT_EQ(pfx("0.0.0.0/0").subnet(1, 1)->to_string(), "128.0.0.0/1");
}

TEST(Prefix, SubnetIndexOutside) {
  const Prefix pool = pfx("10.244.0.0/16");
  EXPECT_EQ(pool.subnet_index(pfx("10.245.0.0/24")), std::nullopt);
  EXPECT_EQ(pool.subnet_index(pfx("10.0.0.0/8")), std::nullopt);  // larger than the pool
  EXPECT_EQ(pool.subnet_index(pfx("::/64")), std::nullopt);
  EXPECT_EQ(pool.subnet_index(pool), 0u);
}

TEST(Prefix, OrderingAndHashing) {
  const std::vector<const char*> sorted = {
      "0.0.0.0/0", "10.0.0.0/8", "10.0.0.0/16", "10.1.0.0/16", "::/0", "::/1", "2001:db8::/32",
  };
  for (size_t i = 0; i + 1 < sorted.size(); ++i) {
    EXPECT_LT(pfx(sorted[i]), pfx(sorted[i + 1])) << sorted[i] << " < " << sorted[i + 1];
  }
  std::unordered_set<Prefix> set;
  for (const char* s : sorted) set.insert(pfx(s));
  set.insert(pfx("10.0.0.0/8"));
  set.insert(Prefix(ip("10.9.9.9"), 8));  // normalizes to the same prefix
  EXPECT_EQ(set.size(), sorted.size());
  EXPECT_TRUE(set.contains(pfx("10.1.0.0/16")));
  EXPECT_FALSE(set.contains(pfx("10.0.0.0/9")));
}

}  // namespace
}  // namespace weft
