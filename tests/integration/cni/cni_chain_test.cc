// weft-cni as the first plugin of a conflist, chained before Debian's portmap and bandwidth
// (containernetworking-plugins in /usr/lib/cni), driven the way libcni drives a chain: ADD in
// order with each plugin's result as the next one's prevResult and the runtime's capabilities
// in runtimeConfig; DEL in reverse order with the chain's result.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include "cni_fixture.h"
#include "kernel/netns.h"
#include "require.h"

namespace weft::testing {
namespace {

constexpr int kHostPort = 18080;
constexpr int kContainerPort = 8080;

const Json kConflist = Json::parse(R"({
  "cniVersion": "1.0.0", "name": "weftchain",
  "plugins": [
    {"type": "weft-cni"},
    {"type": "portmap", "capabilities": {"portMappings": true}, "snat": true},
    {"type": "bandwidth", "capabilities": {"bandwidth": true}}
  ]})");
const Json kRuntimeConfig = Json::parse(R"({
  "portMappings": [{"hostPort": 18080, "containerPort": 8080, "protocol": "tcp"}],
  "bandwidth": {"ingressRate": 100000000, "ingressBurst": 1000000, "egressRate": 100000000, "egressBurst": 1000000}})");

// A TCP socket listening on `port` inside `netns`: made by this thread while it is in the
// namespace, it stays there whichever thread uses it later. -1 on failure.
int listen_in(const std::string& netns, int port) {
  auto fd = kernel::run_in_netns(netns, [port]() -> Result<int> {
    const int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    ::setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    if (::bind(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(s, 1) != 0) {
      ::close(s);
      return fail(Errc::io, "bind/listen");
    }
    return s;
  });
  return fd.value_or(-1);
}

// Accepts one connection on `listener` (waiting at most 20 s) and sends `reply`; closes both.
void serve_once(int listener, const std::string& reply) {
  timeval limit{20, 0};
  ::setsockopt(listener, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
  const int conn = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
  if (conn >= 0) {
    (void)!::write(conn, reply.data(), reply.size());
    ::close(conn);
  }
  ::close(listener);
}

// From inside `netns`: connect to address:port and return what the server sent.
std::string fetch(const std::string& netns, const std::string& address, int port) {
  auto got = kernel::run_in_netns(netns, [&]() -> Result<std::string> {
    const int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    timeval limit{10, 0};
    ::setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
    ::setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit);  // bounds connect() too
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    ::inet_pton(AF_INET, address.c_str(), &addr.sin_addr);
    std::string text;
    if (::connect(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
      char buf[256];
      const ssize_t n = ::read(s, buf, sizeof buf);
      if (n > 0) text.assign(buf, static_cast<size_t>(n));
    }
    ::close(s);
    return text;
  });
  return got.value_or("");
}

class CniChainTest : public CniTest {
 protected:
  void SetUp() override {
    for (const char* p : {"/usr/lib/cni/portmap", "/usr/lib/cni/bandwidth"}) {
      WEFT_REQUIRE(std::filesystem::exists(p), p << " missing: apt-get install containernetworking-plugins");
    }
    WEFT_REQUIRE(run_in("", {"iptables", "--version"}).exit_code == 0, "portmap needs iptables");
    CniTest::SetUp();
  }

  std::string path_of(const std::string& type) {
    return type == "weft-cni" ? std::string(WEFT_CNI_PATH) : "/usr/lib/cni/" + type;
  }
  // One plugin's configuration as libcni builds it.
  Json plugin_config(const Json& plugin, const std::optional<Json>& prev) {
    Json conf = plugin;
    conf["name"] = kConflist["name"];
    conf["cniVersion"] = kConflist["cniVersion"];
    if (plugin["type"] == "weft-cni") conf["socket"] = c().socket_path();
    if (conf.contains("capabilities")) {
      Json rc = Json::object();
      for (const auto& [cap, on] : conf["capabilities"].items()) {
        if (on.get<bool>() && kRuntimeConfig.contains(cap)) rc[cap] = kRuntimeConfig[cap];
      }
      conf.erase("capabilities");
      conf["runtimeConfig"] = rc;
    }
    if (prev) conf["prevResult"] = *prev;
    return conf;
  }
  Json chain_add(const std::string& id, const std::string& netns) {
    std::optional<Json> prev;
    for (const auto& plugin : kConflist["plugins"]) {
      auto r = c().plugin(path_of(plugin["type"]), "ADD", id, netns, dump_json(plugin_config(plugin, prev)));
      EXPECT_EQ(r.exit_code, 0) << plugin["type"] << ": " << r.out << r.err;
      if (r.exit_code != 0) return Json::object();
      prev = Json::parse(r.out);
    }
    return *prev;
  }
  void chain_del(const std::string& id, const std::string& netns, const Json& result) {
    const auto& plugins = kConflist["plugins"];
    for (auto it = plugins.rbegin(); it != plugins.rend(); ++it) {
      auto r = c().plugin(path_of((*it)["type"]), "DEL", id, netns, dump_json(plugin_config(*it, result)));
      EXPECT_EQ(r.exit_code, 0) << (*it)["type"] << ": " << r.out << r.err;
    }
  }
};

TEST_F(CniChainTest, PortmapAndBandwidthChainAfterWeft) {
  const std::string netns = c().container("web");
  Json result = chain_add("chained", netns);
  ASSERT_TRUE(result.contains("ips")) << result;
  EXPECT_EQ(result["interfaces"][0]["name"], host_veth("chained")) << "our host side, as bandwidth found it";

  // bandwidth shaped the host side and made its ifb device for egress.
  auto qdisc = probe("", {"tc", "-n", c().host(), "qdisc", "show", "dev", host_veth("chained")});
  EXPECT_NE(qdisc.find("tbf"), std::string::npos) << qdisc;
  auto links = probe("", {"ip", "-n", c().host(), "-o", "link"});
  EXPECT_NE(links.find(": bwp"), std::string::npos) << links;

  // A client on the underlay reaches the container through the mapped host port.
  const int listener = listen_in(ns_name(netns), kContainerPort);
  ASSERT_GE(listener, 0);
  std::thread server(serve_once, listener, "hello from weft\n");
  EXPECT_EQ(fetch(c().peer(), "198.18.0.1", kHostPort), "hello from weft\n");
  server.join();

  chain_del("chained", netns, result);
  auto nat = probe(c().host(), {"iptables", "-t", "nat", "-S"});
  EXPECT_EQ(nat.find("dnat name: \\\"weftchain\\\" id: \\\"chained\\\""), std::string::npos) << nat;
  links = probe("", {"ip", "-n", c().host(), "-o", "link"});
  EXPECT_EQ(links.find(": bwp"), std::string::npos) << links;
  EXPECT_EQ(links.find(": weft"), std::string::npos) << links;
  EXPECT_TRUE(keys("/weft/v1/allocations/").empty());
  EXPECT_TRUE(keys("/weft/v1/endpoints/").empty());
}

}  // namespace
}  // namespace weft::testing
