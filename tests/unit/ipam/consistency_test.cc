// The IPAM consistency checks (ipam/consistency.h) as a table: a clean two-node cluster, one
// thing broken per row, and every count asserted (the broken one says exactly that, the others
// stay zero), with the finding's line for the row's check.
#include <gtest/gtest.h>

#include <cctype>
#include <functional>
#include <map>

#include "ipam/consistency.h"
#include "ipam/ipam_protocol.h"
#include "model/keys.h"
#include "parse.h"

namespace weft::ipam::consistency {
namespace {

using weft::testing::ip;
using weft::testing::pfx;

model::Pool pool(std::string name, std::string_view cidr, int block_length) {
  model::Pool p;
  p.name = std::move(name);
  p.cidr = pfx(cidr);
  p.block_length = block_length;
  return p;
}

model::Endpoint endpoint(const std::string& node, const std::string& cid,
                         std::vector<std::tuple<std::string, std::string, std::string>> addresses) {
  model::Endpoint ep{.node = node, .container_id = cid, .ifname = "eth0"};
  ep.pod_namespace = "default";
  ep.pod_name = cid;
  ep.host_veth = protocol::host_veth_name(cid, "eth0");
  for (const auto& [address, pool_name, block] : addresses) ep.addresses.push_back({ip(address), pool_name, pfx(block)});
  return ep;
}

BlockAllocations& record(StoreState& s, std::string_view block) {
  for (auto& r : s.allocations) {
    if (r.block == pfx(block)) return r;
  }
  ADD_FAILURE() << "no record " << block;
  return s.allocations.front();
}

// h1 holds 198.19.1.0/24 and fd00:198:19::100/120 with pod c1, h2 holds 198.19.2.0/24 with c2;
// both kernels have the pods' veths, blackholes for their own blocks and routes to the other's.
struct Cluster {
  StoreState store;
  std::vector<KernelState> kernels;

  Cluster() {
    store.pools = {pool("lab", "198.19.0.0/16", 24), pool("lab6", "fd00:198:19::/48", 120)};
    store.blocks = {{"lab", pfx("198.19.1.0/24"), "h1"}, {"lab6", pfx("fd00:198:19::100/120"), "h1"},
                    {"lab", pfx("198.19.2.0/24"), "h2"}};
    store.endpoints = {endpoint("h1", "c1", {{"198.19.1.11", "lab", "198.19.1.0/24"}, {"fd00:198:19::10b", "lab6", "fd00:198:19::100/120"}}),
                       endpoint("h2", "c2", {{"198.19.2.11", "lab", "198.19.2.0/24"}})};
    store.allocations = {
        {"lab", pfx("198.19.1.0/24"), {{ip("198.19.1.11"), {"c1", "eth0", "h1", 100}}}},
        {"lab6", pfx("fd00:198:19::100/120"), {{ip("fd00:198:19::10b"), {"c1", "eth0", "h1", 100}}}},
        {"lab", pfx("198.19.2.0/24"), {{ip("198.19.2.11"), {"c2", "eth0", "h2", 100}}}},
    };
    store.nodes = {"h1", "h2"};
    store.live_nodes = {"h1", "h2"};
    kernels = {host("h1", "c1", "198.19.1.0/24", "198.19.2.0/24", "198.18.1.12"),
               host("h2", "c2", "198.19.2.0/24", "198.19.1.0/24", "198.18.1.11")};
  }

