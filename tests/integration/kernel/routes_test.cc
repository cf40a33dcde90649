// Routes with weft's protocol: listing filters, replace, multipath, blackhole, errors, events.
#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include "kernel/routes.h"
#include "kernel/route_watcher.h"
#include "kernel_fixture.h"

namespace weft::kernel::testing {
namespace {

class Routes : public KernelTest {
 protected:
  void SetUp() override {
    KernelTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    link_ = veth_with_address("r", "r0", "r1", "198.18.0.1/24");
    ip_in("r", "addr add 2001:db8::1/64 dev r0 nodad");
  }
  NetlinkSocket& s() { return sock("r"); }

  // A negative check on a watcher ("this caused no event") cannot pass by accident only if the
  // watcher provably hears what happens after the action: the events the kernel sent before a marker
  // route this test then adds and deletes in the same namespace (an unreachable route in table 199,
  // protocol 199, which nothing else uses). Kernel notifications on one socket arrive in order, so
  // once the marker's deletion arrived, every event the action caused has arrived before it. Waits
  // up to 5 s for the marker (a failure if it does not come); `window` gets the time it took.
  std::vector<RouteEvent> events_before_marker(RouteWatcher& watcher, std::chrono::duration<double>& window) {
    const auto start = std::chrono::steady_clock::now();
    const std::string marker = "unreachable 198.18.255.250/32 table 199 proto 199";
    ip_in("r", "route add " + marker);
    ip_in("r", "route del " + marker);
    std::vector<RouteEvent> before;
    while (std::chrono::steady_clock::now() - start < std::chrono::seconds(5)) {
      auto events = watcher.poll(std::chrono::milliseconds(100));
      EXPECT_TRUE(events.has_value()) << events.error().describe();
      if (!events) break;
      for (const RouteEvent& event : *events) {
        if (event.route.table == 199 && event.route.protocol == 199) {
          if (event.kind == RouteEvent::Kind::deleted) {
            window = std::chrono::steady_clock::now() - start;
            return before;
          }
          continue;
        }
        before.push_back(event);
      }
    }
    ADD_FAILURE() << "the watcher did not report the marker route within 5 s";
    window = std::chrono::steady_clock::now() - start;
    return before;
  }

