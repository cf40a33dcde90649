// The weft CLI as an operator runs it: exit codes, one-line errors, tables and JSON, against a
// real etcd and against the file store.
#include <gtest/gtest.h>

#include <ctime>
#include <algorithm>
#include <filesystem>
#include <map>
#include <fstream>
#include <string>

#include "base/json.h"
#include "base/process.h"
#include "model/bgp_config.h"
#include "model/keys.h"
#include "store/store.h"
#include "etcd_server.h"

namespace {

struct CliRun {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// `weft ARGS` through /bin/sh (the tests write arguments with shell quoting).
CliRun run(const std::string& args) {
  auto r = weft::run(weft::shell_command(std::string(WEFT_CLI_PATH) + " " + args));
  if (!r) return CliRun{.exit_code = -1, .out = "", .err = r.error().describe()};
  return CliRun{.exit_code = r->exit_code, .out = std::move(r->out), .err = std::move(r->err)};
}

class Cli : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "etcd") {
      ASSERT_TRUE(etcd_.start());
      store_ = "--store " + etcd_.url();
    } else {
      dir_ = std::filesystem::temp_directory_path() / ("weft-cli-" + std::to_string(::getpid()));
      std::filesystem::create_directories(dir_);
      store_ = "--store file:" + (dir_ / "store.json").string();
    }
  }
  void TearDown() override {
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }
  CliRun weft(const std::string& args) { return run(store_ + " " + args); }
  // Writes a key as weftd would (the CLI has no command for what only agents write).
  void put(const std::string& key, const std::string& value) {
    const std::string url = GetParam() == "etcd" ? etcd_.url() : "file:" + (dir_ / "store.json").string();
    auto store = weft::store::open_store({url, "", "", "", std::chrono::milliseconds(5000)});
    ASSERT_TRUE(store) << store.error().message;
    ASSERT_TRUE((*store)->put(key, value));
  }

  weft::testing::EtcdServer etcd_;
  std::filesystem::path dir_;
  std::string store_;
};

TEST_P(Cli, PoolAddListDelete) {
  auto add = weft("pool add lab --cidr 198.19.0.0/16 --block-size 24 --encapsulation vxlan");
  ASSERT_EQ(add.exit_code, 0) << add.err;
  EXPECT_NE(add.out.find("256"), std::string::npos) << add.out;

  auto table = weft("pool list");
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_NE(table.out.find("NAME"), std::string::npos);
  EXPECT_NE(table.out.find("198.19.0.0/16"), std::string::npos);
  EXPECT_NE(table.out.find("vxlan"), std::string::npos);

  auto json = weft("pool list -o json");
  ASSERT_EQ(json.exit_code, 0) << json.err;
  auto parsed = weft::parse_json(json.out);
  ASSERT_TRUE(parsed) << json.out;
  ASSERT_EQ(parsed->size(), 1u);
  EXPECT_EQ((*parsed)[0]["cidr"], "198.19.0.0/16");
  EXPECT_EQ((*parsed)[0]["blockSize"], 24);

  auto del = weft("pool delete lab");
  ASSERT_EQ(del.exit_code, 0) << del.err;
  auto empty = weft("pool list -o json");
  EXPECT_EQ(weft::parse_json(empty.out)->size(), 0u);
}

TEST_P(Cli, BadCidrsFailWithExitOneAndOneClearLine) {
  ASSERT_EQ(weft("pool add lab --cidr 198.19.0.0/16").exit_code, 0);
  struct Case {
    const char* args;
    const char* message;
  } cases[] = {
      {"pool add other --cidr 198.19.128.0/17", "overlaps pool lab (198.19.0.0/16)"},
      {"pool add other --cidr 198.0.0.0/8", "overlaps pool lab"},
      {"pool add other --cidr 198.19.0.300/24", "198.19.0.300"},
      {"pool add other --cidr 198.20.0.1/16", "host bits"},
      {"pool add other --cidr banana", "banana"},
      {"pool add other --cidr 198.20.0.0/16 --block-size 8", "out of range"},
      {"pool add lab --cidr 198.21.0.0/16", "already exists"},
  };
  for (const auto& c : cases) {
    auto r = weft(c.args);
    EXPECT_EQ(r.exit_code, 1) << c.args << "\n" << r.err;
    EXPECT_NE(r.err.find(c.message), std::string::npos) << c.args << "\n" << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << "one line: " << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
  }
  auto list = weft("pool list -o json");
  EXPECT_EQ(weft::parse_json(list.out)->size(), 1u) << "a failed add must not leave a pool behind";
}

