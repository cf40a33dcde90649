// Block leases against a real etcd: the claims race, restarts, TTL expiry, reservations,
// exhaustion, pool deletion and garbage in the store.
#include <gtest/gtest.h>

#include <random>
#include <condition_variable>
#include <map>
#include <set>
#include <thread>

#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

#include "etcd_server.h"
#include "ipam/block_leases.h"
#include "model/keys.h"
#include "ipam/node_lease.h"
#include "ipam/node_registry.h"
#include "ipam/pool_registry.h"

namespace weft::ipam {
namespace {

// Each test gets a fresh etcd of its own (a quarter of a second to start), so tests can use
// the lab's pool range 198.19.0.0/16 without seeing each other's pools and blocks.
class BlockLeases : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(etcd_.start()); }

  std::unique_ptr<store::Store> connect() {
    auto s = store::open_store({.url = etcd_.url()});
    EXPECT_TRUE(s) << s.error().describe();
    return std::move(*s);
  }

  struct TestPool {
    std::string name;
    model::Pool pool;
  };

  TestPool make_pool(store::Store& s, const char* cidr, int block_length) {
    TestPool t{"lab", {}};
    t.pool.name = t.name;
    t.pool.cidr = *Prefix::parse(cidr);
    t.pool.block_length = block_length;
    auto added = add_pool(s, t.pool);
    EXPECT_TRUE(added) << added.error().describe();
    return t;
  }

  testing::EtcdServer etcd_;
};
using Pools = BlockLeases;

std::string unique_node(std::string_view base) {
  static std::mt19937 rng(std::random_device{}());
  return std::string(base) + "-" + std::to_string(rng() % 100000000);
}

TEST_F(BlockLeases, HundredConcurrentClaimantsGetDistinctBlocks) {
  auto admin = connect();
  auto pool = make_pool(*admin, "198.19.0.0/16", 24);
  constexpr int claimants = 100;
  std::vector<std::optional<Prefix>> got(claimants);
  std::vector<std::string> errors(claimants);
  std::vector<std::string> names(claimants);
  for (int i = 0; i < claimants; ++i) names[i] = unique_node("race");
  {
    std::vector<std::jthread> threads;
    for (int i = 0; i < claimants; ++i) {
      threads.emplace_back([&, i] {
        auto s = connect();  // each claimant is its own client, as each node is
        auto lease = NodeLease::acquire(*s, {.node = names[i], .ttl_seconds = 30, .renew_in_background = false});
        if (!lease) { errors[i] = lease.error().describe(); return; }
        auto claim = claim_block(*s, {.pool = pool.name, .node = names[i], .lease = (*lease)->id()});
        if (!claim) { errors[i] = claim.error().describe(); return; }
        got[i] = claim->block;
      });
    }
  }
  std::set<Prefix> distinct;
  for (int i = 0; i < claimants; ++i) {
    ASSERT_TRUE(got[i]) << names[i] << ": " << errors[i];
    EXPECT_TRUE(pool.pool.cidr.contains(*got[i]));
    EXPECT_EQ(got[i]->length(), 24);
    EXPECT_TRUE(distinct.insert(*got[i]).second) << got[i]->to_string() << " handed out twice";
  }
  // The store agrees: exactly one affinity per claimant, each naming the node that got it.
  auto listing = list_blocks(*admin);
  ASSERT_TRUE(listing);
  std::map<std::string, Prefix> held;
  for (const auto& b : listing->items) {
    if (b.affinity.pool == pool.name) held.emplace(b.affinity.node, b.affinity.block);
  }
  ASSERT_EQ(held.size(), static_cast<size_t>(claimants));
  for (int i = 0; i < claimants; ++i) EXPECT_EQ(held.at(names[i]), *got[i]);
}

// Counts the store's retry warnings (store/retry.h logs one before each pause) and lets a test
// wait for them: the event that says a request was refused and will be tried again.
class RetryWarnings final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  bool wait_for(int count, std::chrono::seconds limit) {
    std::unique_lock lock(counted_);
    return seen_.wait_for(lock, limit, [&] { return count_ >= count; });
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    if (std::string_view(msg.payload.data(), msg.payload.size()).find("retrying in") == std::string_view::npos) return;
    {
      std::lock_guard lock(counted_);
      ++count_;
    }
    seen_.notify_all();
  }
  void flush_() override {}

 private:
  std::mutex counted_;
  std::condition_variable seen_;
  int count_ = 0;
};

