// nftables tables as values: the script weft writes and the listing nft prints back.
#include "kernel/nft_table.h"

#include <gtest/gtest.h>

namespace weft::kernel {
namespace {

// What `nft list table inet weft` prints (nftables 1.0.6) for weft's NAT table with traffic.
constexpr const char* kListing = R"(table inet weft {
	set pools4 {
		type ipv4_addr
		flags interval
		elements = { 198.19.0.0/17, 198.19.128.0/17,
			     203.0.113.0/24 }
	}
	set pools6 {
		type ipv6_addr
		flags interval
	}
	chain postrouting {
		type nat hook postrouting priority srcnat; policy accept;
		ip saddr @pools4 ip daddr != @pools4 counter packets 12 bytes 1008 masquerade
	}
}
)";

TEST(NftTable, ParsesNftsListingWithoutCounterValues) {
  auto t = parse_listing(kListing);
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_EQ(t->family, "inet");
  EXPECT_EQ(t->name, "weft");
  ASSERT_EQ(t->sets.size(), 2u);
  EXPECT_EQ(t->sets[0].name, "pools4");
  EXPECT_EQ(t->sets[0].type, "ipv4_addr");
  EXPECT_TRUE(t->sets[0].interval);
  EXPECT_EQ(t->sets[0].elements, (std::vector<std::string>{"198.19.0.0/17", "198.19.128.0/17", "203.0.113.0/24"}))
      << "elements spread over several lines";
  EXPECT_TRUE(t->sets[1].elements.empty());
  ASSERT_EQ(t->chains.size(), 1u);
  EXPECT_EQ(t->chains[0].hook, "type nat hook postrouting priority srcnat; policy accept;");
  EXPECT_EQ(t->chains[0].rules, std::vector<std::string>{"ip saddr @pools4 ip daddr != @pools4 counter masquerade"});
}

TEST(NftTable, ScriptReplacesTheTableInOneTransaction) {
  NftTable t{.family = "inet", .name = "weft"};
  t.sets.push_back({.name = "s", .type = "ipv4_addr", .interval = true, .elements = {"198.19.0.0/16"}});
  t.chains.push_back({.name = "c", .hook = "type filter hook forward priority 0; policy accept;", .rules = {"counter"}});
  EXPECT_EQ(replace_script(t),
            "table inet weft\ndelete table inet weft\ntable inet weft {\n"
            "  set s { type ipv4_addr; flags interval; elements = { 198.19.0.0/16 } }\n"
            "  chain c {\n    type filter hook forward priority 0; policy accept;\n    counter\n  }\n}\n");
  EXPECT_EQ(delete_script("inet", "weft"), "delete table inet weft\n");
}

TEST(NftTable, RefusesWhatIsNotATableListing) {
  for (const char* bad : {"", "garbage", "table inet weft {\n\tset s {\n", "table inet weft {\n\tbogus line\n}\n"}) {
    auto t = parse_listing(bad);
    EXPECT_FALSE(t) << bad;
    if (!t) {
      EXPECT_EQ(t.error().code, Errc::invalid_argument);
    }
  }
}

}  // namespace
}  // namespace weft::kernel

namespace weft::kernel {
namespace {

// Verdict maps (the policy table's interface dispatch) are written and read back as maps.
TEST(NftTable, VerdictMapsRoundTripThroughTheListing) {
  constexpr const char* listing = R"(table inet weft_policy {
	map from_workload {
		type ifname : verdict
		elements = { "weft0000000001" : jump out_weft0000000001,
			     "weft0000000002" : jump out_weft0000000002 }
	}
	chain forward {
		type filter hook forward priority filter; policy accept;
		iifname vmap @from_workload
	}
}
)";
  auto t = parse_listing(listing);
  ASSERT_TRUE(t) << t.error().message;
  ASSERT_EQ(t->sets.size(), 1u);
  EXPECT_TRUE(t->sets[0].is_map);
  EXPECT_EQ(t->sets[0].type, "ifname : verdict");
  EXPECT_EQ(t->sets[0].elements, (std::vector<std::string>{"\"weft0000000001\" : jump out_weft0000000001",
                                                            "\"weft0000000002\" : jump out_weft0000000002"}));
  const std::string script = replace_script(*t);
  EXPECT_NE(script.find("  map from_workload { type ifname : verdict; elements = { \"weft0000000001\" : jump "
                        "out_weft0000000001, \"weft0000000002\" : jump out_weft0000000002 } }\n"),
            std::string::npos)
      << script;
}

}  // namespace
}  // namespace weft::kernel
