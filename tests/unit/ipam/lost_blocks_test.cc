// A node back from a partition longer than its lease: its workloads in a block another node took
// meanwhile are named, and nothing else is.
#include <gtest/gtest.h>

#include "ipam/lost_blocks.h"
#include "model/keys.h"
#include "parse.h"

namespace weft::ipam {
namespace {

using weft::testing::pfx;

model::Endpoint endpoint(const std::string& node, const std::string& id, const char* address, const char* block) {
  model::Endpoint e{.node = node, .container_id = id, .ifname = "eth0"};
  e.addresses.push_back({*IpAddress::parse(address), "lab", pfx(block)});
  return e;
}

TEST(LostBlocks, OnlyWorkloadsInABlockAnotherNodeHoldsAreNamed) {
  model::ClusterModel m;
  // Keyed as the model keys them: by store key.
  const std::string old_block = model::keys::block("lab", pfx("198.19.1.0/24"));
  m.blocks[old_block] = model::BlockAffinity{"lab", pfx("198.19.1.0/24"), "h2"};  // h1's old block, taken by h2
  m.blocks[model::keys::block("lab", pfx("198.19.2.0/24"))] = model::BlockAffinity{"lab", pfx("198.19.2.0/24"), "h1"};
  m.endpoints["e1"] = endpoint("h1", "old", "198.19.1.5", "198.19.1.0/24");
  m.endpoints["e2"] = endpoint("h1", "new", "198.19.2.5", "198.19.2.0/24");
  m.endpoints["e3"] = endpoint("h2", "theirs", "198.19.1.6", "198.19.1.0/24");
  auto problems = workloads_in_lost_blocks(m, "h1");
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].find("old/eth0 has 198.19.1.5 in block 198.19.1.0/24, which h2 holds now"), std::string::npos)
      << problems[0];
  EXPECT_TRUE(workloads_in_lost_blocks(m, "h2").empty());
  // Nobody holds the old block (not re-claimed yet): nothing to report, it comes back to h1.
  m.blocks.erase(old_block);
  EXPECT_TRUE(workloads_in_lost_blocks(m, "h1").empty());
}

}  // namespace
}  // namespace weft::ipam
