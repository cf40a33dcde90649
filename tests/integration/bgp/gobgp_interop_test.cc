// Interop with gobgpd (GoBGP 3): sessions both ways, weft's prefixes in gobgpd's RIB (read with
// the gobgp CLI: gobgpd cannot program the kernel here), gobgpd's prefixes in weft's Loc-RIB and
// the best-change callback, withdrawal both ways, and a gobgpd restart with graceful restart.
#include "interop_fixture.h"
#include "require.h"

namespace weft::bgp::testing {
namespace {

using namespace std::chrono_literals;

constexpr const char* kApi = "50051";

class Gobgp : public InteropFixture {
 protected:
  void SetUp() override {
    WEFT_REQUIRE(sh("command -v gobgpd") == 0, "gobgpd is not installed");
    InteropFixture::SetUp();
  }
  void start_gobgp(bool passive, bool restarting = false) {
    dir_.write("gobgpd.toml",
               "[global.config]\n"
               "  as = 65002\n"
               "  router-id = \"198.18.0.2\"\n"
               "  port = 179\n"
               "[[neighbors]]\n"
               "  [neighbors.config]\n"
               "    neighbor-address = \"198.18.0.1\"\n"
               "    peer-as = 65001\n"
               "  [neighbors.transport.config]\n"
               "    local-address = \"198.18.0.2\"\n"
               "    remote-port = " + std::to_string(port_) + "\n" +
               (passive ? "    passive-mode = true\n" : "") +
               "  [neighbors.timers.config]\n"
               "    connect-retry = 1\n"
               "    hold-time = 9\n"
               "    keepalive-interval = 3\n"
               "  [neighbors.graceful-restart.config]\n"
               "    enabled = true\n"
               "    restart-time = 60\n"
               "  [[neighbors.afi-safis]]\n"
               "    [neighbors.afi-safis.config]\n"
               "      afi-safi-name = \"ipv4-unicast\"\n"
               "    [neighbors.afi-safis.mp-graceful-restart.config]\n"
               "      enabled = true\n");
    std::vector<std::string> argv = {"gobgpd", "-f", dir_.file("gobgpd.toml"), "-p", "--pprof-disable",
                                     std::string("--api-hosts=127.0.0.1:") + kApi};
    if (restarting) argv.push_back("-r");
    peer_ = Process(argv, p_->path(), dir_.file("gobgpd.log"));
    ASSERT_TRUE(eventually([&] { return gobgp("global") == 0; }, 10s));
  }
  int gobgp(const std::string& args, std::string* out = nullptr) {
    return sh("nsenter --net=" + p_->path() + " gobgp -p " + kApi + " " + args, out);
  }
  // Whether gobgpd's RIB holds `prefix` from us. A failed `gobgp` fails the test (its empty
  // output would read as "not there").
  bool gobgp_has(const char* prefix) {
    std::string out;
    EXPECT_EQ(gobgp("global rib -a ipv4", &out), 0) << "probe failed: gobgp global rib: " << out;
    const auto at = out.find(prefix);
    return at != std::string::npos && out.find("198.18.0.1", at) != std::string::npos;
  }
  bool gobgp_established() {
    std::string out;
    gobgp("neighbor", &out);
    return out.find("Establ") != std::string::npos;
  }
  void TearDown() override {
    if (HasFailure()) {
      std::string out;
      sh("tail -n 30 " + dir_.file("gobgpd.log"), &out);
      std::cerr << out;
    }
    InteropFixture::TearDown();
  }
  void routes_both_ways() {
    ASSERT_TRUE(eventually([&] { return weft_state() == State::established; })) << "weft side";
    ASSERT_TRUE(eventually([&] { return gobgp_established(); })) << "gobgpd side";
    ASSERT_TRUE(eventually([&] { return gobgp_has("198.19.1.0/26"); }));
    ASSERT_EQ(gobgp("global rib add -a ipv4 198.19.3.0/26"), 0);
    ASSERT_TRUE(eventually([&] { return weft_has("198.19.3.0/26"); }));
    EXPECT_EQ(weft_routes("198.19.3.0/26").at(0).next_hop, ip("198.18.0.2"));
    EXPECT_TRUE(last_change_becomes("198.19.3.0/26", std::vector{ip("198.18.0.2")}));
    // Withdrawal both ways.
    t_->call([&] { s_->withdraw(pfx("198.19.1.0/26")); });
    ASSERT_TRUE(eventually([&] { return !gobgp_has("198.19.1.0/26"); }));
    ASSERT_EQ(gobgp("global rib del -a ipv4 198.19.3.0/26"), 0);
    ASSERT_TRUE(eventually([&] { return !weft_has("198.19.3.0/26"); }));
    EXPECT_TRUE(last_change_becomes("198.19.3.0/26", std::vector<IpAddress>{}));
  }
};

TEST_F(Gobgp, GobgpConnectsToWeft) {
  add_peer(/*passive=*/true);
  start_gobgp(/*passive=*/false);
  routes_both_ways();
}

TEST_F(Gobgp, WeftConnectsToGobgp) {
  add_peer(/*passive=*/false);
  start_gobgp(/*passive=*/true);
  routes_both_ways();
}

TEST_F(Gobgp, GracefulRestartKeepsRoutesUntilEndOfRib) {
  add_peer(/*passive=*/true);
  start_gobgp(false);
  ASSERT_TRUE(eventually([&] { return weft_state() == State::established; }));
  ASSERT_EQ(gobgp("global rib add -a ipv4 198.19.3.0/26"), 0);
  ASSERT_TRUE(eventually([&] { return weft_has("198.19.3.0/26"); }));
  peer_.kill(SIGKILL);
  ASSERT_TRUE(eventually([&] { return weft_state() != State::established; }));
  std::this_thread::sleep_for(1s);
  auto stale = weft_routes("198.19.3.0/26");
  ASSERT_EQ(stale.size(), 1u);
  EXPECT_TRUE(stale[0].stale);
  // Back as a restarting speaker (R bit) that does not announce the prefix again.
  start_gobgp(false, /*restarting=*/true);
  ASSERT_TRUE(eventually([&] { return weft_state() == State::established; }));
  // gobgpd -r sets R and F and sends its End-of-RIB at once (it has nothing to announce), so
  // the stale route goes with that End-of-RIB: long before the 60 s restart time would end it.
  ASSERT_TRUE(eventually([&] { return !weft_has("198.19.3.0/26"); }, 30s)) << "swept after End-of-RIB";
}

}  // namespace
}  // namespace weft::bgp::testing
