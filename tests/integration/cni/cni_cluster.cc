#include "cni_cluster.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "kernel/netns.h"
#include "kernel/netns_exec.h"

namespace weft::testing {
namespace {

namespace fs = std::filesystem;

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::string tail(const std::string& path, size_t bytes = 1500) {
  std::string s = slurp(path);
  return s.size() > bytes ? s.substr(s.size() - bytes) : s;
}

// Starts argv in `netns` in its own session, output appended to `log`.
Result<Child> spawn_in(const std::string& netns, const std::vector<std::string>& argv, const std::string& log) {
  return kernel::start_in(netns, Command{.argv = argv, .new_session = true}, log);
}

}  // namespace

ProcResult run_in(const std::string& netns, const std::vector<std::string>& argv,
                  const std::map<std::string, std::string>& env, const std::string& input) {
  Command command{.argv = argv, .input = input};
  for (const auto& [name, value] : env) command.env[name] = value;
  auto r = kernel::run_in(netns, std::move(command));
  if (!r) return ProcResult{.exit_code = -1, .out = "", .err = r.error().describe()};
  return std::move(*r);
}

CniCluster::CniCluster(std::string tag, Paths paths) : tag_(std::move(tag)), paths_(std::move(paths)) {
  const std::string base = "weft-t-" + std::to_string(::getpid()) + "-" + tag_;
  host_ = base + "-h1";
  peer_ = base + "-peer";
  dir_ = "/tmp/" + base;
  socket_ = dir_ + "/run/weftd.sock";
}

CniCluster::~CniCluster() { stop(); }

std::string CniCluster::fail(const std::string& what) {
  std::string message = what + "\n--- weftd.log:\n" + tail(dir_ + "/weftd.log") + "\n--- etcd.log:\n" + tail(dir_ + "/etcd.log");
  stop();
  return message;
}

std::string CniCluster::start(const std::vector<PoolSpec>& extra_pools) {
  std::error_code ec;
  fs::remove_all(dir_, ec);
  fs::create_directories(dir_ + "/run", ec);
  for (const auto& ns : {host_, peer_}) {
    if (auto r = kernel::create_netns(ns); !r) return fail(r.error().describe());
    namespaces_.push_back(ns);
  }
  const std::vector<std::vector<std::string>> underlay = {
      {"ip", "-n", host_, "link", "add", "u0", "type", "veth", "peer", "name", "u1", "netns", peer_},
      {"ip", "-n", host_, "addr", "add", "198.18.0.1/24", "dev", "u0"},
      {"ip", "-n", host_, "link", "set", "u0", "up"},
      {"ip", "-n", host_, "link", "set", "lo", "up"},
      {"ip", "-n", peer_, "addr", "add", "198.18.0.2/24", "dev", "u1"},
      {"ip", "-n", peer_, "link", "set", "u1", "up"},
      {"ip", "-n", peer_, "link", "set", "lo", "up"},
      {"ip", "-n", peer_, "route", "add", "198.19.0.0/16", "via", "198.18.0.1"},
      {"ip", "-n", peer_, "-6", "addr", "add", "fd00:198:18::2/64", "dev", "u1", "nodad"},
      {"ip", "-n", host_, "-6", "addr", "add", "fd00:198:18::1/64", "dev", "u0", "nodad"},
      {"ip", "-n", peer_, "-6", "route", "add", "fd00:198:19::/48", "via", "fd00:198:18::1"},
  };
  for (const auto& argv : underlay) {
    auto r = run_in("", argv);
    if (r.exit_code != 0) return fail(argv[3] + " " + argv[4] + ": " + r.err);
  }
  auto etcd = spawn_in(host_,
                   {"etcd", "--name", "weft-t", "--data-dir", dir_ + "/etcd", "--listen-client-urls", "http://127.0.0.1:2379",
                    "--advertise-client-urls", "http://127.0.0.1:2379", "--listen-peer-urls", "http://127.0.0.1:2380",
                    "--initial-advertise-peer-urls", "http://127.0.0.1:2380", "--initial-cluster", "weft-t=http://127.0.0.1:2380",
                    "--heartbeat-interval", "10", "--election-timeout", "100", "--logger=zap", "--log-level=warn"},
                   dir_ + "/etcd.log");
  if (!etcd) return fail("starting etcd: " + etcd.error().describe());
  etcd_ = std::move(*etcd);
  std::vector<PoolSpec> pools = {{"lab", "198.19.0.0/16", 24}, {"lab6", "fd00:198:19::/48", 120}};
  pools.insert(pools.end(), extra_pools.begin(), extra_pools.end());
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  for (const auto& p : pools) {
    for (;;) {  // the first succeeds once etcd is up
      auto r = weft({"pool", "add", p.name, "--cidr", p.cidr, "--block-size", std::to_string(p.block_length)});
      if (r.exit_code == 0) break;
      if (std::chrono::steady_clock::now() > deadline) return fail("weft pool add " + p.name + ": " + r.err);
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  }
  auto weftd = spawn_in(host_,
                    {paths_.weftd, "--store", store_url(), "--node-name", "h1", "--interface", "u0", "--state-dir",
                     dir_ + "/state", "--socket", socket_, "--metrics-address", "none"},
                    dir_ + "/weftd.log");
  if (!weftd) return fail("starting weftd: " + weftd.error().describe());
  weftd_ = std::move(*weftd);
  while (!fs::exists(socket_)) {
    if (auto code = weftd_.exited()) return fail("weftd exited with code " + std::to_string(*code));
    if (std::chrono::steady_clock::now() > deadline) return fail("weftd did not open " + socket_);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return {};
}

void CniCluster::stop() {
  weftd_.stop();
  etcd_.stop();
  for (const auto& [name, ns] : containers_) namespaces_.push_back(ns);
  containers_.clear();
  for (const auto& ns : namespaces_) (void)kernel::delete_netns(ns);
  namespaces_.clear();
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

std::string CniCluster::container(const std::string& name) {
  const std::string ns = host_.substr(0, host_.size() - 3) + "-c-" + name;
  if (kernel::create_netns(ns)) containers_[name] = ns;
  run_in("", {"ip", "-n", ns, "link", "set", "lo", "up"});
  return "/run/netns/" + ns;
}

void CniCluster::remove_container(const std::string& name) {
  auto it = containers_.find(name);
  if (it == containers_.end()) return;
  (void)kernel::delete_netns(it->second);
  containers_.erase(it);
}

std::string CniCluster::config(const std::string& version, const std::string& extra) const {
  return R"({"cniVersion":")" + version + R"(","name":"weft","type":"weft-cni","socket":")" + socket_ + "\"" +
         (extra.empty() ? "" : "," + extra) + "}";
}

ProcResult CniCluster::cni(const std::string& command, const std::string& container_id, const std::string& netns_path,
                           const std::string& config_json, const std::string& ifname,
                           const std::map<std::string, std::string>& extra_env) const {
  return plugin(paths_.weft_cni, command, container_id, netns_path, config_json, ifname, extra_env);
}

ProcResult CniCluster::plugin(const std::string& path, const std::string& command, const std::string& container_id,
                              const std::string& netns_path, const std::string& config_json, const std::string& ifname,
                              const std::map<std::string, std::string>& extra_env) const {
  std::map<std::string, std::string> env = {{"CNI_COMMAND", command}, {"CNI_CONTAINERID", container_id},
                                            {"CNI_NETNS", netns_path}, {"CNI_IFNAME", ifname},
                                            {"CNI_PATH", "/usr/lib/cni"}};
  for (const auto& [k, v] : extra_env) env[k] = v;
  for (auto it = env.begin(); it != env.end();) it = it->second == "<unset>" ? env.erase(it) : std::next(it);
  return run_in(host_, {path}, env, config_json);
}

ProcResult CniCluster::weft(const std::vector<std::string>& args) const {
  std::vector<std::string> argv = {paths_.weft_cli, "--store", store_url()};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_in(host_, argv);
}

ProcResult CniCluster::etcdctl(const std::vector<std::string>& args) const {
  std::vector<std::string> argv = {"etcdctl", "--endpoints=127.0.0.1:2379"};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_in(host_, argv, {{"ETCDCTL_API", "3"}});
}

std::optional<std::vector<std::string>> CniCluster::keys(const std::string& prefix) const {
  const ProcResult r = etcdctl({"get", "--prefix", prefix, "--keys-only"});
  if (r.exit_code != 0) {
    std::cerr << "etcdctl get --prefix " << prefix << " failed (" << r.exit_code << "): " << r.err << "\n";
    return std::nullopt;
  }
  std::vector<std::string> out;
  std::stringstream lines(r.out);
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty()) out.push_back(line);
  }
  return out;
}

}  // namespace weft::testing
