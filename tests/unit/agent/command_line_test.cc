// weftd's settings: defaults, a YAML file under flags, and one clear line for bad input.
#include "agent/command_line.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <unistd.h>

namespace weft::agent {
namespace {

namespace fs = std::filesystem;

struct TempFile {
  fs::path path;
  explicit TempFile(const std::string& text) {
    char tmpl[] = "/tmp/weftd-config-XXXXXX";
    int fd = ::mkstemp(tmpl);
    ::close(fd);
    path = tmpl;
    std::ofstream(path) << text;
  }
  ~TempFile() { fs::remove(path); }
};

Result<CommandLine> parse(std::vector<std::string> args) {
  args.insert(args.begin(), "weftd");
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());
  return parse_command_line(static_cast<int>(argv.size()), argv.data(), "host-a");
}

TEST(CommandLine, FlagsWinOverTheFileAndTheFileOverDefaults) {
  TempFile file(
      "store: etcd://198.18.0.2:2379\nnodeName: from-file\ninterface: eth1\nleaseTtl: 90s\n"
      "reconcileInterval: 3s\nvxlan: {vni: 77, port: 8472}\nlabels: {rack: a}\n");
  auto cl = parse({"--config", file.path.string(), "--node-name", "from-flag", "--vxlan-vni", "99", "--label", "zone=z1"});
  ASSERT_TRUE(cl) << cl.error().message;
  const auto& c = cl->config;
  EXPECT_EQ(c.node_name, "from-flag") << "a flag wins over the file";
  EXPECT_EQ(c.store_url, "etcd://198.18.0.2:2379") << "a file key wins over the default";
  EXPECT_EQ(c.interface, "eth1");
  EXPECT_EQ(c.lease_ttl_seconds, 90);
  EXPECT_EQ(c.reconcile_interval, std::chrono::seconds(3));
  EXPECT_EQ(c.vxlan_vni, 99u);
  EXPECT_EQ(c.vxlan_port, 8472);
  EXPECT_EQ(c.labels.at("rack"), "a");
  EXPECT_EQ(c.labels.at("zone"), "z1");
  EXPECT_EQ(c.state_dir, "/var/lib/weft") << "neither: the default";
}

TEST(CommandLine, TheHostNameIsTheDefaultNodeName) {
  auto cl = parse({"--interface", "eth0"});
  ASSERT_TRUE(cl) << cl.error().message;
  EXPECT_EQ(cl->config.node_name, "host-a");
  EXPECT_FALSE(cl->exit_code);
}

TEST(CommandLine, BadInputIsOneClearLine) {
  TempFile broken("store: [unclosed\n");
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--no-such-flag"}, "no-such-flag"},
      {{"--label", "novalue"}, "--label novalue: expected KEY=VALUE"},
      {{"--lease-ttl", "soon"}, "soon"},
      {{"--config", "/nonexistent/weftd.yaml"}, "/nonexistent/weftd.yaml"},
      {{"--config", broken.path.string()}, broken.path.string()},
  };
  for (const auto& [args, needle] : cases) {
    auto cl = parse(args);
    ASSERT_FALSE(cl) << args.front();
    EXPECT_EQ(cl.error().code, Errc::invalid_argument) << args.front();
    EXPECT_NE(cl.error().message.find(needle), std::string::npos) << cl.error().message;
    EXPECT_EQ(cl.error().message.find('\n'), std::string::npos) << cl.error().message;
  }
}

TEST(CommandLine, ConfigTextErrorsAreInvalidArgumentNeverExceptions) {
  for (const char* text : {"[a, b]", "store: [unclosed\n", "vxlan: {vni: -1}\n", "vxlan: {port: 70000}\n",
                           "labels: [a]\n", "labels: {[a]: b}\n", "leaseTtl: {a: 1}\n", "nodeName: {a: 1}\n"}) {
    AgentConfig config;
    auto r = parse_config(text, config);
    ASSERT_FALSE(r) << text;
    EXPECT_EQ(r.error().code, Errc::invalid_argument) << text;
  }
  AgentConfig scratch;
  EXPECT_FALSE(parse_config("leaseTtl: 1359313031279935488s\n", scratch)) << "overflows int64_t milliseconds (found by agent_config_fuzz)";
  EXPECT_EQ(parse_duration("876000h").value(), std::chrono::hours(876000));
  EXPECT_FALSE(parse_duration("876001h")) << "over 100 years";
  AgentConfig config;
  ASSERT_TRUE(parse_config("interface: eth2\nvxlan: {vni: 7}\n", config));
  EXPECT_EQ(config.interface, "eth2");
  EXPECT_EQ(config.vxlan_vni, 7u);
}

}  // namespace
}  // namespace weft::agent
