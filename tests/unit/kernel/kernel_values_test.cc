// The pure parts of src/kernel: MAC parsing, Route equality and formatting, the Route ↔ libnl
// conversion, sysctl key mapping and errno mapping. No kernel, no root.
#include <gtest/gtest.h>

#include <cerrno>

#include "kernel/errors.h"
#include "kernel/mac.h"
#include "kernel/route.h"
#include "kernel/route_convert.h"
#include "kernel/sysctl.h"
#include "parse.h"

namespace weft::kernel {
namespace {

using ::weft::testing::ip;  // tests/support/parse.h
using ::weft::testing::pfx;

TEST(MacAddress, ParsesAndFormats) {
  auto mac = MacAddress::parse("0E:00:Aa:01:ff:10");
  ASSERT_TRUE(mac.has_value());
  EXPECT_EQ(mac->to_string(), "0e:00:aa:01:ff:10");
  EXPECT_EQ(MacAddress::parse(mac->to_string()).value(), *mac);
  EXPECT_TRUE(MacAddress().is_zero());
  for (std::string_view bad : {"", "0e:00:aa:01:ff", "0e:00:aa:01:ff:1", "0e-00-aa-01-ff-10", "0e:00:aa:01:ff:1g",
                               "0e:00:aa:01:ff:10:"}) {
    auto parsed = MacAddress::parse(bad);
    ASSERT_FALSE(parsed.has_value()) << bad;
    EXPECT_EQ(parsed.error().code, Errc::invalid_argument);
  }
}

TEST(Route, NexthopsAreComparedAsASet) {
  Nexthop a{.gateway = ip("198.18.0.2"), .ifindex = 3, .onlink = false, .weight = 1};
  Nexthop b{.gateway = ip("198.18.0.3"), .ifindex = 3, .onlink = false, .weight = 2};
  Route one = Route::multipath(pfx("198.19.1.0/24"), {a, b});
  Route two = Route::multipath(pfx("198.19.1.0/24"), {b, a});
  EXPECT_EQ(one, two);
  two.nexthops[0].weight = 3;
  EXPECT_NE(one, two);
}

TEST(Route, SingleNexthopWeightIsIgnored) {
  Route one = Route::via_gateway(pfx("198.19.1.0/24"), ip("198.18.0.2"), 3);
  Route two = one;
  two.nexthops[0].weight = 7;
  EXPECT_EQ(one, two);
}

TEST(Route, Ipv6DefaultMetricEqualsZero) {
  Route asked = Route::via_device(pfx("2001:db8::/64"), 3);
  Route read_back = asked;
  read_back.metric = 1024;
  EXPECT_EQ(asked, read_back);
  Route v4 = Route::via_device(pfx("198.19.0.0/24"), 3);
  Route v4_1024 = v4;
  v4_1024.metric = 1024;
  EXPECT_NE(v4, v4_1024);
}

TEST(Route, EverythingElseMatters) {
  Route base = Route::via_gateway(pfx("198.19.1.0/24"), ip("198.18.0.2"), 3);
  auto differs = [&](auto change) {
    Route other = base;
    change(other);
    return other != base;
  };
  EXPECT_TRUE(differs([](Route& r) { r.protocol = 4; }));
  EXPECT_TRUE(differs([](Route& r) { r.table = 100; }));
  EXPECT_TRUE(differs([](Route& r) { r.metric = 10; }));
  EXPECT_TRUE(differs([](Route& r) { r.source = IpAddress::parse("198.18.0.1").value(); }));
  EXPECT_TRUE(differs([](Route& r) { r.nexthops[0].onlink = true; }));
  EXPECT_TRUE(differs([](Route& r) { r.nexthops[0].ifindex = 4; }));
  EXPECT_TRUE(differs([](Route& r) { r.destination = Prefix::parse("198.19.2.0/24").value(); }));
  EXPECT_TRUE(differs([](Route& r) { r = Route::blackhole(r.destination); }));
}

TEST(Route, Formats) {
  auto names = [](int index) { return index == 3 ? std::string("eth0") : "#" + std::to_string(index); };
  EXPECT_EQ(to_string(Route::via_gateway(pfx("198.19.1.0/24"), ip("198.18.0.2"), 3), names),
            "198.19.1.0/24 via 198.18.0.2 dev eth0");
  EXPECT_EQ(to_string(Route::via_gateway(pfx("198.19.1.0/24"), ip("198.18.0.2"), 4, true)),
            "198.19.1.0/24 via 198.18.0.2 dev #4 onlink");
  EXPECT_EQ(to_string(Route::blackhole(pfx("198.19.0.0/16"))), "blackhole 198.19.0.0/16");
  Route multi = Route::multipath(pfx("198.19.1.0/24"), {Nexthop{.gateway = ip("198.18.0.2"), .ifindex = 3},
                                                           Nexthop{.gateway = ip("198.18.0.3"), .ifindex = 3, .weight = 2}});
  multi.table = 100;
  multi.metric = 5;
  multi.protocol = 4;
  EXPECT_EQ(to_string(multi, names),
            "198.19.1.0/24 nexthop via 198.18.0.2 dev eth0 weight 1 nexthop via 198.18.0.3 dev eth0 weight 2 "
            "table 100 metric 5 proto 4");
}

TEST(RouteConvert, RoundTripsThroughLibnl) {
  std::vector<Route> routes = {
      Route::via_gateway(pfx("198.19.1.0/24"), ip("198.18.0.2"), 3, true),
      Route::via_device(pfx("2001:db8::/64"), 5),
      Route::blackhole(pfx("198.19.0.0/16")),
      Route::multipath(pfx("0.0.0.0/0"), {Nexthop{.gateway = ip("198.18.0.2"), .ifindex = 3, .weight = 1},
                                             Nexthop{.gateway = ip("198.18.0.3"), .ifindex = 4, .weight = 256}}),
  };
  routes[1].source = ip("2001:db8::1");
  routes[1].table = 1000;
  routes[2].metric = 7;
  for (const Route& route : routes) {
    auto nl = route_to_nl(route);
    ASSERT_TRUE(nl.has_value()) << to_string(route) << ": " << nl.error().describe();
    Route back = route_from_nl(nl->get());
    EXPECT_EQ(back, route) << to_string(route) << " came back as " << to_string(back);
    EXPECT_EQ(back.nexthops, route.nexthops);
  }
}

TEST(RouteConvert, RejectsInexpressibleRoutes) {
  Route no_nexthop;
  no_nexthop.destination = pfx("198.19.1.0/24");
  Route blackhole_with_nexthop = Route::blackhole(pfx("198.19.1.0/24"));
  blackhole_with_nexthop.nexthops.push_back(Nexthop{.ifindex = 3});
  Route mixed = Route::via_gateway(pfx("198.19.1.0/24"), ip("2001:db8::1"));
  Route heavy = Route::multipath(pfx("198.19.1.0/24"), {Nexthop{.ifindex = 3, .weight = 0}, Nexthop{.ifindex = 4}});
  Route nowhere = Route::multipath(pfx("198.19.1.0/24"), {Nexthop{}});
  Route local = Route::via_device(pfx("198.19.1.0/24"), 3);
  local.type = RouteType::local;
  for (const Route& route : {no_nexthop, blackhole_with_nexthop, mixed, heavy, nowhere, local}) {
    auto nl = route_to_nl(route);
    ASSERT_FALSE(nl.has_value()) << to_string(route);
    EXPECT_EQ(nl.error().code, Errc::invalid_argument);
  }
}

TEST(Sysctl, KeysMapToProcSys) {
  EXPECT_EQ(sysctl_path("net.ipv4.ip_forward").value(), "/proc/sys/net/ipv4/ip_forward");
  EXPECT_EQ(sysctl_path("net/ipv4/conf/weft.1/proxy_arp").value(), "/proc/sys/net/ipv4/conf/weft.1/proxy_arp");
  for (std::string_view bad : {"", "/etc/passwd", "..", "../x", "net/../../x", "net/.."}) {
    auto path = sysctl_path(bad);
    ASSERT_FALSE(path.has_value()) << bad;
    EXPECT_EQ(path.error().code, Errc::invalid_argument);
  }
}

TEST(Errors, ErrnoMapping) {
  EXPECT_EQ(errc_for_errno(EEXIST), Errc::already_exists);
  EXPECT_EQ(errc_for_errno(ENOENT), Errc::not_found);
  EXPECT_EQ(errc_for_errno(ESRCH), Errc::not_found);
  EXPECT_EQ(errc_for_errno(ENODEV), Errc::not_found);
  EXPECT_EQ(errc_for_errno(EADDRNOTAVAIL), Errc::not_found);
  EXPECT_EQ(errc_for_errno(EPERM), Errc::io);
  EXPECT_EQ(errc_for_errno(ENETUNREACH), Errc::io);
  EXPECT_EQ(errc_for_errno(EINVAL), Errc::invalid_argument);
  EXPECT_EQ(errc_for_errno(EBUSY), Errc::in_use);
  EXPECT_EQ(errno_text(ENETUNREACH), "Network is unreachable (errno 101)");
  EXPECT_EQ(errno_text(ENETUNREACH, "Nexthop has invalid gateway"),
            "Network is unreachable (errno 101; kernel: Nexthop has invalid gateway)");
}

}  // namespace
}  // namespace weft::kernel
