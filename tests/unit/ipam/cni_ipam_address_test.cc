// Workload IPAM (issue 4): address picking as a pure function, the allocation record codec, and
// the AddressAllocator against the in-process MemoryStore (same contract as etcd).
#include <gtest/gtest.h>

#include <set>

#include "ipam/address_allocator.h"
#include "ipam/address_listing.h"
#include "ipam/block_leases.h"
#include "base/clock.h"
#include "model/keys.h"
#include "ipam/pool_registry.h"
#include "parse.h"

namespace weft::ipam {
namespace {

using ::weft::testing::ip;  // tests/support/parse.h
using ::weft::testing::pfx;

TEST(PickFreeAddress, NeverHandsOutTheFirstAddress) {
  const auto block = pfx("198.19.1.0/30");
  EXPECT_EQ(pick_free_address(block, {}), ip("198.19.1.1"));
  EXPECT_EQ(pick_free_address(block, {}, 0), ip("198.19.1.1"));
  EXPECT_EQ(pick_free_address(block, {ip("198.19.1.1")}), ip("198.19.1.2"));
  EXPECT_EQ(pick_free_address(block, {ip("198.19.1.1"), ip("198.19.1.2")}), ip("198.19.1.3"));
  EXPECT_EQ(pick_free_address(block, {ip("198.19.1.1"), ip("198.19.1.2"), ip("198.19.1.3")}), std::nullopt);
  EXPECT_EQ(usable_addresses(block), 3u);
}

TEST(PickFreeAddress, StartsAtTheCursorAndWraps) {
  const auto block = pfx("198.19.1.0/29");
  EXPECT_EQ(pick_free_address(block, {}, 5), ip("198.19.1.5"));
  EXPECT_EQ(pick_free_address(block, {ip("198.19.1.7")}, 7), ip("198.19.1.1"));
  EXPECT_EQ(pick_free_address(block, {}, 8), ip("198.19.1.1")) << "past the end wraps to offset 1";
  EXPECT_EQ(pick_free_address(block, {ip("198.19.1.6"), ip("198.19.1.7"), ip("198.19.1.1")}, 6), ip("198.19.1.2"));
}

TEST(PickFreeAddress, TinyAndHugeBlocks) {
  EXPECT_EQ(pick_free_address(pfx("198.19.1.1/32"), {}), std::nullopt);
  EXPECT_EQ(pick_free_address(pfx("198.19.1.0/31"), {}), ip("198.19.1.1"));
  const auto v6 = pfx("fd00:198:19::100/120");
  EXPECT_EQ(pick_free_address(v6, {}), ip("fd00:198:19::101"));
  EXPECT_EQ(usable_addresses(v6), 255u);
  const auto huge = pfx("fd00:198:19::/64");
  EXPECT_EQ(pick_free_address(huge, {ip("fd00:198:19::1")}), ip("fd00:198:19::2"));
  EXPECT_EQ(offset_in_block(huge, ip("fd00:198:19::1:0")), 65536u);
}

TEST(PickFreeAddress, FillsABlockWithDistinctAddresses) {
  const auto block = pfx("198.19.1.0/24");
  std::set<IpAddress> used;
  uint64_t cursor = 1;
  for (int i = 0; i < 255; ++i) {
    auto a = pick_free_address(block, used, cursor);
    ASSERT_TRUE(a) << i;
    EXPECT_NE(*a, block.first());
    EXPECT_TRUE(used.insert(*a).second);
    cursor = offset_in_block(block, *a) + 1;
  }
  EXPECT_EQ(pick_free_address(block, used, cursor), std::nullopt);
}

TEST(AllocationRecords, RoundTripAndRefuseCorruptValues) {
  BlockAllocations b{"lab", pfx("198.19.1.0/24"), {{ip("198.19.1.5"), {"c1", "eth0", "h1", 17}}}};
  const std::string key = model::keys::allocation("lab", b.block);
  EXPECT_EQ(key, "/weft/v1/allocations/lab/198.19.1.0-24");
  auto decoded = decode_allocations(key, dump_json(encode(b)));
  ASSERT_TRUE(decoded) << decoded.error().message;
  EXPECT_EQ(*decoded, b);
  for (const char* bad : {"[", "[]", R"({"198.19.2.5":{"containerId":"c","ifname":"e","node":"h"}})",
                          R"({"x":{"containerId":"c","ifname":"e","node":"h"}})", R"({"198.19.1.5":{"ifname":"e","node":"h"}})"}) {
    auto r = decode_allocations(key, bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, Errc::corrupt) << bad;
  }
  EXPECT_FALSE(decode_allocations("/weft/v1/allocations/lab", "{}"));
}

class AllocatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = store::open_store({.url = "memory:"});
    ASSERT_TRUE(s);
    store_ = std::move(*s);
    auto lease = store_->grant_lease(3600);
    ASSERT_TRUE(lease);
    lease_ = lease->id;
  }
  void add_pool(std::string name, std::string cidr, int block_length) {
    model::Pool p;
    p.name = std::move(name);
    p.cidr = pfx(cidr);
    p.block_length = block_length;
    ASSERT_TRUE(ipam::add_pool(*store_, p));
  }
  AssignRequest request(const std::string& id, const std::string& ifname = "eth0") {
    AssignRequest r;
    r.endpoint.container_id = id;
    r.endpoint.ifname = ifname;
    r.endpoint.pod_name = "pod-" + id;
    r.lease = lease_;
    return r;
  }
  size_t keys_under(const std::string& prefix_text) {
    auto l = store_->list(prefix_text);
    return l ? l->kvs.size() : 999;
  }

