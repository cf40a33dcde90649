// Interop with bird2 (BIRD 2.0): sessions both ways, routes both ways (weft's into bird's kernel
// table, bird's into weft's Loc-RIB and the best-change callback), withdrawal both ways, and a
// bird restart with graceful restart (RFC 4724): weft keeps bird's routes as stale until bird's
// End-of-RIB, then sweeps the ones bird no longer announces.
#include <fstream>

#include "interop_fixture.h"
#include "require.h"

namespace weft::bgp::testing {
namespace {

using namespace std::chrono_literals;

class Bird : public InteropFixture {
 protected:
  void SetUp() override {
    WEFT_REQUIRE(sh("command -v bird") == 0, "bird2 is not installed");
    InteropFixture::SetUp();
  }
  // With `statics6`, an IPv6 unicast channel too, on the same IPv4 session (RFC 4760), with bird's
  // address on the link as the IPv6 next hop.
  std::string config(bool passive, const std::vector<std::string>& statics,
                     const std::vector<std::string>& statics6 = {}) {
    std::string routes, routes6;
    for (const auto& r : statics) routes += "  route " + r + " blackhole;\n";
    for (const auto& r : statics6) routes6 += "  route " + r + " blackhole;\n";
    const std::string v6 = statics6.empty()
                               ? ""
                               : "protocol kernel { ipv6 { import none; export where source = RTS_BGP; }; learn off; }\n"
                                 "protocol static { ipv6;\n" + routes6 + "}\n";
    const std::string v6_channel =
        statics6.empty() ? "" : "  ipv6 { import all; export where source = RTS_STATIC; next hop address fd00:198:18::2; };\n";
    return "router id 198.18.0.2;\n"
           "log \"" + dir_.file("bird.log") + "\" all;\n"
           "graceful restart wait 5;\n"
           "protocol device { scan time 10; }\n"
           "protocol kernel { ipv4 { import none; export where source = RTS_BGP; }; learn off; }\n"
           "protocol static { ipv4;\n" + routes + "}\n" + v6 +
           "protocol bgp weft {\n"
           "  local 198.18.0.2 as 65002;\n"
           "  neighbor 198.18.0.1 port " + std::to_string(port_) + " as 65001;\n" +
           (passive ? "  passive on;\n" : "") +
           "  hold time 9; keepalive time 3; connect retry time 1; connect delay time 1;\n"
           "  error wait time 1, 5;\n"
           "  graceful restart on; graceful restart time 60;\n"
           "  ipv4 { import all; export where source = RTS_STATIC; next hop self; };\n" + v6_channel +
           "}\n";
  }
  void start_bird(bool passive, const std::vector<std::string>& statics, bool recovery = false,
                  const std::vector<std::string>& statics6 = {}) {
    dir_.write("bird.conf", config(passive, statics, statics6));
    std::vector<std::string> argv = {"bird", "-f", "-c", dir_.file("bird.conf"), "-s", dir_.file("bird.ctl"),
                                     "-P", dir_.file("bird.pid")};
    if (recovery) argv.push_back("-R");  // graceful restart recovery: the restarting side
    peer_ = Process(argv, p_->path(), dir_.file("bird.out"));
    ASSERT_TRUE(eventually([&] { return sh("birdc -s " + dir_.file("bird.ctl") + " show status") == 0; }, 10s));
  }
  void reconfigure(bool passive, const std::vector<std::string>& statics) {
    dir_.write("bird.conf", config(passive, statics));
    ASSERT_EQ(sh("birdc -s " + dir_.file("bird.ctl") + " configure"), 0);
  }
  bool bird_established() {
    std::string out;
    sh("birdc -s " + dir_.file("bird.ctl") + " show protocols weft", &out);
    return out.find("Established") != std::string::npos;
  }
  // The route as bird installed it in its namespace's kernel table. A failed `ip` fails the test
  // (its empty output would read as "no route").
  bool bird_kernel_has(const char* prefix) {
    std::string out;
    EXPECT_EQ(p_->ip(std::string("route show ") + prefix, &out), 0) << "probe failed: ip route show " << prefix;
    return out.find("via 198.18.0.1") != std::string::npos;
  }
  void dump_logs() {
    std::string out;
    sh("tail -n 30 " + dir_.file("bird.log") + " " + dir_.file("bird.out"), &out);
    std::cerr << out;
  }
  void TearDown() override {
    if (HasFailure()) dump_logs();
    InteropFixture::TearDown();
  }

