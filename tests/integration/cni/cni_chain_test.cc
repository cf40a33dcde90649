// weft-cni as the first plugin of a conflist, chained before Debian's portmap and bandwidth
// (containernetworking-plugins in /usr/lib/cni), driven the way libcni drives a chain: ADD in
// order with each plugin's result as the next one's prevResult and the runtime's capabilities
// in runtimeConfig; DEL in reverse order with the chain's result.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <filesystem>

#include "cni_fixture.h"
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

// In a forked child inside `netns`: accept one TCP connection on `port` and send `reply`.
// Returns the child's PID once it listens (it reports readiness through a pipe).
pid_t serve_once(const std::string& netns, int port, const std::string& reply) {
  int ready[2];
  if (::pipe(ready) != 0) return -1;
  const pid_t pid = ::fork();
  if (pid != 0) {
    ::close(ready[1]);
    char c = 0;
    const bool ok = ::read(ready[0], &c, 1) == 1;
    ::close(ready[0]);
    return ok ? pid : -1;
  }
  ::alarm(20);
  const int ns = ::open(("/run/netns/" + netns).c_str(), O_RDONLY);
  if (ns < 0 || ::setns(ns, CLONE_NEWNET) != 0) ::_exit(2);
  const int s = ::socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  ::setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (::bind(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(s, 1) != 0) ::_exit(3);
  (void)!::write(ready[1], "r", 1);
  const int conn = ::accept(s, nullptr, nullptr);
  if (conn < 0) ::_exit(4);
  (void)!::write(conn, reply.data(), reply.size());
  ::close(conn);
  ::_exit(0);
}

// In a forked child inside `netns`: connect to address:port and return what the server sent.
std::string fetch(const std::string& netns, const std::string& address, int port) {
  int out[2];
  if (::pipe(out) != 0) return "";
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::alarm(10);
    const int ns = ::open(("/run/netns/" + netns).c_str(), O_RDONLY);
    if (ns < 0 || ::setns(ns, CLONE_NEWNET) != 0) ::_exit(2);
    const int s = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    ::inet_pton(AF_INET, address.c_str(), &addr.sin_addr);
    if (::connect(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) ::_exit(3);
    char buf[256];
    const ssize_t n = ::read(s, buf, sizeof buf);
    if (n > 0) (void)!::write(out[1], buf, static_cast<size_t>(n));
    ::_exit(0);
  }
  ::close(out[1]);
  std::string got;
  char buf[256];
  for (ssize_t n; (n = ::read(out[0], buf, sizeof buf)) > 0;) got.append(buf, static_cast<size_t>(n));
  ::close(out[0]);
  ::waitpid(pid, nullptr, 0);
  return got;
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
  const pid_t server = serve_once(ns_name(netns), kContainerPort, "hello from weft\n");
  ASSERT_GT(server, 0);
  EXPECT_EQ(fetch(c().peer(), "198.18.0.1", kHostPort), "hello from weft\n");
  int status = 0;
  ::waitpid(server, &status, 0);

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