TEST_F(BlockLeases, AClaimRidesOutAShortStoreOutage) {
  // A request timeout far below the outage, so each try fails fast as unavailable and only the
  // retry policy (store/retry.h: about 5 s) can carry the claim through the restart.
  auto opened = store::open_store({.url = etcd_.url(), .request_timeout = std::chrono::milliseconds(300)});
  ASSERT_TRUE(opened);
  auto& s = **opened;
  auto pool = make_pool(s, "198.19.0.0/16", 24);
  const auto node = unique_node("outage");
  auto lease = NodeLease::acquire(s, {.node = node, .ttl_seconds = 30, .renew_in_background = false});
  ASSERT_TRUE(lease);
  // etcd comes back once the claim has provably been refused twice (the retry policy logs each
  // pause), so only the retry policy can have carried it through.
  auto retries = std::make_shared<RetryWarnings>();
  spdlog::default_logger()->sinks().push_back(retries);
  etcd_.stop();
  std::jthread restart([&] {
    EXPECT_TRUE(retries->wait_for(2, std::chrono::seconds(10))) << "the claim was not retried";
    EXPECT_TRUE(etcd_.start());
  });
  auto claim = claim_block(s, {.pool = pool.name, .node = node, .lease = (*lease)->id()});
  restart.join();
  spdlog::default_logger()->sinks().pop_back();
  ASSERT_TRUE(claim) << claim.error().describe();
  EXPECT_TRUE(pool.pool.cidr.contains(claim->block));
}

TEST_F(BlockLeases, ARestartedNodeGetsItsBlockBack) {
  auto s = connect();
  auto pool = make_pool(*s, "198.19.0.0/16", 24);
  const auto node = unique_node("restart");
  Prefix first;
  store::LeaseId first_lease = 0;
  {
    auto lease = NodeLease::acquire(*s, {.node = node, .ttl_seconds = 30});
    ASSERT_TRUE(lease);
    auto claim = claim_block(*s, {.pool = pool.name, .node = node, .lease = (*lease)->id()});
    ASSERT_TRUE(claim) << claim.error().describe();
    EXPECT_FALSE(claim->already_held);
    first = claim->block;
    first_lease = (*lease)->id();
  }  // the agent stops: nothing is revoked
  auto other = connect();  // a new process, a new client
  auto lease = NodeLease::acquire(*other, {.node = node, .ttl_seconds = 30});
  ASSERT_TRUE(lease);
  EXPECT_TRUE((*lease)->reused());
  EXPECT_EQ((*lease)->id(), first_lease);
  auto claim = claim_block(*other, {.pool = pool.name, .node = node, .lease = (*lease)->id()});
  ASSERT_TRUE(claim);
  EXPECT_EQ(claim->block, first);
  EXPECT_TRUE(claim->already_held);
}

TEST_F(BlockLeases, ANodeGonePastTheTtlLosesItsBlockToTheNextClaimant) {
  auto s = connect();
  auto pool = make_pool(*s, "198.19.0.0/22", 24);  // 4 blocks
  const auto gone = unique_node("gone");
  Prefix lost;
  {
    auto lease = NodeLease::acquire(*s, {.node = gone, .ttl_seconds = 2, .renew_in_background = false});
    ASSERT_TRUE(lease);
    auto claim = claim_block(*s, {.pool = pool.name, .node = gone, .lease = (*lease)->id()});
    ASSERT_TRUE(claim);
    lost = claim->block;
  }
  // Fill the other three blocks so the next claimant can only get the lost one.
  std::vector<std::unique_ptr<NodeLease>> keep;
  for (int i = 0; i < 3; ++i) {
    auto n = unique_node("fill");
    auto lease = NodeLease::acquire(*s, {.node = n, .ttl_seconds = 30});
    ASSERT_TRUE(lease);
    ASSERT_TRUE(claim_block(*s, {.pool = pool.name, .node = n, .lease = (*lease)->id()}));
    keep.push_back(std::move(*lease));
  }
  const auto next = unique_node("next");
  auto lease = NodeLease::acquire(*s, {.node = next, .ttl_seconds = 30});
  ASSERT_TRUE(lease);
  auto early = claim_block(*s, {.pool = pool.name, .node = next, .lease = (*lease)->id()});
  ASSERT_FALSE(early) << "the gone node's block was handed out before its TTL passed";
  EXPECT_EQ(early.error().code, Errc::exhausted);
  EXPECT_NE(early.error().message.find(pool.name), std::string::npos) << early.error().message;

  std::this_thread::sleep_for(std::chrono::milliseconds(3500));
  auto later = claim_block(*s, {.pool = pool.name, .node = next, .lease = (*lease)->id()});
  ASSERT_TRUE(later) << later.error().describe();
  EXPECT_EQ(later->block, lost);

  // And the node that came back too late does not get it back: it has nothing left.
  auto back = NodeLease::acquire(*s, {.node = gone, .ttl_seconds = 30});
  ASSERT_TRUE(back);
  EXPECT_FALSE((*back)->reused());
  auto again = claim_block(*s, {.pool = pool.name, .node = gone, .lease = (*back)->id(), .preferred = lost});
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, Errc::exhausted);
}

