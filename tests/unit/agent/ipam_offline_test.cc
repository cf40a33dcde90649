// weftd's IPAM with the store unreachable (issue 13): ADD answered from the held block, DEL at
// once, the writes owed replayed in order when the store is back, a conflicting write reported
// and never turned into a duplicate, and the owed writes surviving a restart of the service.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "agent/ipam_service.h"
#include "ipam/address_listing.h"
#include "ipam/block_leases.h"
#include "ipam/pool_registry.h"
#include "ipam_ask.h"
#include "kernel/fake_kernel.h"
#include "model/keys.h"
#include "parse.h"
#include "refusing_store.h"
#include "store/memory_store.h"

namespace weft::agent {
namespace {

namespace proto = ipam::protocol;

struct Offline : ::testing::Test {
  FakeClock clock;
  std::unique_ptr<store::MemoryStore> store = *store::MemoryStore::open("", clock);
  RefusingStore refusing{*store};
  kernel::FakeKernel kernel;
  std::filesystem::path dir;
  Prefix block;

  void SetUp() override {
    char tmpl[] = "/tmp/weft-ipam-offline-XXXXXX";
    dir = ::mkdtemp(tmpl);
    model::Pool pool;
    pool.name = "lab";
    pool.cidr = weft::testing::pfx("198.19.0.0/16");
    pool.block_length = 24;
    ASSERT_TRUE(ipam::add_pool(*store, pool));
    auto claim = ipam::claim_block(*store, {.pool = "lab", .node = "h1", .lease = 0});
    ASSERT_TRUE(claim);
    block = claim->block;
  }
  void TearDown() override { std::filesystem::remove_all(dir); }

