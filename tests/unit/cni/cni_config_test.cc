// weft-cni's pure parts: the CNI_* environment and the network configuration (tables with the
// spec's error codes), and the result/error/version JSON per cniVersion.
#include <gtest/gtest.h>

#include <map>

#include "cni/cni_config.h"
#include "cni/cni_result.h"

namespace weft::cni {
namespace {

Getenv env_of(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](std::string_view name) -> std::optional<std::string> {
    auto it = vars.find(std::string(name));
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

const std::map<std::string, std::string> kAdd = {
    {"CNI_COMMAND", "ADD"}, {"CNI_CONTAINERID", "c0ffee"}, {"CNI_NETNS", "/run/netns/x"},
    {"CNI_IFNAME", "eth0"}, {"CNI_PATH", "/usr/lib/cni"}};

std::map<std::string, std::string> with(std::map<std::string, std::string> base, const std::string& key,
                                        std::optional<std::string> value) {
  if (value) base[key] = *value;
  else base.erase(key);
  return base;
}

TEST(CniEnvironment, ParsesWhatEachCommandNeeds) {
  auto add = parse_environment(env_of(with(kAdd, "CNI_ARGS", "IgnoreUnknown=1;K8S_POD_NAMESPACE=ns;K8S_POD_NAME=web-1")));
  ASSERT_TRUE(add) << add.error().msg;
  EXPECT_EQ(add->command, Command::add);
  EXPECT_EQ(add->container_id, "c0ffee");
  EXPECT_EQ(add->args.at("K8S_POD_NAME"), "web-1");
  EXPECT_EQ(add->args.at("K8S_POD_NAMESPACE"), "ns");

  auto del = parse_environment(env_of(with(with(kAdd, "CNI_COMMAND", "DEL"), "CNI_NETNS", std::nullopt)));
  ASSERT_TRUE(del) << "DEL without CNI_NETNS: the namespace may be gone";
  for (auto cmd : {"VERSION", "GC", "STATUS"}) {
    auto r = parse_environment(env_of({{"CNI_COMMAND", cmd}}));
    EXPECT_TRUE(r) << cmd;
  }
}

TEST(CniEnvironment, BadEnvironmentIsCode4) {
  const std::vector<std::pair<std::map<std::string, std::string>, std::string>> table = {
      {{}, "no CNI_COMMAND"},
      {with(kAdd, "CNI_COMMAND", "add"), "lower-case command"},
      {with(kAdd, "CNI_COMMAND", "LAUNCH"), "unknown command"},
      {with(kAdd, "CNI_CONTAINERID", std::nullopt), "ADD without container id"},
      {with(kAdd, "CNI_CONTAINERID", ""), "empty container id"},
      {with(kAdd, "CNI_CONTAINERID", "../x"), "container id with a path"},
      {with(kAdd, "CNI_NETNS", std::nullopt), "ADD without netns"},
      {with(kAdd, "CNI_IFNAME", std::nullopt), "ADD without ifname"},
      {with(kAdd, "CNI_IFNAME", "this-name-is-too-long"), "ifname too long"},
      {with(kAdd, "CNI_IFNAME", "eth/0"), "ifname with slash"},
      {with(with(kAdd, "CNI_COMMAND", "CHECK"), "CNI_NETNS", std::nullopt), "CHECK without netns"},
      {with(with(kAdd, "CNI_COMMAND", "DEL"), "CNI_CONTAINERID", std::nullopt), "DEL without container id"},
      {with(kAdd, "CNI_ARGS", "K8S_POD_NAME"), "CNI_ARGS without ="},
      {with(kAdd, "CNI_ARGS", "=x"), "CNI_ARGS without key"},
  };
  for (const auto& [vars, why] : table) {
    auto r = parse_environment(env_of(vars));
    ASSERT_FALSE(r) << why;
    EXPECT_EQ(r.error().code, code::kInvalidEnvironment) << why;
  }
}

TEST(CniNetConf, ParsesFieldsAndDefaults) {
  auto conf = parse_netconf(R"({"cniVersion":"1.0.0","name":"weft","type":"weft-cni"})");
  ASSERT_TRUE(conf) << conf.error().msg;
  EXPECT_EQ(conf->socket, "/run/weft/weftd.sock");
  EXPECT_EQ(conf->mtu, 0u);
  EXPECT_EQ(conf->timeout_seconds, 30);
  EXPECT_FALSE(conf->prev_result);

  auto full = parse_netconf(R"({"cniVersion":"1.1.0","name":"weft","type":"weft-cni","socket":"/tmp/w.sock",
    "mtu":1400,"pools":["lab"],"timeoutSeconds":5,"gcGraceSeconds":0,
    "args":{"cni":{"labels":[{"key":"app","value":"web"}]}},
    "runtimeConfig":{"labels":{"tier":"front"},"portMappings":[]},
    "prevResult":{"cniVersion":"1.1.0","ips":[]},
    "cni.dev/valid-attachments":[{"containerID":"c1","ifname":"eth0"}]})");
  ASSERT_TRUE(full) << full.error().msg << " " << full.error().details;
  EXPECT_EQ(full->socket, "/tmp/w.sock");
  EXPECT_EQ(full->mtu, 1400u);
  EXPECT_EQ(full->pools, std::vector<std::string>{"lab"});
  EXPECT_EQ(full->timeout_seconds, 5);
  EXPECT_EQ(full->gc_grace_seconds, 0);
  EXPECT_EQ(full->labels, (std::map<std::string, std::string>{{"app", "web"}, {"tier", "front"}}));
  EXPECT_TRUE(full->prev_result);
  ASSERT_EQ(full->valid_attachments.size(), 1u);
  EXPECT_EQ(full->valid_attachments[0].container_id, "c1");

  for (auto v : {"0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"}) {
    EXPECT_TRUE(parse_netconf(std::string(R"({"cniVersion":")") + v + R"(","name":"n","type":"weft-cni"})")) << v;
  }
  auto legacy_name = parse_netconf(R"({"cniVersion":"1.1.0","name":"n","type":"t","cni.dev/attachments":[{"containerID":"c2","ifname":"eth0"}]})");
  ASSERT_TRUE(legacy_name);
  EXPECT_EQ(legacy_name->valid_attachments.size(), 1u);
}

TEST(CniNetConf, BadConfigurationHasTheSpecsCode) {
  const std::vector<std::tuple<std::string, int, std::string>> table = {
      {"", code::kDecodeFailure, "empty stdin"},
      {"{", code::kDecodeFailure, "truncated"},
      {"not json", code::kDecodeFailure, "garbage"},
      {"[1]", code::kDecodeFailure, "not an object"},
      {R"({"name":"n","type":"t"})", code::kInvalidConfig, "no cniVersion"},
      {R"({"cniVersion":1,"name":"n","type":"t"})", code::kInvalidConfig, "numeric cniVersion"},
      {R"({"cniVersion":"0.2.0","name":"n","type":"t"})", code::kIncompatibleVersion, "too old"},
      {R"({"cniVersion":"9.9.9","name":"n","type":"t"})", code::kIncompatibleVersion, "unknown version"},
      {R"({"cniVersion":"1.0.0","type":"t"})", code::kInvalidConfig, "no name"},
      {R"({"cniVersion":"1.0.0","name":"","type":"t"})", code::kInvalidConfig, "empty name"},
      {R"({"cniVersion":"1.0.0","name":"n"})", code::kInvalidConfig, "no type"},
      {R"({"cniVersion":"1.0.0","name":"n","type":"t","socket":"relative.sock"})", code::kInvalidConfig, "relative socket"},
      {R"({"cniVersion":"1.0.0","name":"n","type":"t","mtu":10})", code::kInvalidConfig, "tiny mtu"},
      {R"({"cniVersion":"1.0.0","name":"n","type":"t","mtu":"1500"})", code::kInvalidConfig, "mtu as string"},
      {R"({"cniVersion":"1.0.0","name":"n","type":"t","pools":"lab"})", code::kInvalidConfig, "pools as string"},
      {R"({"cniVersion":"1.0.0","name":"n","type":"t","timeoutSeconds":0})", code::kInvalidConfig, "zero timeout"},
      {R"({"cniVersion":"1.0.0","name":"n","type":"t","prevResult":[]})", code::kInvalidConfig, "prevResult list"},
      {R"({"cniVersion":"1.0.0","name":"n","type":"t","args":{"cni":{"labels":[{"value":"x"}]}}})", code::kInvalidConfig, "label without key"},
      {R"({"cniVersion":"1.1.0","name":"n","type":"t","cni.dev/valid-attachments":[{"containerID":"a/b","ifname":"eth0"}]})",
       code::kInvalidConfig, "bad attachment"},
  };
  for (const auto& [text, expected, why] : table) {
    auto r = parse_netconf(text);
    ASSERT_FALSE(r) << why;
    EXPECT_EQ(r.error().code, expected) << why << ": " << r.error().msg;
  }
}

TEST(CniEnvironment, PodNamespaceDefaultsAndIsChecked) {
  auto plain = parse_environment(env_of(kAdd));
  ASSERT_TRUE(plain) << plain.error().msg;
  EXPECT_EQ(plain->pod_namespace, "default");
  EXPECT_EQ(plain->pod_name, "");
  auto named = parse_environment(env_of(with(kAdd, "CNI_ARGS", "K8S_POD_NAMESPACE=team-a;K8S_POD_NAME=web-1.x")));
  ASSERT_TRUE(named) << named.error().msg;
  EXPECT_EQ(named->pod_namespace, "team-a");
  EXPECT_EQ(named->pod_name, "web-1.x");
  // podman's container names are pod names too.
  auto podman = parse_environment(env_of(with(kAdd, "CNI_ARGS", "K8S_POD_NAME=elated_Benz")));
  ASSERT_TRUE(podman) << podman.error().msg;
  EXPECT_EQ(podman->pod_name, "elated_Benz");
  for (const char* args : {"K8S_POD_NAMESPACE=Bad_NS", "K8S_POD_NAME=a/b"}) {
    auto r = parse_environment(env_of(with(kAdd, "CNI_ARGS", args)));
    ASSERT_FALSE(r) << args;
    EXPECT_EQ(r.error().code, code::kInvalidEnvironment) << args;
    EXPECT_NE(r.error().msg.find("K8S_POD_"), std::string::npos) << r.error().msg;
  }
  // DEL releases whatever ADD made; it does not judge the names again.
  EXPECT_TRUE(parse_environment(env_of(with(with(kAdd, "CNI_COMMAND", "DEL"), "CNI_ARGS", "K8S_POD_NAMESPACE=Bad_NS"))));
}

TEST(CniNetConf, NamedPortsFromArgsAndPortMappings) {
  auto conf = parse_netconf(R"({"cniVersion":"1.0.0","name":"n","type":"t",
    "args":{"cni":{"ports":[{"name":"http","port":80,"protocol":"tcp"},{"name":"dns","port":53,"protocol":"UDP"},
                            {"name":"alt","port":81}]}},
    "runtimeConfig":{"portMappings":[{"hostPort":8080,"containerPort":80,"protocol":"tcp"},
                                     {"name":"metrics","hostPort":9090,"containerPort":9100,"protocol":"tcp"},
                                     {"name":"http","containerPort":80,"protocol":"tcp"}]}})");
  ASSERT_TRUE(conf) << conf.error().msg << " " << conf.error().details;
  const std::vector<model::NamedPort> expected = {
      {"http", 80, "TCP"}, {"dns", 53, "UDP"}, {"alt", 81, "TCP"}, {"metrics", 9100, "TCP"}};
  EXPECT_EQ(conf->ports, expected);
}

TEST(CniNetConf, MalformedPortsAndLabelsAreCode7NamingTheProblem) {
  const std::vector<std::pair<std::string, std::string>> table = {
      {R"("args":{"cni":{"ports":{"name":"http"}}})", "ports must be a list"},
      {R"("args":{"cni":{"ports":[{"name":"http"}]}})", "port"},
      {R"("args":{"cni":{"ports":[{"name":"http","port":0}]}})", "port 0 is not 1-65535"},
      {R"("args":{"cni":{"ports":[{"name":"http","port":70000}]}})", "not 1-65535"},
      {R"("args":{"cni":{"ports":[{"name":"HTTP","port":80}]}})", "port name 'HTTP'"},
      {R"("args":{"cni":{"ports":[{"name":"http","port":80,"protocol":"icmp"}]}})", "protocol 'icmp'"},
      {R"("args":{"cni":{"ports":[{"name":"http","port":80},{"name":"http","port":81}]}})", "used twice"},
      {R"("runtimeConfig":{"portMappings":[{"name":"web","hostPort":1}]})", "containerPort"},
      {R"("runtimeConfig":{"portMappings":{"x":1}})", "portMappings must be a list"},
      {R"("args":{"cni":{"labels":[{"key":"a b","value":"x"}]}})", "'a b'"},
      {R"("runtimeConfig":{"labels":{"app":"we b"}})", "'we b'"},
  };
  for (const auto& [fields, message] : table) {
    auto r = parse_netconf(R"({"cniVersion":"1.0.0","name":"n","type":"t",)" + fields + "}");
    ASSERT_FALSE(r) << fields;
    EXPECT_EQ(r.error().code, code::kInvalidConfig) << fields;
    EXPECT_NE(r.error().details.find(message), std::string::npos) << fields << ": " << r.error().details;
  }
}

TEST(CniVersions, CompareAndRequested) {
  EXPECT_LT(compare_versions("0.3.1", "0.4.0"), 0);
  EXPECT_LT(compare_versions("0.4.0", "1.0.0"), 0);
  EXPECT_EQ(compare_versions("1.0.0", "1.0.0"), 0);
  EXPECT_GT(compare_versions("1.1.0", "1.0.0"), 0);
  EXPECT_EQ(requested_version(R"({"cniVersion":"0.4.0"})"), "0.4.0");
  EXPECT_EQ(requested_version(""), "");
  auto info = encode_version_info("0.4.0");
  EXPECT_EQ(info["cniVersion"], "0.4.0");
  EXPECT_EQ(info["supportedVersions"].size(), 5u);
  EXPECT_EQ(encode_version_info("7.0.0")["cniVersion"], "1.1.0");
}

CniOutput sample() {
  CniOutput out;
  out.interfaces = {{"weft0123456789a", "ee:ee:ee:ee:ee:ee", "", 1450}, {"eth0", "02:00:00:00:00:01", "/run/netns/x", 1450}};
  out.ips = {{*IpAddress::parse("198.19.1.5"), 32, *IpAddress::parse("169.254.1.1"), 1},
             {*IpAddress::parse("fd00:198:19::105"), 128, *IpAddress::parse("fe80::1"), 1}};
  out.routes = {{*Prefix::parse("0.0.0.0/0"), *IpAddress::parse("169.254.1.1")}, {*Prefix::parse("::/0"), *IpAddress::parse("fe80::1")}};
  return out;
}

TEST(CniResultJson, LayoutPerVersion) {
  auto v1 = encode_result(sample(), "1.0.0");
  EXPECT_EQ(v1["cniVersion"], "1.0.0");
  EXPECT_EQ(v1["interfaces"][0].contains("sandbox"), false) << "the host side has no sandbox";
  EXPECT_EQ(v1["interfaces"][1]["sandbox"], "/run/netns/x");
  EXPECT_EQ(v1["ips"][0]["address"], "198.19.1.5/32");
  EXPECT_EQ(v1["ips"][0]["interface"], 1);
  EXPECT_FALSE(v1["ips"][0].contains("version")) << "1.0.0 dropped it";
  EXPECT_FALSE(v1["interfaces"][0].contains("mtu")) << "mtu is 1.1.0";
  EXPECT_EQ(v1["routes"][1]["gw"], "fe80::1");
  auto v04 = encode_result(sample(), "0.4.0");
  EXPECT_EQ(v04["ips"][0]["version"], "4");
  EXPECT_EQ(v04["ips"][1]["version"], "6");
  EXPECT_EQ(encode_result(sample(), "1.1.0")["interfaces"][1]["mtu"], 1450);

  auto back = decode_result(v1);
  ASSERT_TRUE(back) << back.error().message;
  CniOutput expected = sample();
  for (auto& i : expected.interfaces) i.mtu = 0;  // not carried by 1.0.0
  EXPECT_EQ(*back, expected);
  EXPECT_TRUE(decode_result(v04));
  EXPECT_FALSE(decode_result(Json::parse(R"({"ips":[{"address":"198.19.1.5"}]})")));
  EXPECT_FALSE(decode_result(Json::parse(R"({"ips":[{"address":"x/32"}]})")));
}

TEST(CniResultJson, Errors) {
  auto e = encode_error(CniError{code::kTryAgainLater, "weftd is down", "connect: refused"}, "0.4.0");
  EXPECT_EQ(e["cniVersion"], "0.4.0");
  EXPECT_EQ(e["code"], 11);
  EXPECT_EQ(e["msg"], "weftd is down");
  EXPECT_EQ(e["details"], "connect: refused");
}

}  // namespace
}  // namespace weft::cni