TEST_P(Cli, UsageErrorsExitTwo) {
  EXPECT_EQ(weft("pool").exit_code, 2);
  EXPECT_EQ(weft("pool add").exit_code, 2);
  EXPECT_EQ(weft("pool add x --cidr 198.19.0.0/16 --encapsulation gre").exit_code, 2);
  EXPECT_EQ(weft("frobnicate").exit_code, 2);
  EXPECT_EQ(weft("pool list -o yaml").exit_code, 2);
}

TEST_P(Cli, BlocksAndNodes) {
  ASSERT_EQ(weft("pool add lab --cidr 198.19.0.0/16 --block-size 24").exit_code, 0);
  auto reserve = weft("block reserve --pool lab --block 198.19.9.0/24 --node h1");
  ASSERT_EQ(reserve.exit_code, 0) << reserve.err;
  auto list = weft("block list");
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_NE(list.out.find("198.19.9.0/24"), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("reserved"), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("never"), std::string::npos) << list.out;
  auto in_use = weft("pool delete lab");
  EXPECT_EQ(in_use.exit_code, 1);
  EXPECT_NE(in_use.err.find("in use"), std::string::npos) << in_use.err;
  ASSERT_EQ(weft("block release --pool lab --block 198.19.9.0/24 --node h1").exit_code, 0);
  EXPECT_EQ(weft("pool delete lab").exit_code, 0);
  auto nodes = weft("node list -o json");
  ASSERT_EQ(nodes.exit_code, 0) << nodes.err;
  EXPECT_TRUE(weft::parse_json(nodes.out)->is_array());
}

