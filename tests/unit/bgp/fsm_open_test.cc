// The OPEN side of the FSM, as pure functions: validation of the peer's OPEN (RFC 4271 §6.2,
// RFC 6286 §2.2), capability negotiation (RFC 5492, RFC 4760, RFC 6793, RFC 2918, RFC 4724), the
// OPEN we build, collision resolution (RFC 4271 §6.8, RFC 6286 §2.3) and config checks.
#include <gtest/gtest.h>

#include "bgp/fsm.h"
#include "bgp_test_util.h"

namespace weft::bgp::test {
namespace {

FsmConfig config() {
  FsmConfig c;
  c.local_as = 65001;
  c.router_id = id("198.18.0.1");
  c.peer_as = 65002;
  c.hold_time = 90;
  return c;
}

// The peer's OPEN: AS 65002, hold 30, id 198.18.0.2, IPv6 unicast, 4-octet AS.
Open peer_open() {
  Open o;
  o.my_as = 65002;
  o.hold_time = 30;
  o.bgp_id = id("198.18.0.2");
  o.capabilities = {MultiprotocolCapability{kIpv6Unicast}, FourOctetAsCapability{65002}};
  return o;
}

TEST(BgpFsmOpen, CollisionSurvivorComparesIdentifiers) {
  // RFC 4271 §6.8: the connection opened by the higher BGP Identifier stays.
  EXPECT_EQ(collision_survivor(id("198.18.0.2"), id("198.18.0.1"), 65001, 65002),
            Initiator::local);
  EXPECT_EQ(collision_survivor(id("198.18.0.1"), id("198.18.0.2"), 65001, 65002),
            Initiator::remote);
  // Compared as host-order integers, not bytewise text.
  EXPECT_EQ(collision_survivor(id("10.0.0.9"), id("9.255.255.255"), 1, 2), Initiator::local);
  // RFC 6286 §2.3: equal identifiers (eBGP), the larger AS wins.
  EXPECT_EQ(collision_survivor(id("198.18.0.1"), id("198.18.0.1"), 65002, 65001),
            Initiator::local);
  EXPECT_EQ(collision_survivor(id("198.18.0.1"), id("198.18.0.1"), 65001, 65002),
            Initiator::remote);
}

TEST(BgpFsmOpen, OpenValidation) {
  const FsmConfig c = config();
  Open open = peer_open();
  ASSERT_TRUE(negotiate(c, open).has_value());

  Open wrong_as = open;
  wrong_as.capabilities.back() = FourOctetAsCapability{65003};
  EXPECT_EQ(negotiate(c, wrong_as).error(), (Notification{2, 2, {}}));

  Open zero_id = open;
  zero_id.bgp_id = 0;
  EXPECT_EQ(negotiate(c, zero_id).error(), (Notification{2, 3, {}}));

  // Our own identifier: refused from an internal peer only (RFC 6286 §2.2).
  Open same_id = open;
  same_id.bgp_id = c.router_id;
  EXPECT_TRUE(negotiate(c, same_id).has_value());
  FsmConfig ibgp = c;
  ibgp.peer_as = 65001;
  same_id.capabilities.back() = FourOctetAsCapability{65001};
  same_id.my_as = 65001;
  EXPECT_EQ(negotiate(ibgp, same_id).error(), (Notification{2, 3, {}}));

  for (uint16_t hold : {1, 2}) {
    Open h = open;
    h.hold_time = hold;
    EXPECT_EQ(negotiate(c, h).error(), (Notification{2, 6, {}}));
  }
  Open h3 = open;
  h3.hold_time = 3;
  EXPECT_EQ(negotiate(c, h3)->keepalive_time, 1);
}

TEST(BgpFsmOpen, CapabilityNegotiation) {
  FsmConfig c = config();
  c.graceful_restart = GracefulRestartCapability{0, 120, {{kIpv4Unicast, true}}};
  Open open;
  open.my_as = 65002;
  open.hold_time = 180;
  open.bgp_id = id("198.18.0.2");
  // No capabilities at all: an old speaker, IPv4 unicast only, 2-octet AS.
  auto n = negotiate(c, open);
  ASSERT_TRUE(n.has_value());
  EXPECT_EQ(n->families, std::vector<AfiSafi>{kIpv4Unicast});
  EXPECT_FALSE(n->four_octet_as);
  EXPECT_FALSE(n->route_refresh);
  EXPECT_EQ(n->hold_time, 90);
  EXPECT_FALSE(n->peer_graceful_restart.has_value());

  open.capabilities = {MultiprotocolCapability{kIpv4Unicast},
                       MultiprotocolCapability{kIpv6Unicast}, RouteRefreshCapability{},
                       GracefulRestartCapability{GracefulRestartCapability::kRestartState, 90,
                                                 {{kIpv6Unicast, true}}},
                       FourOctetAsCapability{65002}};
  n = negotiate(c, open);
  ASSERT_TRUE(n.has_value());
  EXPECT_EQ(n->families, (std::vector<AfiSafi>{kIpv4Unicast, kIpv6Unicast}));
  EXPECT_TRUE(n->four_octet_as);
  EXPECT_TRUE(n->route_refresh);
  ASSERT_TRUE(n->peer_graceful_restart.has_value());
  EXPECT_TRUE(n->peer_graceful_restart->restarting());

  // Our OPEN carries the graceful restart capability, and AS_TRANS for a 4-octet AS.
  c.local_as = 4200000000;
  const Open ours = build_open(c);
  EXPECT_EQ(ours.my_as, kAsTrans);
  EXPECT_EQ(ours.peer_as(), 4200000000u);
  ASSERT_NE(ours.find<GracefulRestartCapability>(), nullptr);
  EXPECT_EQ(ours.find<GracefulRestartCapability>()->restart_time, 120);
}

TEST(BgpFsmOpen, ConfigValidation) {
  EXPECT_TRUE(validate(config()).has_value());
  FsmConfig bad = config();
  bad.hold_time = 2;
  EXPECT_EQ(validate(bad).error().code, Errc::invalid_argument);
  bad = config();
  bad.router_id = 0;
  EXPECT_FALSE(validate(bad).has_value());
  bad = config();
  bad.four_octet_as = false;
  bad.local_as = 70000;
  EXPECT_FALSE(validate(bad).has_value());
}

}  // namespace
}  // namespace weft::bgp::test
