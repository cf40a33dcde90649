// weft-cni end to end, executed exactly as a runtime does (CNI_* environment, configuration on
// stdin, container namespaces made by the test) against a real weftd and etcd.
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "cni_fixture.h"

namespace weft::testing {
namespace {

// Sends raw bytes to weftd's socket and returns everything it answers before closing.
std::string raw_exchange(const std::string& path, const std::string& bytes) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return "<connect failed>";
  }
  timeval tv{15, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  for (size_t sent = 0; sent < bytes.size();) {
    const ssize_t n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;
    sent += static_cast<size_t>(n);
  }
  ::shutdown(fd, SHUT_WR);
  std::string out;
  char buf[4096];
  for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;) out.append(buf, static_cast<size_t>(n));
  ::close(fd);
  return out;
}

TEST_F(CniTest, SocketIsRootOnlyAndAnswersMalformedRequestsWithoutFalling) {
  struct stat st {};
  ASSERT_EQ(::stat(c().socket_path().c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  for (const std::string& bad : std::vector<std::string>{"garbage\n", "{\"v\":1,\"op\":\"add\",\"containerId\":\"../x\",\"ifname\":\"eth0\"}\n",
                                std::string(ipam::protocol::kMaxMessageBytes + 10, 'x')}) {
    auto answer = ipam::protocol::decode_response(raw_exchange(c().socket_path(), bad));
    ASSERT_TRUE(answer) << bad.substr(0, 40);
    ASSERT_FALSE(answer->ok());
    EXPECT_EQ(answer->error->code, Errc::invalid_argument) << answer->error->message;
  }
  auto status = ipam::protocol::decode_response(raw_exchange(c().socket_path(), "{\"v\":1,\"op\":\"status\"}"));
  ASSERT_TRUE(status);
  EXPECT_TRUE(status->ok());
  EXPECT_TRUE(status->ready) << status->detail;
  EXPECT_EQ(status->node, "h1");
}

TEST_F(CniTest, AddWiresAWorkingContainerAndDelRemovesEverything) {
  const std::string ns1 = c().container("a"), ns2 = c().container("b");
  Json r1 = add("ctr-a", ns1);
  ASSERT_EQ(r1["cniVersion"], "1.0.0");
  ASSERT_EQ(r1["interfaces"].size(), 2u);
  EXPECT_EQ(r1["interfaces"][0]["name"], host_veth("ctr-a"));
  EXPECT_FALSE(r1["interfaces"][0].contains("sandbox")) << "the host side";
  EXPECT_EQ(r1["interfaces"][1]["name"], "eth0");
  EXPECT_EQ(r1["interfaces"][1]["sandbox"], ns1);
  const auto a1 = addresses(r1);
  ASSERT_EQ(a1.size(), 2u) << "one IPv4 and one IPv6 address";
  EXPECT_TRUE(a1[0].starts_with("198.19."));
  EXPECT_TRUE(a1[1].starts_with("fd00:198:19:"));
  for (const auto& ip : r1["ips"]) EXPECT_EQ(ip["interface"], 1);
  EXPECT_EQ(r1["routes"].size(), 2u);

  // The container reaches the host, the underlay beyond it, and a neighbour on the same host.
  Json r2 = add("ctr-b", ns2);
  const auto a2 = addresses(r2);
  ASSERT_EQ(a2.size(), 2u);
  EXPECT_NE(a1, a2);
  EXPECT_TRUE(ping(ns_name(ns1), "198.18.0.1"));
  EXPECT_TRUE(ping(ns_name(ns1), "198.18.0.2")) << "the peer on the underlay";
  EXPECT_TRUE(ping(c().peer(), a1[0])) << "the container from the underlay";
  EXPECT_TRUE(ping(ns_name(ns1), a2[0]));
  EXPECT_TRUE(ping(ns_name(ns1), a2[1])) << "IPv6 between containers";
  EXPECT_TRUE(ping(c().peer(), a1[1])) << "IPv6 from the underlay";

  // The container side as documented: /32, gateway routes, permanent neighbour for 169.254.1.1.
  auto neigh = probe(ns_name(ns1), {"ip", "neigh", "show", "dev", "eth0"});
  EXPECT_NE(neigh.find("169.254.1.1 lladdr ee:ee:ee:ee:ee:ee PERMANENT"), std::string::npos) << neigh;
  EXPECT_NE(neigh.find("fe80::1 lladdr ee:ee:ee:ee:ee:ee PERMANENT"), std::string::npos) << neigh;
  EXPECT_NE(workload_routes().find(a1[0] + " dev " + host_veth("ctr-a")), std::string::npos) << workload_routes();

  // The endpoints as an operator sees them.
  auto listed = c().weft({"endpoint", "list", "-o", "json"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  const Json endpoints = *parse_json(listed.out);
  ASSERT_EQ(endpoints.size(), 2u);
  EXPECT_EQ(endpoints[0]["containerId"], "ctr-a");
  EXPECT_EQ(endpoints[0]["hostVeth"], host_veth("ctr-a"));
  EXPECT_EQ(endpoints[0]["netns"], ns1);
  EXPECT_EQ(endpoints[0]["addresses"].size(), 2u);

  // A repeated ADD returns the same addresses and a working container.
  Json again = add("ctr-a", ns1);
  EXPECT_EQ(addresses(again), a1);
  EXPECT_TRUE(ping(ns_name(ns1), "198.18.0.1"));

  // CHECK with the previous result.
  Json conf = *parse_json(c().config());
  conf["prevResult"] = again;
  auto check = c().cni("CHECK", "ctr-a", ns1, dump_json(conf));
  EXPECT_EQ(check.exit_code, 0) << check.out;

  // DEL removes the veth, the routes, the allocation and the endpoint; a second DEL succeeds.
  for (int i = 0; i < 2; ++i) {
    auto del = c().cni("DEL", "ctr-a", ns1, dump_json(conf));
    EXPECT_EQ(del.exit_code, 0) << del.out;
  }
  EXPECT_FALSE(host_link_exists(host_veth("ctr-a")));
  EXPECT_EQ(workload_routes().find(a1[0] + " "), std::string::npos) << workload_routes();
  EXPECT_EQ(keys("/weft/v1/endpoints/h1/ctr-a").size(), 0u);
  auto after = probe(ns_name(ns1), {"ip", "-o", "link"});
  EXPECT_EQ(after.find("eth0"), std::string::npos) << after;
  auto gone = c().cni("CHECK", "ctr-a", ns1, dump_json(conf));
  EXPECT_NE(gone.exit_code, 0) << "CHECK after DEL reports the missing allocation";

  auto del_b = c().cni("DEL", "ctr-b", "", c().config(), "eth0", {{"CNI_NETNS", "<unset>"}});
  EXPECT_EQ(del_b.exit_code, 0) << "DEL without CNI_NETNS: " << del_b.out;
  EXPECT_TRUE(keys("/weft/v1/allocations/").empty());
  EXPECT_TRUE(keys("/weft/v1/endpoints/").empty());
  EXPECT_FALSE(host_link_exists(host_veth("ctr-b")));
}

TEST_F(CniTest, OlderConfigVersionsGetTheirResultLayout) {
  for (const std::string version : {"0.3.1", "0.4.0", "1.1.0"}) {
    const std::string ns = c().container("v" + version.substr(0, 1) + version.substr(2, 1));
    const std::string id = "ver-" + version;
    Json r = add(id, ns, c().config(version));
    EXPECT_EQ(r["cniVersion"], version);
    ASSERT_EQ(r["ips"].size(), 2u);
    if (version != "1.1.0") {
      EXPECT_EQ(r["ips"][0]["version"], "4") << version;
      EXPECT_EQ(r["ips"][1]["version"], "6") << version;
    } else {
      EXPECT_FALSE(r["ips"][0].contains("version"));
      EXPECT_TRUE(r["interfaces"][1].contains("mtu"));
    }
    EXPECT_EQ(c().cni("DEL", id, ns, c().config(version)).exit_code, 0);
  }
  EXPECT_TRUE(keys("/weft/v1/allocations/").empty());
}

TEST_F(CniTest, VersionGcAndStatus) {
  auto version = c().cni("VERSION", "", "", R"({"cniVersion":"1.0.0"})");
  EXPECT_EQ(version.exit_code, 0);
  auto info = parse_json(version.out);
  ASSERT_TRUE(info) << version.out;
  EXPECT_EQ((*info)["supportedVersions"], Json::parse(R"(["0.3.0","0.3.1","0.4.0","1.0.0","1.1.0"])"));

  auto status = c().cni("STATUS", "", "", c().config("1.1.0"));
  EXPECT_EQ(status.exit_code, 0) << status.out;
  EXPECT_TRUE(status.out.empty());

  const std::string keep = c().container("keep"), stale = c().container("stale");
  add("keep", keep);
  add("stale", stale);
  const std::string gc_conf = c().config("1.1.0", R"("gcGraceSeconds":0,"cni.dev/valid-attachments":[{"containerID":"keep","ifname":"eth0"}])");
  auto gc = c().cni("GC", "", "", gc_conf);
  EXPECT_EQ(gc.exit_code, 0) << gc.out;
  EXPECT_TRUE(gc.out.empty());
  EXPECT_TRUE(host_link_exists(host_veth("keep")));
  EXPECT_FALSE(host_link_exists(host_veth("stale"))) << "GC removes the stale attachment's veth";
  EXPECT_EQ(keys("/weft/v1/endpoints/").size(), 1u);
  EXPECT_EQ(keys("/weft/v1/endpoints/h1/keep-eth0").size(), 1u);
  EXPECT_TRUE(ping(ns_name(keep), "198.18.0.1"));

  // `weft ipam release` takes one address away from its endpoint.
  auto listed = c().weft({"endpoint", "list", "--node", "h1", "-o", "json"});
  const Json eps = *parse_json(listed.out);
  ASSERT_EQ(eps.size(), 1u);
  const std::string v4 = eps[0]["addresses"][0]["address"];
  auto released = c().weft({"ipam", "release", v4});
  EXPECT_EQ(released.exit_code, 0) << released.err;
  EXPECT_EQ(c().weft({"ipam", "release", v4}).exit_code, 1) << "not allocated any more";
  const Json after = *parse_json(c().weft({"endpoint", "list", "-o", "json"}).out);
  ASSERT_EQ(after.size(), 1u);
  EXPECT_EQ(after[0]["addresses"].size(), 1u);

  // A GC with the default grace period spares the young attachment.
  auto young = c().cni("GC", "", "", c().config("1.1.0", R"("cni.dev/valid-attachments":[])"));
  EXPECT_EQ(young.exit_code, 0);
  EXPECT_EQ(keys("/weft/v1/endpoints/").size(), 1u);
  EXPECT_EQ(c().cni("DEL", "keep", keep, c().config()).exit_code, 0);
}

class CniClaimTest : public CniTest {
 protected:
  std::vector<PoolSpec> extra_pools() const override { return {{"small6", "fd00:198:20::/48", 124}}; }
};

TEST_F(CniClaimTest, ClaimsAnotherBlockWhenTheNodesBlocksAreFull) {
  // /124 blocks: 15 addresses each (the first is reserved), so 40 workloads need three blocks.
  const std::string conf = c().config("1.0.0", R"("pools":["lab","small6"])");
  std::set<std::string> seen;
  for (int i = 0; i < 40; ++i) {
    const std::string id = "claim" + std::to_string(i);
    auto r = c().cni("ADD", id, c().container(id), conf);
    ASSERT_EQ(r.exit_code, 0) << r.out;
    const Json result = *parse_json(r.out);
    for (const auto& a : addresses(result)) EXPECT_TRUE(seen.insert(a).second) << a;
  }
  EXPECT_EQ(seen.size(), 80u);
  auto show = c().weft({"ipam", "show", "--node", "h1", "-o", "json"});
  ASSERT_EQ(show.exit_code, 0) << show.err;
  int small_blocks = 0, used = 0;
  const Json blocks = *parse_json(show.out);
  for (const auto& b : blocks) {
    if (b["pool"] != "small6") continue;
    ++small_blocks;
    used += b["used"].get<int>();
  }
  EXPECT_EQ(small_blocks, 3);
  EXPECT_EQ(used, 40);
  for (int i = 0; i < 40; ++i) {
    const std::string id = "claim" + std::to_string(i);
    EXPECT_EQ(c().cni("DEL", id, c().container(id), conf).exit_code, 0);
  }
  EXPECT_TRUE(keys("/weft/v1/allocations/").empty());
}

}  // namespace
}  // namespace weft::testing