  std::unique_ptr<store::Store> store_;
  store::LeaseId lease_ = 0;
};

TEST_F(AllocatorTest, AssignsOneAddressPerFamilyAndRecordsBoth) {
  add_pool("lab", "198.19.0.0/16", 24);
  add_pool("lab6", "fd00:198:19::/48", 120);
  AddressAllocator allocator(*store_, "h1");
  auto a = allocator.assign(request("c1"));
  ASSERT_TRUE(a) << a.error().message;
  ASSERT_EQ(a->endpoint.addresses.size(), 2u);
  EXPECT_TRUE(a->endpoint.addresses[0].address.is_v4());
  EXPECT_FALSE(a->endpoint.addresses[1].address.is_v4());
  EXPECT_EQ(a->block_claims, 2) << "no block held yet: one claim per pool";
  for (const auto& addr : a->endpoint.addresses) EXPECT_NE(addr.address, addr.block.first()) << "the VTEP address";
  auto ep = allocator.find("c1", "eth0");
  ASSERT_TRUE(ep && *ep);
  EXPECT_EQ((*ep)->addresses, a->endpoint.addresses);
  EXPECT_EQ((*ep)->pod_name, "pod-c1");
  EXPECT_EQ((*ep)->node, "h1");
  EXPECT_EQ(keys_under(model::keys::allocations_prefix()), 2u);
}

TEST_F(AllocatorTest, RepeatedAssignIsIdempotentAndReleaseFreesEverything) {
  add_pool("lab", "198.19.0.0/16", 24);
  AddressAllocator allocator(*store_, "h1");
  auto first = allocator.assign(request("c1"));
  ASSERT_TRUE(first);
  EXPECT_FALSE(first->existing);
  auto again = allocator.assign(request("c1"));
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->existing);
  EXPECT_EQ(again->endpoint.addresses, first->endpoint.addresses);
  // A fresh allocator (a restarted weftd) finds it too.
  AddressAllocator restarted(*store_, "h1");
  auto third = restarted.assign(request("c1"));
  ASSERT_TRUE(third);
  EXPECT_EQ(third->endpoint.addresses, first->endpoint.addresses);

  auto released = allocator.release("c1", "eth0");
  ASSERT_TRUE(released && *released);
  EXPECT_EQ((*released)->addresses, first->endpoint.addresses);
  EXPECT_EQ(keys_under(model::keys::allocations_prefix()), 0u) << "an empty record is deleted";
  EXPECT_EQ(keys_under(model::keys::endpoints_prefix()), 0u);
  auto unknown = allocator.release("c1", "eth0");
  ASSERT_TRUE(unknown) << "DEL of an unknown attachment succeeds";
  EXPECT_FALSE(*unknown);
}

TEST_F(AllocatorTest, ClaimsAnotherBlockWhenTheNodesBlocksAreFull) {
  add_pool("small", "198.19.0.0/24", 29);  // 7 usable addresses per block
  AddressAllocator allocator(*store_, "h1");
  std::set<IpAddress> seen;
  int claims = 0;
  for (int i = 0; i < 20; ++i) {
    auto a = allocator.assign(request("c" + std::to_string(i)));
    ASSERT_TRUE(a) << i << ": " << a.error().message;
    EXPECT_TRUE(seen.insert(a->endpoint.addresses.at(0).address).second);
    claims += a->block_claims;
  }
  EXPECT_EQ(claims, 3) << "20 addresses need three blocks of 7";
  auto usage = list_block_usage(*store_, "h1");
  ASSERT_TRUE(usage);
  ASSERT_EQ(usage->items.size(), 3u);
  uint64_t used = 0;
  for (const auto& u : usage->items) used += u.used;
  EXPECT_EQ(used, 20u);
}