  static KernelState host(const std::string& node, const std::string& cid, std::string_view own, std::string_view remote,
                          std::string_view via) {
    KernelState k{.node = node};
    k.links = {{1, "lo"}, {2, "eth0"}, {3, protocol::host_veth_name(cid, "eth0")}};
    k.routes = {kernel::Route::blackhole(pfx(own)), kernel::Route::via_gateway(pfx(remote), ip(via), 2, true)};
    if (node == "h2") k.routes.push_back(kernel::Route::via_gateway(pfx("fd00:198:19::100/120"), ip("fe80::1"), 2));
    return k;
  }
  KernelState& kernel_of(const std::string& node) { return node == "h1" ? kernels[0] : kernels[1]; }
};

struct Row {
  std::string name;
  std::function<void(Cluster&)> breakage;
  std::map<Check, size_t> counts;  // the rest are zero
  std::string message;             // a part of the first finding's line of the first check listed
};

const std::vector<Row>& rows() {
  static const std::vector<Row> table = {
      {"clean", [](Cluster&) {}, {}, ""},
      {"endpoint record deleted",
       [](Cluster& c) { c.store.endpoints.erase(c.store.endpoints.begin()); },
       {{Check::allocation_without_endpoint, 2}},
       "198.19.1.11 in lab 198.19.1.0/24 is allocated to h1/c1-eth0, which has no endpoint"},
      {"endpoint no longer lists an address",
       [](Cluster& c) { c.store.endpoints[0].addresses.pop_back(); },
       {{Check::allocation_without_endpoint, 1}},
       "fd00:198:19::10b in lab6 fd00:198:19::100/120 is allocated to h1/c1-eth0, whose endpoint does not list it"},
      {"allocation entry deleted",
       [](Cluster& c) { record(c.store, "198.19.2.0/24").addresses.clear(); },
       {{Check::endpoint_without_allocation, 1}},
       "h2/c2-eth0 (pod default/c2) lists 198.19.2.11 without an allocation"},
      {"endpoint listing no address",
       [](Cluster& c) {
         c.store.endpoints[1].addresses.clear();
         record(c.store, "198.19.2.0/24").addresses.clear();
       },
       {{Check::endpoint_without_allocation, 1}},
       "h2/c2-eth0 (pod default/c2) lists no address"},
      {"address allocated to another attachment",
       [](Cluster& c) { record(c.store, "198.19.2.0/24").addresses.begin()->second.container_id = "gone"; },
       {{Check::allocation_without_endpoint, 1}, {Check::endpoint_without_allocation, 1}},
       "198.19.2.11 in lab 198.19.2.0/24 is allocated to h2/gone-eth0, which has no endpoint"},
      {"two endpoints list one address",
       [](Cluster& c) { c.store.endpoints.push_back(endpoint("h2", "c3", {{"198.19.2.11", "lab", "198.19.2.0/24"}})); },
       {{Check::duplicate_address, 1}, {Check::endpoint_without_allocation, 1}, {Check::endpoint_without_veth, 1}},
       "198.19.2.11 is held 3 times: allocation in lab 198.19.2.0/24 to h2/c2-eth0; endpoint h2/c2-eth0 (pod default/c2); "
       "endpoint h2/c3-eth0 (pod default/c3)"},
      {"one address in two blocks of overlapping pools",
       [](Cluster& c) {
         c.store.pools.push_back(pool("old", "198.19.1.0/24", 25));
         c.store.blocks.push_back({"old", pfx("198.19.1.0/25"), "h2"});
         c.store.allocations.push_back({"old", pfx("198.19.1.0/25"), {{ip("198.19.1.11"), {"c1", "eth0", "h1", 100}}}});
       },
       {{Check::duplicate_address, 1}, {Check::overlapping_blocks, 1}},
       "198.19.1.11 is held 3 times: allocation in lab 198.19.1.0/24 to h1/c1-eth0; allocation in old 198.19.1.0/25 to "
       "h1/c1-eth0; endpoint h1/c1-eth0 (pod default/c1)"},
      {"overlapping blocks: a held one inside another, and allocations left in a third",
       [](Cluster& c) {
         c.store.blocks.push_back({"other", pfx("198.19.1.128/25"), "h2"});
         c.store.allocations.push_back({"other2", pfx("198.19.2.0/26"), {}});
       },
       {{Check::overlapping_blocks, 2}},
       "lab 198.19.1.0/24 (held by h1) overlaps other 198.19.1.128/25 (held by h2)"},
      {"host veth deleted",
       [](Cluster& c) { c.kernel_of("h1").links.erase(3); },
       {{Check::endpoint_without_veth, 1}},
       "h1/c1-eth0 (pod default/c1): no device " + protocol::host_veth_name("c1", "eth0") + " on h1"},
      {"veths of nodes whose kernel was not read are not judged",
       [](Cluster& c) {
         c.kernels.pop_back();
         c.store.endpoints[1].host_veth = "weftnothere";
       },
       {},
       ""},
      {"stale route to a block nobody holds",
       [](Cluster& c) { c.kernel_of("h2").routes.push_back(kernel::Route::via_gateway(pfx("198.19.250.0/24"), ip("198.18.1.11"), 2)); },
       {{Check::stale_route, 1}},
       "h2: 198.19.250.0/24 via 198.18.1.11 dev eth0: no node holds 198.19.250.0/24"},
      {"routes to a block whose holder's lease is gone, its own blackhole included",
       [](Cluster& c) { c.store.live_nodes.erase("h2"); },
       {{Check::stale_route, 2}},
       "h1: 198.19.2.0/24 via 198.18.1.12 dev eth0 onlink: 198.19.2.0/24 is held by h2, which has no liveness key"},
      {"a reservation needs no liveness",
       [](Cluster& c) {
         c.store.blocks.push_back({"lab", pfx("198.19.3.0/24"), "h3", true});
         c.kernel_of("h1").routes.push_back(kernel::Route::via_gateway(pfx("198.19.3.0/24"), ip("198.18.1.13"), 2));
       },
       {},
       ""},
      {"routes that are no block's, or not weft's, are not judged",
       [](Cluster& c) {
         auto& routes = c.kernel_of("h1").routes;
         routes.push_back(kernel::Route::via_gateway(pfx("198.19.0.0/16"), ip("198.18.1.1"), 2));  // a pool aggregate
         routes.push_back(kernel::Route::via_gateway(pfx("10.0.0.0/24"), ip("198.18.1.1"), 2));    // a BGP peer's prefix
         auto bird = kernel::Route::via_gateway(pfx("198.19.250.0/24"), ip("198.18.1.1"), 2);
         bird.protocol = 12;
         routes.push_back(bird);
       },
       {},
       ""},
      {"unreadable endpoint: its allocations are not judged",
       [](Cluster& c) {
         c.store.endpoints.erase(c.store.endpoints.begin());
         c.store.unreadable[model::keys::endpoint("h1", "c1", "eth0")] = "/weft/v1/endpoints/h1/c1-eth0: not JSON";
       },
       {{Check::unreadable_record, 1}},
       "/weft/v1/endpoints/h1/c1-eth0: not JSON"},
      {"unreadable allocation record: its endpoints are not judged",
       [](Cluster& c) {
         c.store.allocations.pop_back();
         c.store.unreadable[model::keys::allocation("lab", pfx("198.19.2.0/24"))] = "allocations: not JSON";
       },
       {{Check::unreadable_record, 1}},
       "allocations: not JSON"},
      {"unreadable affinity: routes to its block are not judged",
       [](Cluster& c) {
         c.store.blocks.pop_back();
         c.store.unreadable[model::keys::block("lab", pfx("198.19.2.0/24"))] = "block: not JSON";
       },
       {{Check::unreadable_record, 1}},
       "block: not JSON"},
  };
  return table;
}

class ConsistencyTable : public ::testing::TestWithParam<Row> {};

TEST_P(ConsistencyTable, CountsSayExactlyWhatIsBroken) {
  const Row& row = GetParam();
  Cluster c;
  row.breakage(c);
  const Report report = check(c.store, c.kernels);
  for (Check k : kAllChecks) {
    const size_t want = row.counts.contains(k) ? row.counts.at(k) : 0;
    EXPECT_EQ(report.count(k), want) << title(k);
  }
  size_t total = 0;
  for (const auto& [k, n] : row.counts) total += n;
  EXPECT_EQ(report.findings.size(), total);
  if (!row.message.empty()) {
    const Check first = row.counts.begin()->first;
    std::string lines;
    bool found = false;
    for (const auto& f : report.findings) {
      if (f.check != first) continue;
      lines += f.message + "\n";
      found |= f.message.find(row.message) != std::string::npos;
    }
    EXPECT_TRUE(found) << "want: " << row.message << "\ngot:\n" << lines;
  }
  EXPECT_EQ(report.clean(), row.counts.empty());
}

std::string row_name(const ::testing::TestParamInfo<Row>& row) {
  std::string name;
  for (char ch : row.param.name) name += std::isalnum(static_cast<unsigned char>(ch)) ? ch : '_';
  return name;
}

INSTANTIATE_TEST_SUITE_P(Rows, ConsistencyTable, ::testing::ValuesIn(rows()), row_name);

TEST(Consistency, KernelChecksSayWhichNodesTheyCovered) {
  Cluster c;
  EXPECT_EQ(check(c.store, c.kernels).kernel_nodes, (std::vector<std::string>{"h1", "h2"}));
  EXPECT_TRUE(check(c.store, {}).kernel_nodes.empty());
  // Without kernels, a missing veth or a stale route cannot be seen (the report says none were read).
  c.kernel_of("h1").links.erase(3);
  EXPECT_TRUE(check(c.store, {}).clean());
}

TEST(Consistency, FindingsCarryWhatARepairActsOn) {
  Cluster c;
  c.store.endpoints.erase(c.store.endpoints.begin() + 1);
  c.kernel_of("h1").links.erase(3);
  const auto stale = kernel::Route::blackhole(pfx("198.19.9.0/24"));
  c.kernel_of("h1").routes.push_back(stale);
  const Report report = check(c.store, c.kernels);
  ASSERT_EQ(report.findings.size(), 3u);
  const Finding& orphan = report.findings[0];
  EXPECT_EQ(orphan.check, Check::allocation_without_endpoint);
  EXPECT_EQ(orphan.attachment, (Attachment{"h2", "c2", "eth0"}));
  EXPECT_EQ(orphan.addresses, std::vector<IpAddress>{ip("198.19.2.11")});
  EXPECT_EQ(orphan.pool, "lab");
  EXPECT_EQ(orphan.block, pfx("198.19.2.0/24"));
  const Finding& veth = report.findings[1];
  EXPECT_EQ(veth.check, Check::endpoint_without_veth);
  EXPECT_EQ(veth.veth, protocol::host_veth_name("c1", "eth0"));
  EXPECT_EQ(veth.endpoint_created_at_unix, 0);
  EXPECT_EQ(veth.addresses.size(), 2u);
  const Finding& route = report.findings[2];
  EXPECT_EQ(route.check, Check::stale_route);
  EXPECT_EQ(route.node, "h1");
  EXPECT_EQ(route.route, stale);
  EXPECT_EQ(route.route_text, "blackhole 198.19.9.0/24");
}

}  // namespace
}  // namespace weft::ipam::consistency