TEST_F(BlockLeases, RenewalKeepsBlocksBeyondTheTtl) {
  auto s = connect();
  auto pool = make_pool(*s, "198.19.0.0/16", 24);
  const auto node = unique_node("renew");
  auto lease = NodeLease::acquire(*s, {.node = node, .ttl_seconds = 2});
  ASSERT_TRUE(lease);
  auto claim = claim_block(*s, {.pool = pool.name, .node = node, .lease = (*lease)->id()});
  ASSERT_TRUE(claim);
  std::this_thread::sleep_for(std::chrono::milliseconds(4500));
  auto kv = s->get(model::keys::block(pool.name, claim->block));
  ASSERT_TRUE(kv);
  ASSERT_TRUE(kv->has_value()) << "block expired although the lease was being renewed";
  EXPECT_EQ((*kv)->version, 1) << "renewal must not re-put the block key";
  EXPECT_FALSE((*lease)->lost());
}

TEST_F(BlockLeases, ReservationsNeverExpireAndAreReturnedToTheirNode) {
  auto s = connect();
  auto pool = make_pool(*s, "198.19.0.0/16", 24);
  const auto node = unique_node("pinned");
  auto block = *pool.pool.cidr.subnet(24, 5);
  ASSERT_TRUE(reserve_block(*s, pool.name, block, node));
  auto again = reserve_block(*s, pool.name, block, "someone-else");
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, Errc::already_exists);
  auto foreign = reserve_block(*s, pool.name, *Prefix::parse("198.51.100.0/24"), node);
  ASSERT_FALSE(foreign);
  EXPECT_EQ(foreign.error().code, Errc::invalid_argument);

  auto lease = NodeLease::acquire(*s, {.node = node, .ttl_seconds = 1, .renew_in_background = false});
  ASSERT_TRUE(lease);
  auto claim = claim_block(*s, {.pool = pool.name, .node = node, .lease = (*lease)->id()});
  ASSERT_TRUE(claim);
  EXPECT_EQ(claim->block, block);
  EXPECT_TRUE(claim->already_held);
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  auto kv = s->get(model::keys::block(pool.name, block));
  ASSERT_TRUE(kv && kv->has_value()) << "a reservation expired with the node's lease";
}

TEST_F(BlockLeases, ListingAllLeasesIsOneRoundTrip) {
  auto s = connect();
  auto pool = make_pool(*s, "198.19.0.0/16", 24);
  for (int i = 0; i < 20; ++i) {
    auto n = unique_node("list");
    auto lease = NodeLease::acquire(*s, {.node = n, .ttl_seconds = 60, .renew_in_background = false});
    ASSERT_TRUE(lease);
    ASSERT_TRUE(claim_block(*s, {.pool = pool.name, .node = n, .lease = (*lease)->id()}));
  }
  const auto before = s->counters().round_trips.load();
  auto listing = list_blocks(*s);
  ASSERT_TRUE(listing);
  EXPECT_EQ(s->counters().round_trips.load() - before, 1u);
  int mine = 0;
  for (const auto& b : listing->items) {
    if (b.affinity.pool != pool.name) continue;
    ++mine;
    ASSERT_TRUE(b.expires_at_unix) << b.affinity.block.to_string();
    EXPECT_GT(*b.expires_at_unix, std::time(nullptr) + 30);
  }
  EXPECT_EQ(mine, 20);
}