TEST_P(Cli, BgpConfigAndPeers) {
  auto shown = weft("bgp config -o json");
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  EXPECT_EQ((*weft::parse_json(shown.out))["asNumber"], 64512) << "the default AS";

  ASSERT_EQ(weft("bgp config --as 65010 --node-mesh off").exit_code, 0);
  ASSERT_EQ(weft("bgp config --node h2 --as 4200000001").exit_code, 0);
  auto config = weft::parse_json(weft("bgp config -o json").out);
  ASSERT_TRUE(config);
  EXPECT_EQ((*config)["asNumber"], 65010);
  EXPECT_EQ((*config)["nodeMesh"], false);
  ASSERT_EQ((*config)["nodes"].size(), 1u);
  EXPECT_EQ((*config)["nodes"][0]["asNumber"], 4200000001u);
  ASSERT_EQ(weft("bgp config --node h2 --as 0").exit_code, 0);
  EXPECT_EQ((*weft::parse_json(weft("bgp config -o json").out))["nodes"].size(), 0u) << "--as 0 removes the override";

  auto negative = weft("bgp config --as -5 --node-mesh on");
  EXPECT_EQ(negative.exit_code, 1) << "a negative AS is an error, not 'no AS given'";
  EXPECT_EQ((*weft::parse_json(weft("bgp config -o json").out))["nodeMesh"], false) << "and nothing was changed";
  auto bad_as = weft("bgp config --as 23456");
  EXPECT_EQ(bad_as.exit_code, 1);
  EXPECT_NE(bad_as.err.find("AS_TRANS"), std::string::npos) << bad_as.err;

  auto add = weft("bgp peer add --peer-ip 198.18.1.1 --as 65000 --node-selector rack=a --password s3cret --accept 0.0.0.0/0");
  ASSERT_EQ(add.exit_code, 0) << add.err;
  EXPECT_NE(add.out.find("198-18-1-1"), std::string::npos) << "named after its address: " << add.out;
  auto again = weft("bgp peer add --peer-ip 198.18.1.1 --as 65000 --node-selector rack=a --name other");
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_NE(again.err.find("already peers with 198.18.1.1"), std::string::npos) << again.err;
  auto taken = weft("bgp peer add --peer-ip 198.18.1.2 --as 65000 --name 198-18-1-1");
  EXPECT_EQ(taken.exit_code, 1);
  EXPECT_NE(taken.err.find("already exists"), std::string::npos) << taken.err;
  EXPECT_EQ(weft("bgp peer add --peer-ip 198.18.1.300 --as 65000").exit_code, 1);
  EXPECT_EQ(weft("bgp peer add --peer-ip 198.18.1.3 --as 65000 --node h1 --node-selector a=b").exit_code, 2);
  auto bad_selector = weft("bgp peer add --peer-ip 198.18.1.3 --as 65000 --node-selector 'a b'");
  EXPECT_EQ(bad_selector.exit_code, 1);
  EXPECT_NE(bad_selector.err.find("node selector term"), std::string::npos) << bad_selector.err;

  auto table = weft("bgp peer list");
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_NE(table.out.find("rack=a"), std::string::npos) << table.out;
  EXPECT_EQ(table.out.find("s3cret"), std::string::npos) << "the password is never printed";
  auto json = weft("bgp peer list -o json");
  EXPECT_EQ(json.out.find("s3cret"), std::string::npos) << json.out;
  auto peers = weft::parse_json(json.out);
  ASSERT_TRUE(peers && peers->size() == 1u) << json.out;
  EXPECT_EQ((*peers)[0]["accept"][0], "0.0.0.0/0");

  // `peer set` changes the flags given and keeps the rest; a bad value changes nothing.
  auto set = weft("bgp peer set 198-18-1-1 --export-mode own --export 198.19.0.0/16 --accept none --multihop");
  ASSERT_EQ(set.exit_code, 0) << set.err;
  auto changed = weft::parse_json(weft("bgp peer list -o json").out);
  ASSERT_TRUE(changed && changed->size() == 1u);
  EXPECT_EQ((*changed)[0]["exportMode"], "own");
  EXPECT_EQ((*changed)[0]["export"][0], "198.19.0.0/16");
  EXPECT_FALSE((*changed)[0].contains("accept") && !(*changed)[0].at("accept").empty()) << (*changed)[0].dump();
  EXPECT_EQ((*changed)[0]["ttl"], 255);
  EXPECT_EQ((*changed)[0]["nodeSelector"], "rack=a") << "flags not given stay";
  EXPECT_EQ((*changed)[0]["password"], "*") << "so does the password";
  auto bad_set = weft("bgp peer set 198-18-1-1 --export-mode own --next-hop-self 198.18.1.7 --next-hop-self 198.18.1.8");
  EXPECT_EQ(bad_set.exit_code, 1) << "two IPv4 next hops";
  EXPECT_EQ((*weft::parse_json(weft("bgp peer list -o json").out))[0], (*changed)[0]) << "and nothing was changed";
  auto missing = weft("bgp peer set nobody --export-mode own");
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("does not exist"), std::string::npos) << missing.err;

  EXPECT_EQ(weft("bgp peer delete 198-18-1-1").exit_code, 0);
  auto gone = weft("bgp peer delete 198-18-1-1");
  EXPECT_EQ(gone.exit_code, 1);
  EXPECT_NE(gone.err.find("does not exist"), std::string::npos) << gone.err;
  auto status = weft("bgp status");
  EXPECT_EQ(status.exit_code, 0) << status.err;
  EXPECT_NE(status.out.find("no node runs BGP"), std::string::npos) << status.out;
}

