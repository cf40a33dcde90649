// A node's lease and its blocks on the embedded store with a fake clock: losing the lease (the
// TTL passes without a renewal) and acquiring a new one, with no sleeps. The same scenarios run
// against etcd, in real time, in tests/integration/block_lease_test.cc.
#include <gtest/gtest.h>

#include "base/clock.h"
#include "ipam/block_leases.h"
#include "ipam/node_lease.h"
#include "ipam/pool_registry.h"
#include "model/keys.h"
#include "store/memory_store.h"

namespace weft::ipam {
namespace {

using namespace std::chrono_literals;

class NodeLeaseFakeClock : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = store::MemoryStore::open("", clock_);
    ASSERT_TRUE(s);
    store_ = std::move(*s);
    model::Pool pool;
    pool.name = "lab";
    pool.cidr = *Prefix::parse("198.19.0.0/22");  // 4 blocks
    pool.block_length = 24;
    ASSERT_TRUE(add_pool(*store_, pool));
  }

  std::unique_ptr<NodeLease> acquire(const std::string& node) {
    auto lease = NodeLease::acquire(*store_, {.node = node, .ttl_seconds = 30, .renew_in_background = false});
    EXPECT_TRUE(lease) << lease.error().describe();
    return lease ? std::move(*lease) : nullptr;
  }

  FakeClock clock_;
  std::unique_ptr<store::MemoryStore> store_;
};

TEST_F(NodeLeaseFakeClock, RenewalsKeepTheBlockPastManyTtls) {
  auto lease = acquire("h1");
  auto claim = claim_block(*store_, {.pool = "lab", .node = "h1", .lease = lease->id()});
  ASSERT_TRUE(claim);
  for (int i = 0; i < 10; ++i) {
    clock_.advance(20s);
    ASSERT_TRUE(lease->renew());
    EXPECT_EQ(store_->expire_due(), 0u);
  }
  auto again = claim_block(*store_, {.pool = "lab", .node = "h1", .lease = lease->id()});
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->already_held);
  EXPECT_EQ(again->block, claim->block);
}

TEST_F(NodeLeaseFakeClock, ALostLeaseLosesTheBlocksAndANewLeaseClaimsAgain) {
  auto lease = acquire("h1");
  auto claim = claim_block(*store_, {.pool = "lab", .node = "h1", .lease = lease->id()});
  ASSERT_TRUE(claim);

  clock_.advance(31s);  // no renewal within the TTL
  EXPECT_EQ(store_->expire_due(), 1u);
  EXPECT_FALSE(store_->get(model::keys::block("lab", claim->block)).value()) << "the affinity went with the lease";
  EXPECT_FALSE(store_->get(model::keys::liveness("h1")).value());

  auto renewed = lease->renew();
  ASSERT_FALSE(renewed);
  EXPECT_EQ(renewed.error().code, Errc::not_found);
  EXPECT_TRUE(lease->lost());

  auto fresh = acquire("h1");
  ASSERT_TRUE(fresh);
  EXPECT_FALSE(fresh->reused());
  EXPECT_NE(fresh->id(), lease->id());
  auto back = claim_block(*store_, {.pool = "lab", .node = "h1", .lease = fresh->id(), .preferred = claim->block});
  ASSERT_TRUE(back) << back.error().describe();
  EXPECT_FALSE(back->already_held);
  EXPECT_EQ(back->block, claim->block) << "the node's previous block was free and preferred";
}

TEST_F(NodeLeaseFakeClock, ARestartWithinTheTtlReusesTheLease) {
  auto lease = acquire("h1");
  const store::LeaseId id = lease->id();
  lease.reset();  // the agent stops without revoking
  clock_.advance(29s);
  EXPECT_EQ(store_->expire_due(), 0u);
  auto again = acquire("h1");
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->reused());
  EXPECT_EQ(again->id(), id);
  clock_.advance(29s);  // the TTL restarted at the re-acquire
  EXPECT_EQ(store_->expire_due(), 0u);
}

}  // namespace
}  // namespace weft::ipam