  LinkInfo link_;
};

TEST_F(Routes, ListsOnlyWeftsRoutes) {
  Route mine = Route::via_gateway(pfx("198.19.1.0/24"), ip("198.18.0.2"), link_.index);
  ASSERT_TRUE(add_route(s(), mine).has_value());
  ip_in("r", "route add 198.19.2.0/24 via 198.18.0.2 proto static");

  auto listed = list_routes(s());
  ASSERT_TRUE(listed.has_value());
  EXPECT_EQ(*listed, std::vector<Route>{mine});
  // Shown by iproute2 as protocol 247.
  EXPECT_NE(ip_in("r", "route show 198.19.1.0/24").find("proto 247"), std::string::npos);

  auto everything = list_routes(s(), RouteFilter{.family = Family::v4, .protocol = std::nullopt});
  ASSERT_TRUE(everything.has_value());
  std::vector<Prefix> destinations;
  for (const Route& route : *everything) destinations.push_back(route.destination);
  EXPECT_THAT(destinations, ::testing::UnorderedElementsAre(pfx("198.18.0.0/24"), pfx("198.19.1.0/24"),
                                                            pfx("198.19.2.0/24")));

  auto duplicate = add_route(s(), mine);
  ASSERT_FALSE(duplicate.has_value());
  EXPECT_EQ(duplicate.error().code, Errc::already_exists);
}

// weft's own routes among the events the watcher has queued by now.
std::vector<RouteEvent> weft_events(RouteWatcher& watcher) {
  auto events = watcher.poll(std::chrono::milliseconds(100));
  EXPECT_TRUE(events.has_value()) << events.error().describe();
  std::vector<RouteEvent> mine;
  for (const RouteEvent& event : events.value_or(std::vector<RouteEvent>{})) {
    if (event.route.protocol == kWeftRouteProtocol) mine.push_back(event);
  }
  return mine;
}

TEST_F(Routes, ReplaceIsIdempotentAndNeverDeletes) {
  auto watcher = RouteWatcher::open_in_netns(netns("r"));
  ASSERT_TRUE(watcher.has_value()) << watcher.error().describe();
  Route route = Route::via_gateway(pfx("198.19.1.0/24"), ip("198.18.0.2"), link_.index);
  ASSERT_TRUE(replace_route(s(), route).has_value());  // creates
  auto created = weft_events(*watcher);
  ASSERT_EQ(created.size(), 1u);
  EXPECT_EQ(created[0].kind, RouteEvent::Kind::added);
  EXPECT_EQ(created[0].route, route);

  // Replacing a route with itself is a no-op in the kernel: not even a notification (of any
  // protocol) before the marker that follows it.
  ASSERT_TRUE(replace_route(s(), route).has_value());
  std::chrono::duration<double> window{};
  const auto after_replace = events_before_marker(*watcher, window);
  EXPECT_TRUE(after_replace.empty()) << after_replace.size() << " event(s) between the replace and the marker route, "
                                     << "watched for " << window.count() << " s";
  EXPECT_EQ(*list_routes(s()), std::vector<Route>{route});

  // Changing it is one in-place update: an `added` event for the new route, no `deleted`.
  route.nexthops[0].gateway = ip("198.18.0.3");
  ASSERT_TRUE(replace_route(s(), route).has_value());
  auto changed = weft_events(*watcher);
  ASSERT_EQ(changed.size(), 1u);
  EXPECT_EQ(changed[0].kind, RouteEvent::Kind::added);
  EXPECT_EQ(changed[0].route, route);
  EXPECT_EQ(*list_routes(s()), std::vector<Route>{route});
}

TEST_F(Routes, MultipathNexthopsAreASet) {
  Route route = Route::multipath(pfx("198.19.4.0/24"),
                                 {Nexthop{.gateway = ip("198.18.0.2"), .ifindex = link_.index, .weight = 1},
                                  Nexthop{.gateway = ip("198.18.0.3"), .ifindex = link_.index, .weight = 3}});
  ASSERT_TRUE(add_route(s(), route).has_value());
  auto listed = list_routes(s());
  ASSERT_TRUE(listed.has_value());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ(listed->front(), route);
  EXPECT_EQ(listed->front().nexthops.size(), 2u);
  std::reverse(route.nexthops.begin(), route.nexthops.end());
  EXPECT_EQ(listed->front(), route);  // order does not matter
  route.nexthops[0].weight = 2;
  EXPECT_NE(listed->front(), route);  // weights do
  EXPECT_NE(ip_in("r", "route show 198.19.4.0/24").find("weight 3"), std::string::npos);

  // IPv6 ECMP too.
  Route v6 = Route::multipath(pfx("2001:db8:1::/64"),
                              {Nexthop{.gateway = ip("2001:db8::2"), .ifindex = link_.index},
                               Nexthop{.gateway = ip("2001:db8::3"), .ifindex = link_.index}});
  ASSERT_TRUE(add_route(s(), v6).has_value());
  auto listed6 = list_routes(s(), RouteFilter{.family = Family::v6});
  ASSERT_TRUE(listed6.has_value());
  EXPECT_EQ(*listed6, std::vector<Route>{v6});
}

TEST_F(Routes, BlackholeAndDeviceRoutesBothFamilies) {
  std::vector<Route> wanted = {
      Route::blackhole(pfx("198.19.0.0/16")),
      Route::blackhole(pfx("2001:db8:ffff::/48")),
      Route::via_device(pfx("198.19.5.0/24"), link_.index),
      Route::via_gateway(pfx("2001:db8:2::/64"), ip("2001:db8::2"), link_.index),
  };
  for (const Route& route : wanted) ASSERT_TRUE(add_route(s(), route).has_value()) << to_string(route);
  auto listed = list_routes(s());
  ASSERT_TRUE(listed.has_value());
  EXPECT_THAT(*listed, ::testing::UnorderedElementsAreArray(wanted));
  EXPECT_NE(ip_in("r", "route show 198.19.0.0/16").find("blackhole"), std::string::npos);
  EXPECT_NE(ip_in("r", "route show 198.19.5.0/24").find("scope link"), std::string::npos);
  // IPv6 metric 0 reads back as 1024 and still compares equal.
  auto v6 = std::find_if(listed->begin(), listed->end(), [](const Route& r) { return r.nexthops.size() == 1 && !r.destination.address().is_v4(); });
  ASSERT_NE(v6, listed->end());
  EXPECT_EQ(v6->metric, 1024u);
}

TEST_F(Routes, UnreachableGatewayErrorNamesTheRouteAndErrno) {
  Route route = Route::via_gateway(pfx("198.19.1.0/24"), ip("198.18.9.9"), link_.index);
  auto added = add_route(s(), route);
  ASSERT_FALSE(added.has_value());
  EXPECT_EQ(added.error().code, Errc::io);
  EXPECT_NE(added.error().message.find(
                "adding route 198.19.1.0/24 via 198.18.9.9 dev r0: Network is unreachable (errno 101"),
            std::string::npos)
      << added.error().message;
  // The VXLAN way: onlink makes the kernel take the gateway as directly reachable.
  route.nexthops[0].onlink = true;
  ASSERT_TRUE(add_route(s(), route).has_value());
  EXPECT_EQ(*list_routes(s()), std::vector<Route>{route});
  EXPECT_NE(ip_in("r", "route show 198.19.1.0/24").find("onlink"), std::string::npos);
}

TEST_F(Routes, DeleteOnlyTouchesWeftsRoute) {
  ip_in("r", "route add 198.19.3.0/24 via 198.18.0.2 proto static");
  Route same_destination = Route::via_gateway(pfx("198.19.3.0/24"), ip("198.18.0.2"), link_.index);
  auto refused = delete_route(s(), same_destination);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code, Errc::not_found);
  EXPECT_NE(ip_in("r", "route show 198.19.3.0/24").find("proto static"), std::string::npos);