TEST_F(BlockLeases, GarbageUnderBlockAndNodeKeysIsReportedWithTheKeyAndSkipped) {
  auto s = connect();
  auto pool = make_pool(*s, "198.19.0.0/16", 24);
  const auto bad_block_key = model::keys::block(pool.name, *pool.pool.cidr.subnet(24, 0));
  ASSERT_TRUE(s->put(bad_block_key, "\x01garbage{"));
  const auto bad_node = unique_node("garbage");
  ASSERT_TRUE(s->put(model::keys::node(bad_node), "[1,2"));
  const auto good_node = unique_node("good");
  ASSERT_TRUE(register_node(*s, model::Node{good_node, {*model::InterfaceAddress::parse("198.18.0.9/24")}, {}}));

  auto blocks = list_blocks(*s);
  ASSERT_TRUE(blocks);
  bool reported = false;
  for (const auto& e : blocks->skipped) reported |= e.message.find(bad_block_key) != std::string::npos;
  EXPECT_TRUE(reported);

  auto nodes = list_nodes(*s);
  ASSERT_TRUE(nodes);
  bool node_reported = false, good_listed = false;
  for (const auto& e : nodes->skipped) node_reported |= e.message.find(model::keys::node(bad_node)) != std::string::npos;
  for (const auto& n : nodes->items) good_listed |= n.name == good_node;
  EXPECT_TRUE(node_reported);
  EXPECT_TRUE(good_listed);

  // A claim skips the unreadable block instead of failing or overwriting it.
  auto lease = NodeLease::acquire(*s, {.node = good_node, .ttl_seconds = 30, .renew_in_background = false});
  ASSERT_TRUE(lease);
  auto claim = claim_block(*s, {.pool = pool.name, .node = good_node, .lease = (*lease)->id(),
                                .preferred = *pool.pool.cidr.subnet(24, 0)});
  ASSERT_TRUE(claim) << claim.error().describe();
  EXPECT_NE(claim->block, *pool.pool.cidr.subnet(24, 0));
  auto still = s->get(bad_block_key);
  ASSERT_TRUE(still && still->has_value());
  EXPECT_EQ((*still)->value, "\x01garbage{");
}

TEST_F(Pools, InUsePoolCannotBeDeletedAndOverlapsAreRefused) {
  auto s = connect();
  auto pool = make_pool(*s, "198.19.0.0/16", 24);
  model::Pool overlapping = pool.pool;
  overlapping.name = pool.name + "x";
  overlapping.cidr = *pool.pool.cidr.subnet(20, 1);
  auto overlap = add_pool(*s, overlapping);
  ASSERT_FALSE(overlap);
  EXPECT_NE(overlap.error().message.find("overlaps pool " + pool.name), std::string::npos);

  const auto node = unique_node("user");
  auto lease = NodeLease::acquire(*s, {.node = node, .ttl_seconds = 30, .renew_in_background = false});
  ASSERT_TRUE(lease);
  auto claim = claim_block(*s, {.pool = pool.name, .node = node, .lease = (*lease)->id()});
  ASSERT_TRUE(claim);
  auto del = delete_pool(*s, pool.name);
  ASSERT_FALSE(del);
  EXPECT_EQ(del.error().code, Errc::in_use);
  // The refused delete left the pool usable.
  auto more = claim_block(*s, {.pool = pool.name, .node = node, .lease = (*lease)->id(), .additional = true});
  ASSERT_TRUE(more) << more.error().describe();

  ASSERT_TRUE((*lease)->release());
  ASSERT_TRUE(delete_pool(*s, pool.name));
  auto gone = get_pool(*s, pool.name);
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().code, Errc::not_found);
}

TEST_F(BlockLeases, RemovingANodeFreesItsLeasedBlocksButKeepsReservations) {
  auto s = connect();
  auto pool = make_pool(*s, "198.19.0.0/16", 24);
  const auto node = unique_node("removed");
  ASSERT_TRUE(register_node(*s, model::Node{node, {*model::InterfaceAddress::parse("198.18.0.9/24")}, {}}));
  auto lease = NodeLease::acquire(*s, {.node = node, .ttl_seconds = 600, .renew_in_background = false});
  ASSERT_TRUE(lease);
  auto claim = claim_block(*s, {.pool = pool.name, .node = node, .lease = (*lease)->id()});
  ASSERT_TRUE(claim);
  auto pinned = *pool.pool.cidr.subnet(24, 200);
  ASSERT_TRUE(reserve_block(*s, pool.name, pinned, node));

  ASSERT_TRUE(remove_node(*s, node));
  auto block = s->get(model::keys::block(pool.name, claim->block));
  ASSERT_TRUE(block);
  EXPECT_FALSE(block->has_value()) << "the leased block must be free at once, not after the TTL";
  auto reserved = s->get(model::keys::block(pool.name, pinned));
  ASSERT_TRUE(reserved && reserved->has_value());
  auto nodes = list_nodes(*s);
  ASSERT_TRUE(nodes);
  for (const auto& n : nodes->items) EXPECT_NE(n.name, node);
  auto again = remove_node(*s, node);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, Errc::not_found);
}

}  // namespace
}  // namespace weft::ipam
