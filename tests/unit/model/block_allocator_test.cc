#include <gtest/gtest.h>

#include "model/block.h"
#include "model/keys.h"
#include "parse.h"

namespace weft::ipam {
namespace {

using ::weft::testing::ip;  // tests/support/parse.h
using ::weft::testing::pfx;

model::Pool pool16() {
  model::Pool p;
  p.name = "lab";
  p.cidr = pfx("198.19.0.0/16");
  p.block_length = 24;
  return p;
}

TEST(ChooseBlock, PrefersThePreviousBlockWhenFree) {
  auto previous = pfx("198.19.7.0/24");
  EXPECT_EQ(model::choose_block(pool16(), {}, "h1", previous), previous);
}

TEST(ChooseBlock, IgnoresAPreviousBlockThatIsTakenOrForeign) {
  auto previous = pfx("198.19.7.0/24");
  auto chosen = model::choose_block(pool16(), {previous}, "h1", previous);
  ASSERT_TRUE(chosen);
  EXPECT_NE(*chosen, previous);
  auto foreign = pfx("198.20.7.0/24");
  chosen = model::choose_block(pool16(), {}, "h1", foreign);
  ASSERT_TRUE(chosen);
  EXPECT_TRUE(pool16().cidr.contains(*chosen));
  auto wrong_size = pfx("198.19.7.0/25");
  EXPECT_NE(model::choose_block(pool16(), {}, "h1", wrong_size), wrong_size);
}

TEST(ChooseBlock, FillsEveryBlockThenReportsExhaustion) {
  std::set<Prefix> taken;
  for (int i = 0; i < 256; ++i) {
    auto chosen = model::choose_block(pool16(), taken, "h" + std::to_string(i % 3));
    ASSERT_TRUE(chosen) << "after " << i;
    EXPECT_EQ(chosen->length(), 24);
    EXPECT_TRUE(pool16().cidr.contains(*chosen));
    EXPECT_TRUE(taken.insert(*chosen).second) << "handed out twice: " << chosen->to_string();
  }
  EXPECT_EQ(model::choose_block(pool16(), taken, "h1"), std::nullopt);
}

TEST(ChooseBlock, DifferentNodesStartAtDifferentBlocks) {
  std::set<Prefix> firsts;
  for (int i = 0; i < 50; ++i) firsts.insert(*model::choose_block(pool16(), {}, "node-" + std::to_string(i)));
  // Spreading is what keeps 100 concurrent claimants from all racing for the same key.
  EXPECT_GT(firsts.size(), 30u);
}

TEST(AffinityCodec, BlockComesFromTheKeyAndGarbageIsReported) {
  model::BlockAffinity a{"lab", pfx("198.19.3.0/24"), "h1", false, 1700000000};
  auto key = model::keys::block("lab", a.block);
  auto back = model::decode_affinity(key, dump_json(encode(a)));
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(*back, a);
  for (const char* text : {"", "{}", R"({"node":""})", R"({"node":"h1","reserved":"yes"})"}) {
    auto r = model::decode_affinity(key, text);
    ASSERT_FALSE(r) << text;
    EXPECT_EQ(r.error().code, Errc::corrupt);
    EXPECT_NE(r.error().message.find(key), std::string::npos) << "error names the key";
  }
  EXPECT_FALSE(model::decode_affinity("/weft/v1/blocks/lab/not-a-block", R"({"node":"h1"})"));
}

}  // namespace
}  // namespace weft::ipam