  std::unique_ptr<IpamService> service() {
    auto s = std::make_unique<IpamService>(
        refusing, kernel,
        IpamService::Options{.node = "h1", .sweep_grace = std::chrono::seconds(0), .clock = &clock,
                             .journal_path = (dir / "ipam-owed.json").string()});
    EXPECT_TRUE(ask(*s, {.op = proto::Op::status}).ok());  // the worker has read the blocks
    return s;
  }
  std::optional<model::Endpoint> stored(const std::string& container) {
    auto ep = ipam::list_endpoints(*store, "h1");
    if (!ep) return std::nullopt;
    for (const auto& e : ep->items) {
      if (e.container_id == container) return e;
    }
    return std::nullopt;
  }
};

proto::Response add(IpamService& s, const std::string& container) {
  return ask(s, {.op = proto::Op::add, .container_id = container, .ifname = "eth0"});
}
proto::Response del(IpamService& s, const std::string& container) {
  return ask(s, {.op = proto::Op::del, .container_id = container, .ifname = "eth0"});
}

TEST_F(Offline, AddAndDelAreAnsweredFromTheHeldBlockAndWrittenWhenTheStoreIsBack) {
  auto ipam = service();
  auto before = add(*ipam, "old");
  ASSERT_TRUE(before.ok());

  refusing.down();
  auto added = add(*ipam, "new");
  ASSERT_TRUE(added.ok()) << added.error->describe();
  ASSERT_EQ(added.addresses.size(), 1u);
  EXPECT_TRUE(block.contains(added.addresses[0].address));
  EXPECT_NE(added.addresses[0].address, before.addresses[0].address);
  EXPECT_EQ(add(*ipam, "new").addresses, added.addresses) << "a repeated ADD gets the same address";
  EXPECT_TRUE(del(*ipam, "old").ok());
  // Added and deleted during the outage: nothing to write, and its address is free again.
  auto brief = add(*ipam, "brief");
  ASSERT_TRUE(brief.ok());
  EXPECT_TRUE(del(*ipam, "brief").ok());
  EXPECT_EQ(ipam->counters().pending_writes.load(), 2u);  // new's ADD, old's DEL
  EXPECT_EQ(ipam->counters().answered_offline.load(), 5u);
  EXPECT_FALSE(stored("new")) << "nothing reached the store while it was down";
  EXPECT_TRUE(stored("old"));

  refusing.up();
  ASSERT_TRUE(ask(*ipam, {.op = proto::Op::status}).ok());  // replays what is owed first
  EXPECT_EQ(ipam->counters().pending_writes.load(), 0u);
  auto written = stored("new");
  ASSERT_TRUE(written);
  ASSERT_EQ(written->addresses.size(), 1u);
  EXPECT_EQ(written->addresses[0].address, added.addresses[0].address);
  EXPECT_FALSE(stored("old"));
  EXPECT_FALSE(stored("brief"));
  EXPECT_TRUE(ipam->problems().empty());
  // The next online ADD does not hand out new's address again.
  auto next = add(*ipam, "next");
  ASSERT_TRUE(next.ok());
  EXPECT_NE(next.addresses[0].address, added.addresses[0].address);
}

TEST_F(Offline, AnAddressTakenMeanwhileIsReportedNeverGivenTwice) {
  auto ipam = service();
  refusing.down();
  auto added = add(*ipam, "mine");
  ASSERT_TRUE(added.ok());
  const IpAddress address = added.addresses[0].address;
  // Meanwhile another writer (a second agent, `weft ipam` by hand) allocated that address.
  {
    auto other = std::make_unique<IpamService>(*store, kernel,
                                               IpamService::Options{.node = "h1", .sweep_grace = std::chrono::seconds(0)});
    auto taken = add(*other, "theirs");
    ASSERT_TRUE(taken.ok());
    ASSERT_EQ(taken.addresses[0].address, address) << "the test needs the same first free address";
  }
  refusing.up();
  ASSERT_TRUE(ask(*ipam, {.op = proto::Op::status}).ok());
  EXPECT_EQ(ipam->counters().pending_writes.load(), 0u);
  EXPECT_FALSE(stored("mine"));
  ASSERT_TRUE(stored("theirs"));
  ASSERT_EQ(ipam->problems().size(), 1u);
  EXPECT_NE(ipam->problems()[0].find("mine/eth0"), std::string::npos) << ipam->problems()[0];
  EXPECT_NE(ipam->problems()[0].find(address.to_string()), std::string::npos) << ipam->problems()[0];
}

TEST_F(Offline, TheOwedWritesSurviveARestartOfTheService) {
  IpAddress address;
  {
    auto ipam = service();
    refusing.down();
    auto added = add(*ipam, "kept");
    ASSERT_TRUE(added.ok());
    address = added.addresses[0].address;
  }
  refusing.up();
  auto again = service();  // its first request replays the journal it found
  EXPECT_EQ(again->counters().pending_writes.load(), 0u);
  auto written = stored("kept");
  ASSERT_TRUE(written);
  EXPECT_EQ(written->addresses[0].address, address);
}

TEST_F(Offline, WithoutAFreeAddressTheAddFailsClearly) {
  model::Pool tiny;
  tiny.name = "tiny";
  tiny.cidr = weft::testing::pfx("198.20.0.0/30");
  tiny.block_length = 30;
  ASSERT_TRUE(ipam::add_pool(*store, tiny));
  ASSERT_TRUE(ipam::claim_block(*store, {.pool = "tiny", .node = "h1", .lease = 0}));
  auto ipam = service();
  refusing.down();
  std::string last;
  for (int i = 0; i < 5; ++i) {
    auto r = ask(*ipam, {.op = proto::Op::add, .container_id = "c" + std::to_string(i), .ifname = "eth0", .pools = {"tiny"}});
    if (!r.ok()) {
      last = r.error->describe();
      break;
    }
  }
  EXPECT_NE(last.find("no free address in the blocks this node holds"), std::string::npos) << last;
}

}  // namespace
}  // namespace weft::agent

namespace weft::agent {
namespace {

TEST(IpamJournal, AnUnreadableJournalIsRefusedNamingTheEntry) {
  char tmpl[] = "/tmp/weft-journal-XXXXXX";
  const std::filesystem::path dir = ::mkdtemp(tmpl);
  const std::string path = (dir / "owed.json").string();
  {
    IpamJournal journal(path);
    ASSERT_TRUE(journal.push({.kind = PendingWrite::Kind::del, .endpoint = {.node = "h1", .container_id = "c", .ifname = "eth0"}}));
  }
  IpamJournal read(path);
  ASSERT_TRUE(read.load());
  ASSERT_EQ(read.size(), 1u);
  EXPECT_EQ(read.front().endpoint.container_id, "c");
  for (const char* bad : {"{", "[{\"op\":\"move\",\"endpoint\":{}}]", "[{\"op\":\"add\"}]", "{}"}) {
    std::ofstream(path, std::ios::trunc) << bad;
    IpamJournal broken(path);
    auto r = broken.load();
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, Errc::corrupt) << bad;
    EXPECT_NE(r.error().message.find(path), std::string::npos) << r.error().message;
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace weft::agent