  void routes_both_ways() {
    ASSERT_TRUE(eventually([&] { return weft_state() == State::established; })) << "weft side";
    ASSERT_TRUE(eventually([&] { return bird_established(); })) << "bird side";
    // weft -> bird: in bird's kernel table with weft's address as next hop.
    ASSERT_TRUE(eventually([&] { return bird_kernel_has("198.19.1.0/26"); }));
    // bird -> weft: in the Loc-RIB and through the best-change callback.
    ASSERT_TRUE(eventually([&] { return weft_has("198.19.2.0/26"); }));
    auto r = weft_routes("198.19.2.0/26");
    EXPECT_EQ(r.at(0).next_hop, ip("198.18.0.2"));
    EXPECT_TRUE(r.at(0).best);
    EXPECT_TRUE(last_change_becomes("198.19.2.0/26", std::vector{ip("198.18.0.2")}));
    // Outside the pools: refused by weft's import filter.
    EXPECT_FALSE(weft_has("10.99.0.0/24"));
  }
};

TEST_F(Bird, BirdConnectsToWeft) {
  add_peer(/*passive=*/true);
  start_bird(/*passive=*/false, {"198.19.2.0/26", "10.99.0.0/24"});
  routes_both_ways();
  // Withdrawal both ways.
  t_->call([&] { s_->withdraw(pfx("198.19.1.0/26")); });
  ASSERT_TRUE(eventually([&] { return !bird_kernel_has("198.19.1.0/26"); }));
  reconfigure(false, {});
  ASSERT_TRUE(eventually([&] { return !weft_has("198.19.2.0/26"); }));
  EXPECT_TRUE(last_change_becomes("198.19.2.0/26", std::vector<IpAddress>{}));
  EXPECT_EQ(weft_state(), State::established);
}

TEST_F(Bird, WeftConnectsToBird) {
  add_peer(/*passive=*/false);
  start_bird(/*passive=*/true, {"198.19.2.0/26"});
  routes_both_ways();
  t_->call([&] { s_->announce(pfx("198.19.1.64/26")); });
  ASSERT_TRUE(eventually([&] { return bird_kernel_has("198.19.1.64/26"); }));
}

TEST_F(Bird, GracefulRestartKeepsRoutesUntilEndOfRib) {
  add_peer(/*passive=*/true);
  start_bird(false, {"198.19.2.0/26", "198.19.2.64/26"});
  ASSERT_TRUE(eventually([&] { return weft_has("198.19.2.0/26") && weft_has("198.19.2.64/26"); }));
  ASSERT_TRUE(t_->call([&] { return s_->peer(ip("198.18.0.2"))->graceful_restart; }));
  const size_t calls_before = [&] { std::lock_guard l(mu_); return changes_.size(); }();

  peer_.kill(SIGKILL);  // no Cease: the TCP connection just ends
  ASSERT_TRUE(eventually([&] { return weft_state() != State::established; }));
  std::this_thread::sleep_for(1s);
  auto stale = weft_routes("198.19.2.64/26");
  ASSERT_EQ(stale.size(), 1u);
  EXPECT_TRUE(stale[0].stale);
  {
    std::lock_guard l(mu_);
    EXPECT_EQ(changes_.size(), calls_before) << "stale routes must not reach the kernel";
  }

  // bird comes back in recovery mode, now announcing only the first prefix.
  start_bird(false, {"198.19.2.0/26"}, /*recovery=*/true);
  // (bird sends its End-of-RIB within milliseconds of the session: whether the stale route is
  // still there when this thread first sees Established is a race, so it is not asserted.)
  ASSERT_TRUE(eventually([&] { return weft_state() == State::established; }));
  ASSERT_TRUE(eventually([&] { return !weft_has("198.19.2.64/26"); }, 30s)) << "swept after End-of-RIB";
  auto fresh = weft_routes("198.19.2.0/26");
  ASSERT_EQ(fresh.size(), 1u);
  EXPECT_FALSE(fresh[0].stale);
  EXPECT_TRUE(last_change_becomes("198.19.2.64/26", std::vector<IpAddress>{}));
}

TEST_F(Bird, Ipv6RoutesBothWaysOverAnIpv4Session) {
  ASSERT_EQ(w_->ip("addr add fd00:198:18::1/64 dev vw nodad"), 0);
  ASSERT_EQ(p_->ip("addr add fd00:198:18::2/64 dev vp nodad"), 0);
  auto r = t_->call([&] {
    s_->announce(pfx("fd00:198:19:1::/64"));
    return s_->add_peer(PeerConfig{.address = ip("198.18.0.2"),
                                   .peer_as = kPeerAs,
                                   .hold_time = 9,
                                   .connect_retry_time = std::chrono::seconds(1),
                                   .next_hop_v6 = ip("fd00:198:18::1")});
  });
  ASSERT_TRUE(r) << r.error().describe();
  start_bird(/*passive=*/true, {"198.19.2.0/26"}, false, {"fd00:198:19:2::/64", "fd00:99::/64"});
  ASSERT_TRUE(eventually([&] { return bird_established(); }));
  // weft -> bird: in bird's kernel table via weft's IPv6 next hop.
  ASSERT_TRUE(eventually([&] {
    std::string out;
    p_->ip("-6 route show fd00:198:19:1::/64", &out);
    return out.find("via fd00:198:18::1") != std::string::npos;
  })) << "bird did not install weft's IPv6 prefix";
  // bird -> weft: learned with bird's IPv6 next hop; outside the pools refused.
  ASSERT_TRUE(eventually([&] { return weft_has("fd00:198:19:2::/64"); }));
  EXPECT_EQ(weft_routes("fd00:198:19:2::/64").at(0).next_hop, ip("fd00:198:18::2"));
  EXPECT_TRUE(last_change_becomes("fd00:198:19:2::/64", std::vector{ip("fd00:198:18::2")}));
  EXPECT_FALSE(weft_has("fd00:99::/64"));
  // Withdrawal of the IPv6 prefix, while IPv4 goes on.
  t_->call([&] { s_->withdraw(pfx("fd00:198:19:1::/64")); });
  ASSERT_TRUE(eventually([&] {
    std::string out;
    EXPECT_EQ(p_->ip("-6 route show fd00:198:19:1::/64", &out), 0) << "probe failed: ip -6 route show";
    return out.empty();
  }));
  EXPECT_TRUE(bird_kernel_has("198.19.1.0/26"));
}

}  // namespace
}  // namespace weft::bgp::testing