  Route mine = Route::via_gateway(pfx("198.19.6.0/24"), ip("198.18.0.2"), link_.index);
  ASSERT_TRUE(add_route(s(), mine).has_value());
  ASSERT_TRUE(delete_route(s(), mine).has_value());
  auto left = list_routes(s());
  ASSERT_TRUE(left.has_value()) << left.error().describe();
  EXPECT_TRUE(left->empty());
  EXPECT_EQ(delete_route(s(), mine).error().code, Errc::not_found);
}

TEST_F(Routes, OtherTablesAndMetrics) {
  Route in_table = Route::via_device(pfx("198.19.7.0/24"), link_.index);
  in_table.table = 100;
  Route with_metric = Route::via_device(pfx("198.19.7.0/24"), link_.index);
  with_metric.metric = 50;
  ASSERT_TRUE(add_route(s(), in_table).has_value());
  ASSERT_TRUE(add_route(s(), with_metric).has_value());
  EXPECT_EQ(*list_routes(s()), std::vector<Route>{with_metric});
  EXPECT_EQ(*list_routes(s(), RouteFilter{.table = 100}), std::vector<Route>{in_table});
  EXPECT_EQ(list_routes(s(), RouteFilter{.table = std::nullopt})->size(), 2u);
}

TEST_F(Routes, WatcherReportsAddAndDelete) {
  auto watcher = RouteWatcher::open_in_netns(netns("r"));
  ASSERT_TRUE(watcher.has_value());
  auto queued = watcher->poll(std::chrono::milliseconds(0));
  ASSERT_TRUE(queued.has_value()) << queued.error().describe();
  EXPECT_TRUE(queued->empty());
  Route route = Route::via_gateway(pfx("198.19.8.0/24"), ip("198.18.0.2"), link_.index);
  ASSERT_TRUE(add_route(s(), route).has_value());
  ASSERT_TRUE(delete_route(s(), route).has_value());
  std::vector<RouteEvent> events;
  for (int i = 0; i < 10 && events.size() < 2; ++i) {
    auto more = watcher->poll(std::chrono::milliseconds(200));
    ASSERT_TRUE(more.has_value());
    events.insert(events.end(), more->begin(), more->end());
  }
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].kind, RouteEvent::Kind::added);
  EXPECT_EQ(events[0].route, route);
  EXPECT_EQ(events[1].kind, RouteEvent::Kind::deleted);
  EXPECT_EQ(events[1].route, route);
}

TEST_F(Routes, RejectsRoutesItCannotExpress) {
  Route no_nexthop;
  no_nexthop.destination = pfx("198.19.9.0/24");
  EXPECT_EQ(add_route(s(), no_nexthop).error().code, Errc::invalid_argument);
  Route mixed = Route::via_gateway(pfx("198.19.9.0/24"), ip("2001:db8::2"), link_.index);
  auto error = add_route(s(), mixed);
  ASSERT_FALSE(error.has_value());
  EXPECT_EQ(error.error().code, Errc::invalid_argument);
  EXPECT_NE(error.error().message.find("adding route 198.19.9.0/24 via 2001:db8::2 dev r0"), std::string::npos);
}

}  // namespace
}  // namespace weft::kernel::testing
