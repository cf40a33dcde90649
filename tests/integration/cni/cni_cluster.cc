#include "cni_cluster.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

extern char** environ;

namespace weft::testing {
namespace {

namespace fs = std::filesystem;

std::string resolve(const std::string& program) {
  if (program.find('/') != std::string::npos) return program;
  std::string path = getenv("PATH") ? getenv("PATH") : "";
  path += ":/usr/local/sbin:/usr/sbin:/sbin:/usr/bin:/bin";
  std::stringstream dirs(path);
  for (std::string dir; std::getline(dirs, dir, ':');) {
    const std::string candidate = dir + "/" + program;
    if (!dir.empty() && ::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return program;
}

std::vector<std::string> environment_with(const std::map<std::string, std::string>& extra) {
  std::vector<std::string> out;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string entry(*e);
    if (!extra.contains(entry.substr(0, entry.find('=')))) out.push_back(entry);
  }
  for (const auto& [k, v] : extra) out.push_back(k + "=" + v);
  return out;
}

std::vector<char*> pointers(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::string tail(const std::string& path, size_t bytes = 1500) {
  std::string s = slurp(path);
  return s.size() > bytes ? s.substr(s.size() - bytes) : s;
}

// After fork, in the child: only async-signal-safe calls until execve.
[[noreturn]] void exec_child(const std::string& netns, const char* path, char** argv, char** envp, int in, int out,
                             int err) {
  if (!netns.empty()) {
    const std::string ns = "/run/netns/" + netns;
    const int fd = ::open(ns.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0 || ::setns(fd, CLONE_NEWNET) != 0) ::_exit(126);
  }
  if (in >= 0) ::dup2(in, 0);
  if (out >= 0) ::dup2(out, 1);
  if (err >= 0) ::dup2(err, 2);
  ::execve(path, argv, envp);
  ::_exit(127);
}

int exit_code_of(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

}  // namespace

ProcResult run_in(const std::string& netns, const std::vector<std::string>& argv,
                  const std::map<std::string, std::string>& env, const std::string& input) {
  // Files rather than pipes: no deadlock whatever the child prints, and no reader thread.
  char tmpl[] = "/tmp/weft-cni-run-XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) return ProcResult{-1, "", "mkdtemp failed"};
  const std::string dir = tmpl;
  { std::ofstream(dir + "/in") << input; }
  const int in = ::open((dir + "/in").c_str(), O_RDONLY | O_CLOEXEC);
  const int out = ::open((dir + "/out").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  const int err = ::open((dir + "/err").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  std::vector<std::string> args = argv;
  const std::string path = resolve(args.at(0));
  std::vector<std::string> envs = environment_with(env);
  auto argp = pointers(args);
  auto envp = pointers(envs);
  const pid_t pid = ::fork();
  if (pid == 0) exec_child(netns, path.c_str(), argp.data(), envp.data(), in, out, err);
  for (int fd : {in, out, err}) ::close(fd);
  ProcResult r;
  int status = 0;
  if (pid > 0 && ::waitpid(pid, &status, 0) == pid) r.exit_code = exit_code_of(status);
  r.out = slurp(dir + "/out");
  r.err = slurp(dir + "/err");
  std::error_code ec;
  fs::remove_all(dir, ec);
  return r;
}

pid_t spawn_in(const std::string& netns, const std::vector<std::string>& argv, const std::string& log) {
  std::vector<std::string> args = argv;
  const std::string path = resolve(args.at(0));
  std::vector<std::string> envs = environment_with({});
  auto argp = pointers(args);
  auto envp = pointers(envs);
  const int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  const int in = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::setsid();
    exec_child(netns, path.c_str(), argp.data(), envp.data(), in, out, out);
  }
  ::close(out);
  ::close(in);
  return pid;
}

void stop_process(pid_t pid, std::chrono::milliseconds grace) {
  if (pid <= 0) return;
  ::kill(pid, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + grace;
  int status = 0;
  while (::waitpid(pid, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
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
    auto r = run_in("", {"ip", "netns", "add", ns});
    if (r.exit_code != 0) return fail("ip netns add " + ns + ": " + r.err);
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
  etcd_ = spawn_in(host_,
                   {"etcd", "--name", "weft-t", "--data-dir", dir_ + "/etcd", "--listen-client-urls", "http://127.0.0.1:2379",
                    "--advertise-client-urls", "http://127.0.0.1:2379", "--listen-peer-urls", "http://127.0.0.1:2380",
                    "--initial-advertise-peer-urls", "http://127.0.0.1:2380", "--initial-cluster", "weft-t=http://127.0.0.1:2380",
                    "--heartbeat-interval", "10", "--election-timeout", "100", "--logger=zap", "--log-level=warn"},
                   dir_ + "/etcd.log");
  if (etcd_ <= 0) return fail("starting etcd");
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
  weftd_ = spawn_in(host_,
                    {paths_.weftd, "--store", store_url(), "--node-name", "h1", "--interface", "u0", "--state-dir",
                     dir_ + "/state", "--socket", socket_, "--metrics-address", "none"},
                    dir_ + "/weftd.log");
  if (weftd_ <= 0) return fail("starting weftd");
  while (!fs::exists(socket_)) {
    int status = 0;
    if (::waitpid(weftd_, &status, WNOHANG) == weftd_) {
      weftd_ = -1;
      return fail("weftd exited");
    }
    if (std::chrono::steady_clock::now() > deadline) return fail("weftd did not open " + socket_);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return {};
}

void CniCluster::stop() {
  stop_process(weftd_);
  weftd_ = -1;
  stop_process(etcd_);
  etcd_ = -1;
  for (const auto& [name, ns] : containers_) namespaces_.push_back(ns);
  containers_.clear();
  for (const auto& ns : namespaces_) run_in("", {"ip", "netns", "del", ns});
  namespaces_.clear();
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

std::string CniCluster::container(const std::string& name) {
  const std::string ns = host_.substr(0, host_.size() - 3) + "-c-" + name;
  if (run_in("", {"ip", "netns", "add", ns}).exit_code == 0) containers_[name] = ns;
  run_in("", {"ip", "-n", ns, "link", "set", "lo", "up"});
  return "/run/netns/" + ns;
}

void CniCluster::remove_container(const std::string& name) {
  auto it = containers_.find(name);
  if (it == containers_.end()) return;
  run_in("", {"ip", "netns", "del", it->second});
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