TEST_P(Cli, BgpStatusShowsSessionsAndFlagsANodeThatStoppedReporting) {
  const int64_t now = std::time(nullptr);
  weft::model::BgpNodeStatus h1{"h1", 64512, "198.18.1.11", false, now, {}};
  h1.sessions.push_back({.peer = "h2", .kind = "mesh", .address = *weft::IpAddress::parse("198.18.1.12"),
                         .as_number = 64512, .state = "Established", .established_at_unix = now - 3725,
                         .received = 5, .accepted = 4, .advertised = 2});
  weft::model::BgpNodeStatus h2{"h2", 64512, "198.18.1.12", false, now - 3600, {}};
  h2.sessions.push_back({.peer = "h1", .kind = "mesh", .address = *weft::IpAddress::parse("198.18.1.11"),
                         .as_number = 64512, .state = "Active", .last_error = "TCP connection failed",
                         .last_notification = weft::model::BgpNotificationStatus{
                             "received", 6, 2, "Cease / Administrative Shutdown", now - 3700}});
  put(weft::model::keys::bgp_status("h1"), weft::dump_json(weft::model::encode(h1)));
  put(weft::model::keys::bgp_status("h2"), weft::dump_json(weft::model::encode(h2)));

  auto table = weft("bgp status");
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_NE(table.out.find("Established  1h2m"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("TCP connection failed"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("RECEIVED  ACCEPTED  ADVERTISED"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("received Cease / Administrative Shutdown (6/2)"), std::string::npos) << table.out;
  EXPECT_NE(table.err.find("h2 has not reported for 1h0m"), std::string::npos) << table.err;
  EXPECT_EQ(table.err.find("h1 has not"), std::string::npos) << table.err;
  auto json = weft::parse_json(weft("bgp status --node h2 -o json").out);
  ASSERT_TRUE(json && json->size() == 1u);
  EXPECT_EQ((*json)[0]["stale"], true);
  EXPECT_EQ((*json)[0]["sessions"][0]["state"], "Active");
  EXPECT_EQ((*json)[0]["sessions"][0]["lastNotification"]["text"], "Cease / Administrative Shutdown");
  EXPECT_EQ((*json)[0]["sessions"][0]["lastNotification"]["direction"], "received");
  auto h1_json = weft::parse_json(weft("bgp status --node h1 -o json").out);
  ASSERT_TRUE(h1_json && h1_json->size() == 1u);
  EXPECT_EQ((*h1_json)[0]["sessions"][0]["received"], 5);
  EXPECT_EQ((*h1_json)[0]["sessions"][0]["accepted"], 4);
}

TEST_P(Cli, NamespacesAddLabelListDelete) {
  auto add = weft("namespace add x team=a tier=web");
  ASSERT_EQ(add.exit_code, 0) << add.err;
  ASSERT_EQ(weft("namespace add y").exit_code, 0);

  auto label = weft("namespace label x team=b tier- env=prod");
  ASSERT_EQ(label.exit_code, 0) << label.err;

  auto json = weft("namespace list -o json");
  ASSERT_EQ(json.exit_code, 0) << json.err;
  auto parsed = weft::parse_json(json.out);
  ASSERT_TRUE(parsed && parsed->is_array()) << json.out;
  ASSERT_EQ(parsed->size(), 2u) << json.out;
  EXPECT_EQ((*parsed)[0]["name"], "x");
  EXPECT_EQ((*parsed)[0]["labels"], (weft::Json{{"team", "b"}, {"env", "prod"}, {"kubernetes.io/metadata.name", "x"}}));
  EXPECT_EQ((*parsed)[1]["labels"], (weft::Json{{"kubernetes.io/metadata.name", "y"}}));

  // The implicit label is added when read, never stored.
  const std::string url = GetParam() == "etcd" ? etcd_.url() : "file:" + (dir_ / "store.json").string();
  auto store = weft::store::open_store({url, "", "", "", std::chrono::milliseconds(5000)});
  ASSERT_TRUE(store) << store.error().message;
  auto stored = (*store)->get(weft::model::keys::namespace_key("x"));
  ASSERT_TRUE(stored && *stored);
  EXPECT_EQ((*stored)->value.find("metadata.name"), std::string::npos) << (*stored)->value;

  auto table = weft("namespace list");
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_NE(table.out.find("env=prod"), std::string::npos) << table.out;

  ASSERT_EQ(weft("namespace delete y").exit_code, 0);
  EXPECT_EQ(weft::parse_json(weft("namespace list -o json").out)->size(), 1u);
}

TEST_P(Cli, NamespaceErrorsAreOneLineAndChangeNothing) {
  ASSERT_EQ(weft("namespace add x team=a").exit_code, 0);
  struct Case {
    const char* args;
    const char* message;
  } cases[] = {
      {"namespace add x", "already exists"},
      {"namespace add Bad_Name", "not a DNS label"},
      {"namespace add z app", "neither KEY=VALUE"},
      {"namespace add z 'a b=c'", "not a valid label key"},
      {"namespace label x kubernetes.io/metadata.name=y", "implicit"},
      {"namespace label nope a=b", "does not exist"},
      {"namespace delete nope", "does not exist"},
  };
  for (const auto& c : cases) {
    auto r = weft(c.args);
    EXPECT_EQ(r.exit_code, 1) << c.args << "\n" << r.err;
    EXPECT_NE(r.err.find(c.message), std::string::npos) << c.args << "\n" << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << "one line: " << r.err;
  }
  auto list = weft::parse_json(weft("namespace list -o json").out);
  ASSERT_TRUE(list && list->size() == 1u);
  EXPECT_EQ((*list)[0]["labels"]["team"], "a");
  EXPECT_EQ(weft("namespace label x").exit_code, 2) << "labels are required";
}

TEST_P(Cli, EndpointLabelsChangeByPodOrKeyAndKeepTheRest) {
  // Two endpoints as weftd records them (the second one written before labels and ports existed).
  put(weft::model::keys::endpoint("h1", "c1", "eth0"),
      R"({"node":"h1","containerId":"c1","ifname":"eth0","podNamespace":"x","podName":"a","labels":{"app":"a"},
          "ports":[{"name":"http","port":80,"protocol":"TCP"}],"hostVeth":"weft0000000000a",
          "addresses":[{"address":"198.19.1.5","pool":"lab","block":"198.19.1.0/24"}],"createdAt":1})");
  put(weft::model::keys::endpoint("h2", "c2", "eth0"),
      R"({"node":"h2","containerId":"c2","ifname":"eth0","podNamespace":"y","podName":"a",
          "addresses":[{"address":"198.19.2.5","pool":"lab","block":"198.19.2.0/24"}]})");

  auto label = weft("endpoint label x/a tier=web app-");
  ASSERT_EQ(label.exit_code, 0) << label.err;
  auto old = weft("endpoint label h2/c2-eth0 app=b");
  ASSERT_EQ(old.exit_code, 0) << old.err;

  auto json = weft("endpoint list -o json");
  ASSERT_EQ(json.exit_code, 0) << json.err;
  auto eps = weft::parse_json(json.out);
  ASSERT_TRUE(eps && eps->size() == 2u) << json.out;
  EXPECT_EQ((*eps)[0]["labels"], (weft::Json{{"tier", "web"}}));
  EXPECT_EQ((*eps)[0]["ports"], weft::parse_json(R"([{"name":"http","port":80,"protocol":"TCP"}])").value());
  EXPECT_EQ((*eps)[0]["addresses"][0]["address"], "198.19.1.5") << "the rest of the record is kept";
  EXPECT_EQ((*eps)[1]["labels"], (weft::Json{{"app", "b"}}));
  EXPECT_EQ((*eps)[1]["podNamespace"], "y");

  auto table = weft("endpoint list");
  EXPECT_NE(table.out.find("http=80/TCP"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("tier=web"), std::string::npos) << table.out;

  auto ambiguous = weft("endpoint label a app=z");
  EXPECT_EQ(ambiguous.exit_code, 1);
  EXPECT_NE(ambiguous.err.find("names 2 endpoints"), std::string::npos) << ambiguous.err;
  auto missing = weft("endpoint label z/none app=z");
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("no endpoint"), std::string::npos) << missing.err;
  auto bad = weft("endpoint label c1 'a b=c'");
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("not a valid label key"), std::string::npos) << bad.err;
}