TEST_F(AllocatorTest, ExhaustedPoolIsAnErrorButARepeatedAddStillSucceeds) {
  add_pool("tiny", "198.19.0.0/30", 30);  // one block, three addresses
  AddressAllocator allocator(*store_, "h1");
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(allocator.assign(request("c" + std::to_string(i))));
  auto full = allocator.assign(request("c9"));
  ASSERT_FALSE(full);
  EXPECT_EQ(full.error().code, Errc::exhausted);
  EXPECT_TRUE(allocator.assign(request("c1")));
  EXPECT_EQ(keys_under(model::keys::node_endpoints_prefix("h1")), 3u) << "the failed ADD left nothing";
}

TEST_F(AllocatorTest, NoPoolIsNotFound) {
  AddressAllocator allocator(*store_, "h1");
  auto a = allocator.assign(request("c1"));
  ASSERT_FALSE(a);
  EXPECT_EQ(a.error().code, Errc::not_found);
}

TEST_F(AllocatorTest, SurvivesAnotherWriterChangingTheRecord) {
  add_pool("lab", "198.19.0.0/16", 24);
  AddressAllocator allocator(*store_, "h1");
  auto a = allocator.assign(request("c1"));
  ASSERT_TRUE(a);
  // `weft ipam release` behind the allocator's back: its cached revision is now stale.
  auto released = release_address(*store_, a->endpoint.addresses[0].address);
  ASSERT_TRUE(released) << released.error().message;
  EXPECT_EQ(released->record.container_id, "c1");
  EXPECT_EQ(keys_under(model::keys::endpoints_prefix()), 0u) << "the endpoint lost its only address";
  auto b = allocator.assign(request("c2"));
  ASSERT_TRUE(b) << b.error().message;
  EXPECT_GE(b->attempts, 2) << "the first compare-and-swap must have failed";
  auto usage = list_block_usage(*store_);
  ASSERT_TRUE(usage);
  ASSERT_EQ(usage->items.size(), 1u);
  EXPECT_EQ(usage->items[0].used, 1u);
}

TEST_F(AllocatorTest, GarbageCollectionKeepsValidAndYoungAttachments) {
  add_pool("lab", "198.19.0.0/16", 24);
  AddressAllocator allocator(*store_, "h1");
  for (auto id : {"keep", "stale1", "stale2"}) ASSERT_TRUE(allocator.assign(request(id)));
  std::set<protocol::Attachment> valid{{"keep", "eth0"}};
  auto young = allocator.collect_garbage(valid, 3600, unix_now());
  ASSERT_TRUE(young);
  EXPECT_TRUE(young->released.empty());
  EXPECT_EQ(young->spared, 2u);
  auto gc = allocator.collect_garbage(valid, 0, unix_now());
  ASSERT_TRUE(gc) << gc.error().message;
  std::vector<protocol::Attachment> expected{{"stale1", "eth0"}, {"stale2", "eth0"}};
  EXPECT_EQ(gc->released, expected);
  EXPECT_EQ(keys_under(model::keys::node_endpoints_prefix("h1")), 1u);
  auto eps = list_endpoints(*store_);
  ASSERT_TRUE(eps);
  ASSERT_EQ(eps->items.size(), 1u);
  EXPECT_EQ(eps->items[0].container_id, "keep");
}

TEST_F(AllocatorTest, TwoNodesNeverShareABlockOrAnAddress) {
  add_pool("lab", "198.19.0.0/16", 24);
  AddressAllocator h1(*store_, "h1"), h2(*store_, "h2");
  auto a = h1.assign(request("c1"));
  auto b = h2.assign(request("c2"));
  ASSERT_TRUE(a && b);
  EXPECT_NE(a->endpoint.addresses[0].block, b->endpoint.addresses[0].block);
  EXPECT_EQ(h2.release("c1", "eth0").value(), std::nullopt) << "h2 has no endpoint c1";
}

}  // namespace
}  // namespace weft::ipam
