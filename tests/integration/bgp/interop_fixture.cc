// See interop_fixture.h.
#include "interop_fixture.h"

#include <unistd.h>

#include <mutex>

#include "base/log.h"
#include "require.h"

namespace weft::bgp::testing {

void InteropFixture::SetUp() {
  static std::once_flag logging;
  std::call_once(logging, [] { init_logging("info"); });  // WEFT_LOG_LEVEL=debug: session details
  sweep_stale_namespaces("weft-t-");
  WEFT_REQUIRE(geteuid() == 0, "needs root (network namespaces)");
  w_ = std::make_unique<Netns>("w");
  p_ = std::make_unique<Netns>("p");
  ASSERT_TRUE(w_->ok() && p_->ok());
  ASSERT_TRUE(veth(*w_, "vw", "198.18.0.1/24", *p_, "vp", "198.18.0.2/24"));
  t_ = std::make_unique<IoThread>(w_->path());
  ASSERT_TRUE(t_->ok());
  port_ = t_->call([&]() -> uint16_t {
    auto s = Speaker::create(t_->io(), SpeakerConfig{.local_as = kWeftAs,
                                                      .router_id = ip("198.18.0.1").v4_host_order(),
                                                      .listen_port = 0,
                                                      .allowed = {pfx("198.19.0.0/16"), pfx("fd00:198:19::/48")}});
    if (!s) return 0;
    s_ = std::move(*s);
    s_->on_best_change([this](const Prefix& p, const std::vector<IpAddress>& nh) {
      std::lock_guard lock(mu_);
      changes_.emplace_back(p, nh);
    });
    s_->announce(pfx("198.19.1.0/26"));
    if (!s_->start()) return 0;
    return s_->listen_port();
  });
  ASSERT_NE(port_, 0);
}

void InteropFixture::TearDown() {
  if (t_) {
    t_->call([&] { s_.reset(); });
    t_.reset();
  }
  peer_.kill();
  p_.reset();
  w_.reset();
}

void InteropFixture::add_peer(bool passive, uint16_t port) {
  auto r = t_->call([&] {
    return s_->add_peer(PeerConfig{.address = ip("198.18.0.2"),
                                   .peer_as = kPeerAs,
                                   .port = port,
                                   .passive = passive,
                                   .hold_time = 9,
                                   .connect_retry_time = std::chrono::seconds(1)});
  });
  ASSERT_TRUE(r) << r.error().describe();
}

State InteropFixture::weft_state() {
  return t_->call([&] { return s_->peer(ip("198.18.0.2"))->state; });
}

bool InteropFixture::weft_has(const char* prefix) { return !weft_routes(prefix).empty(); }

std::vector<RouteInfo> InteropFixture::weft_routes(const char* prefix) {
  return t_->call([&] { return s_->routes(pfx(prefix)); });
}

std::optional<std::vector<IpAddress>> InteropFixture::last_change(const char* prefix) {
  std::lock_guard lock(mu_);
  for (auto it = changes_.rbegin(); it != changes_.rend(); ++it) {
    if (it->first == pfx(prefix)) return it->second;
  }
  return std::nullopt;
}

bool InteropFixture::last_change_becomes(const char* prefix, const std::vector<IpAddress>& hops) {
  return eventually([&] { return last_change(prefix) == hops; });
}

}  // namespace weft::bgp::testing