// Three kinds in one file: a Kubernetes NetworkPolicy, a weft Policy of the same name and a
// GlobalPolicy.
constexpr const char* kPolicyFile = R"(apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: deny-all
  namespace: x
spec:
  podSelector: {}
  policyTypes: [Ingress]
---
apiVersion: weft.io/v1
kind: Policy
metadata:
  name: deny-all
  namespace: x
spec:
  selector: app == "a"
  order: 10
  ingress:
  - action: Deny
---
apiVersion: weft.io/v1
kind: GlobalPolicy
metadata:
  name: g
spec:
  selector: has(tier)
  order: 5
  types: [Egress]
  egress:
  - action: Allow
)";

// Writes `text` to a file of the test's own and returns its path.
std::string write_file(const std::filesystem::path& dir, const std::string& name, const std::string& text) {
  std::filesystem::create_directories(dir);
  const auto path = dir / name;
  std::ofstream(path) << text;
  return path.string();
}

TEST_P(Cli, PolicyApplyListGetDelete) {
  const auto dir = std::filesystem::temp_directory_path() / ("weft-cli-policy-" + std::to_string(::getpid()));
  const std::string file = write_file(dir, "policies.yaml", kPolicyFile);
  auto apply = weft("policy apply -f " + file);
  std::filesystem::remove_all(dir);
  ASSERT_EQ(apply.exit_code, 0) << apply.err;
  EXPECT_EQ(apply.out, "networkpolicy x/deny-all configured\npolicy x/deny-all configured\nglobalpolicy g configured\n");

  // Stored at one key per kind, in the codec's form.
  const std::string url = GetParam() == "etcd" ? etcd_.url() : "file:" + (dir_ / "store.json").string();
  auto store = weft::store::open_store({url, "", "", "", std::chrono::milliseconds(5000)});
  ASSERT_TRUE(store);
  auto stored = (*store)->get(weft::model::keys::policy("x", "deny-all"));
  ASSERT_TRUE(stored && *stored);
  EXPECT_EQ(weft::parse_json((*stored)->value).value()["order"], 10);
  ASSERT_TRUE(*(*store)->get(weft::model::keys::network_policy("x", "deny-all")));
  ASSERT_TRUE(*(*store)->get(weft::model::keys::global_policy("g")));

  // Without -n: the default namespace (none here) and the global policies.
  auto plain = weft("policy list -o json");
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  auto plain_json = weft::parse_json(plain.out);
  ASSERT_TRUE(plain_json && plain_json->size() == 1u) << plain.out;
  EXPECT_EQ((*plain_json)[0]["kind"], "GlobalPolicy");

  auto table = weft("policy list -n x");
  ASSERT_EQ(table.exit_code, 0) << table.err;
  for (const char* cell : {"KIND", "NAMESPACE", "ORDER", "SELECTOR", "TYPES", "NetworkPolicy", "deny-all",
                           "app == \"a\"", "has(tier)", "Egress"}) {
    EXPECT_NE(table.out.find(cell), std::string::npos) << cell << "\n" << table.out;
  }
  auto all = weft::parse_json(weft("policy list -A -o json").out);
  ASSERT_TRUE(all && all->size() == 3u);

  auto yaml = weft("policy list -A -o yaml");
  ASSERT_EQ(yaml.exit_code, 0) << yaml.err;
  EXPECT_NE(yaml.out.find("- egress:"), std::string::npos) << yaml.out;
  EXPECT_NE(yaml.out.find("kind: GlobalPolicy"), std::string::npos) << yaml.out;

  // The same name in two kinds: ambiguous until --kind says which.
  auto ambiguous = weft("policy get deny-all -n x");
  EXPECT_EQ(ambiguous.exit_code, 1);
  EXPECT_NE(ambiguous.err.find("networkpolicy, policy"), std::string::npos) << ambiguous.err;
  auto got = weft("policy get deny-all -n x --kind policy -o json");
  ASSERT_EQ(got.exit_code, 0) << got.err;
  auto got_json = weft::parse_json(got.out);
  ASSERT_TRUE(got_json) << got.out;
  EXPECT_EQ((*got_json)["selector"], "app == \"a\"");
  EXPECT_EQ((*got_json)["ingress"][0]["action"], "Deny");
  EXPECT_EQ((*got_json)["namespace"], "x");
  auto got_yaml = weft("policy get g");
  ASSERT_EQ(got_yaml.exit_code, 0) << got_yaml.err;
  EXPECT_NE(got_yaml.out.find("selector: has(tier)"), std::string::npos) << got_yaml.out;
  EXPECT_NE(got_yaml.out.find("order: 5\n"), std::string::npos) << got_yaml.out;

  auto missing = weft("policy get deny-all");
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("not found"), std::string::npos) << missing.err;

  auto del = weft("policy delete deny-all -n x --kind networkpolicy");
  ASSERT_EQ(del.exit_code, 0) << del.err;
  EXPECT_EQ(del.out, "networkpolicy x/deny-all deleted\n");
  auto now_unique = weft("policy get deny-all -n x");
  EXPECT_EQ(now_unique.exit_code, 0) << "only the Policy is left: " << now_unique.err;
  ASSERT_EQ(weft("policy delete g").exit_code, 0);
  auto gone = weft("policy delete g");
  EXPECT_EQ(gone.exit_code, 1);
  EXPECT_NE(gone.err.find("not found"), std::string::npos) << gone.err;
  EXPECT_EQ(weft::parse_json(weft("policy list -A -o json").out)->size(), 1u);
}

TEST_P(Cli, PolicyFileWithOneBadDocumentAppliesNothing) {
  // Document 2 is fine, document 3 has a bad selector on line 22 of the file.
  const std::string text = std::string(kPolicyFile) + R"(---
apiVersion: weft.io/v1
kind: Policy
metadata:
  name: broken
  namespace: y
spec:
  selector: app = "a"
)";
  const auto line = std::count(text.begin(), text.end(), '\n');  // the selector is the last line
  const auto dir = std::filesystem::temp_directory_path() / ("weft-cli-policy-" + std::to_string(::getpid()));
  const std::string file = write_file(dir, "bad.yaml", text);
  auto apply = weft("policy apply -f " + file);
  std::filesystem::remove_all(dir);
  EXPECT_EQ(apply.exit_code, 1);
  EXPECT_TRUE(apply.out.empty()) << apply.out;
  EXPECT_NE(apply.err.find("document 4, line " + std::to_string(line) + ": spec.selector"), std::string::npos)
      << apply.err;
  EXPECT_EQ(std::count(apply.err.begin(), apply.err.end(), '\n'), 1) << "one line: " << apply.err;
  EXPECT_EQ(weft::parse_json(weft("policy list -A -o json").out)->size(), 0u) << "nothing of the file is applied";

  auto no_file = weft("policy apply -f /nonexistent/weft-policy.yaml");
  EXPECT_EQ(no_file.exit_code, 1);
  EXPECT_NE(no_file.err.find("/nonexistent/weft-policy.yaml"), std::string::npos) << no_file.err;
  EXPECT_EQ(weft("policy apply").exit_code, 2) << "-f is required";
  EXPECT_EQ(weft("policy get x --kind bogus").exit_code, 2);
}

TEST_P(Cli, PolicyApplyReadsStdinAndListShowsUnreadableValues) {
  // JSON on stdin, as `kubectl get -o json | weft policy apply -f -` would give it.
  auto piped = weft::run(weft::shell_command(
      "printf '%s' '{\"apiVersion\":\"networking.k8s.io/v1\",\"kind\":\"NetworkPolicy\",\"metadata\":{\"name\":\"web\","
      "\"namespace\":\"y\"},\"spec\":{\"podSelector\":{\"matchLabels\":{\"app\":\"web\"}}}}' | " +
      std::string(WEFT_CLI_PATH) + " " + store_ + " policy apply -f -"));
  ASSERT_TRUE(piped);
  ASSERT_EQ(piped->exit_code, 0) << piped->err;
  EXPECT_EQ(piped->out, "networkpolicy y/web configured\n");

  // A value no agent can decode (written by hand, or by a newer weft): listed with a marker.
  put(weft::model::keys::policy("y", "mangled"), R"({"kind":"Policy","name":"mangled"})");
  auto table = weft("policy list -n y");
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_NE(table.out.find("app == \"web\""), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("mangled"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("<unreadable"), std::string::npos) << table.out;
  EXPECT_NE(table.err.find("policies/y/mangled"), std::string::npos) << table.err;
  auto json = weft::parse_json(weft("policy list -n y -o json").out);
  ASSERT_TRUE(json && json->size() == 2u);
  EXPECT_TRUE((*json)[1].contains("error")) << json->dump();
  EXPECT_EQ(weft("policy get mangled -n y").exit_code, 1);
}

TEST_P(Cli, ExplainNamesTheDecidingPolicyAndItsMatrixCoversEveryPair) {
  put(weft::model::keys::endpoint("h1", "c1", "eth0"),
      R"({"node":"h1","containerId":"c1","ifname":"eth0","podNamespace":"x","podName":"a","labels":{"app":"a"},
          "addresses":[{"address":"198.19.1.5","pool":"lab","block":"198.19.1.0/24"}]})");
  put(weft::model::keys::endpoint("h2", "c2", "eth0"),
      R"({"node":"h2","containerId":"c2","ifname":"eth0","podNamespace":"x","podName":"b","labels":{"app":"b"},
          "addresses":[{"address":"198.19.2.5","pool":"lab","block":"198.19.2.0/24"}]})");
  const auto dir = std::filesystem::temp_directory_path() / ("weft-cli-explain-" + std::to_string(::getpid()));
  const std::string file = write_file(dir, "p.yaml", R"(
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: a-from-b-on-80, namespace: x}
spec:
  podSelector: {matchLabels: {app: a}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: b}}}]
    ports: [{port: 80}]
)");
  auto apply = weft("policy apply -f " + file);
  std::filesystem::remove_all(dir);
  ASSERT_EQ(apply.exit_code, 0) << apply.err;

  auto one = weft("-o json explain x/b x/a --port 81");
  ASSERT_EQ(one.exit_code, 0) << one.err;
  auto j = weft::parse_json(one.out);
  ASSERT_TRUE(j) << one.out;
  EXPECT_EQ((*j)["result"], "blocked");
  EXPECT_EQ((*j)["ingress"]["allowed"], false);
  EXPECT_EQ((*j)["egress"]["allowed"], true);

  auto matrix = weft("-o json explain --matrix --tcp 80,81 --udp 80");
  ASSERT_EQ(matrix.exit_code, 0) << matrix.err;
  auto m = weft::parse_json(matrix.out);
  ASSERT_TRUE(m) << matrix.out;
  ASSERT_EQ((*m)["probes"].size(), 2u * 2u * 3u) << "every ordered pair, a pod to itself included, on every port";
  std::map<std::string, std::string> results;
  for (const auto& p : (*m)["probes"]) {
    results[p["from"].get<std::string>() + ">" + p["to"].get<std::string>() + " " + p["protocol"].get<std::string>() + "/" +
            std::to_string(p["port"].get<int>())] = p["result"];
  }
  EXPECT_EQ(results["x/b>x/a tcp/80"], "allowed");
  EXPECT_EQ(results["x/b>x/a tcp/81"], "blocked");
  EXPECT_EQ(results["x/b>x/a udp/80"], "blocked") << "the rule's port is TCP";
  EXPECT_EQ(results["x/a>x/b tcp/81"], "allowed") << "b is selected by no policy";
  EXPECT_EQ(results["x/a>x/a tcp/81"], "allowed") << "a pod to itself never meets policy";
  EXPECT_EQ((*m)["summary"]["blocked"], 2);

  auto text = weft("explain --matrix --tcp 81");
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("tcp/81  x/a  x/b"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("x/b     X    ."), std::string::npos) << text.out;
  EXPECT_EQ(weft("explain --matrix").exit_code, 1) << "ports are needed";
  EXPECT_EQ(weft("explain x/a").exit_code, 1) << "a flow needs both ends";
}

INSTANTIATE_TEST_SUITE_P(Stores, Cli, ::testing::Values("etcd", "file"),
                         [](const ::testing::TestParamInfo<std::string>& p) { return p.param; });

TEST(CliStore, UnreachableEtcdFailsWithExitOne) {
  const int port = weft::testing::free_tcp_port();
  auto r = run("--store etcd://127.0.0.1:" + std::to_string(port) + " pool list");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("weft: "), std::string::npos) << r.err;
}

TEST(CliStore, StoreComesFromTheEnvironment) {
  weft::testing::EtcdServer etcd;
  ASSERT_TRUE(etcd.start());
  ::setenv("WEFT_STORE", etcd.url().c_str(), 1);
  EXPECT_EQ(run("pool add lab --cidr 198.19.0.0/16").exit_code, 0);
  auto list = run("pool list");
  ::unsetenv("WEFT_STORE");
  EXPECT_NE(list.out.find("198.19.0.0/16"), std::string::npos) << list.out << list.err;
}

}  // namespace
