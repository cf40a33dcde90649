#include "cli/lab/lab_store.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <thread>
#include <tuple>

#include "base/json.h"
#include "cli/lab/processes.h"
#include "kernel/netns.h"
#include "ipam/bgp_registry.h"
#include "ipam/block_leases.h"
#include "ipam/node_registry.h"
#include "ipam/pool_registry.h"
#include "store/store.h"

namespace weft::cli::lab {
namespace {

using namespace std::chrono_literals;

// Runs `body` against the lab's store from inside the etcd namespace.
Result<std::string> with_store(const std::function<Result<std::string>(store::Store&)>& body) {
  return run_in_netns(std::string(kEtcdNetns), [&]() -> Result<std::string> {
    auto opened = store::open_store({.url = std::string(kStoreUrl), .request_timeout = 3000ms});
    if (!opened) return std::unexpected(opened.error());
    return body(**opened);
  });
}

// One GET /health over plain TCP, in the calling process's namespace. true if etcd says healthy.
bool health_once(std::chrono::milliseconds timeout, const std::string& address) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(2379);
  ::inet_pton(AF_INET, address.c_str(), &addr.sin_addr);
  bool healthy = false;
  const int ms = static_cast<int>(timeout.count());
  int rc = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  pollfd p{fd, POLLOUT, 0};
  if (rc == 0 || (errno == EINPROGRESS && ::poll(&p, 1, ms) == 1)) {
    int err = 0;
    socklen_t len = sizeof err;
    ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err == 0) {
      const std::string request = "GET /health HTTP/1.0\r\nHost: " + address + "\r\n\r\n";
      if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(request.size())) {
        std::string response;
        char buf[1024];
        auto deadline = std::chrono::steady_clock::now() + timeout;
        while (std::chrono::steady_clock::now() < deadline) {
          pollfd r{fd, POLLIN, 0};
          if (::poll(&r, 1, ms) != 1) break;
          ssize_t n = ::recv(fd, buf, sizeof buf, 0);
          if (n <= 0) break;
          response.append(buf, static_cast<size_t>(n));
        }
        healthy = response.find("\"health\":\"true\"") != std::string::npos;
      }
    }
  }
  ::close(fd);
  return healthy;
}

}  // namespace

Result<ProcessRecord> start_etcd(const std::string& state_dir, const std::vector<EtcdMember>& members,
                                 const EtcdMember& member) {
  const std::string data = state_dir + "/etcd" + (member.index == 1 ? "" : std::to_string(member.index));
  std::error_code ec;
  std::filesystem::create_directories(data, ec);
  if (ec) return fail(Errc::io, "cannot create ", data, ": ", ec.message());
  const std::string client = "http://" + member.address + ":2379";
  const std::string peer = "http://" + member.address + ":2380";
  std::string cluster;
  for (const auto& m : members) cluster += (cluster.empty() ? "" : ",") + m.name + "=http://" + m.address + ":2380";
  // Heartbeat and election at 10/100 ms: a lab member starts in ~0.25 s, and a cluster elects a
  // new leader within a few hundred ms of a member's death.
  std::vector<std::string> argv{"etcd",
                                "--name", member.name,
                                "--data-dir", data + "/data",
                                "--listen-client-urls", client,
                                "--advertise-client-urls", client,
                                "--listen-peer-urls", peer,
                                "--initial-advertise-peer-urls", peer,
                                "--initial-cluster", cluster,
                                "--heartbeat-interval", "10",
                                "--election-timeout", "100",
                                "--logger", "zap",
                                "--log-level", "error"};
  return spawn_daemon("etcd", member.netns, argv, data + "/etcd.log");
}

Result<void> wait_etcd_healthy(const std::string& netns, std::chrono::milliseconds timeout, pid_t etcd_pid,
                               const std::string& log, const std::string& address) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    // The socket is opened by this thread inside the namespace and belongs there.
    auto healthy = kernel::run_in_netns(netns, [&]() -> Result<bool> { return health_once(500ms, address); });
    if (!healthy) return std::unexpected(healthy.error());
    if (*healthy) return {};
    int code = 0;
    if (etcd_pid > 0 && child_exited(etcd_pid, &code)) {
      return fail(Errc::internal, "etcd exited with code ", std::to_string(code), "; the end of ", log, ":\n",
                  tail_file(log));
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      return fail(Errc::unavailable, "etcd at ", address, ":2379 did not answer /health from ", netns,
                  " within ", std::to_string(timeout.count()), " ms");
    }
    std::this_thread::sleep_for(50ms);
  }
}

Result<void> create_pools(Mode mode) {
  auto r = with_store([mode](store::Store& s) -> Result<std::string> {
    auto encapsulation = model::parse_encapsulation(pool_encapsulation(mode));
    auto encapsulation_v6 = model::parse_encapsulation(pool_encapsulation_v6(mode));
    auto encapsulate = model::parse_encapsulate(pool_encapsulate(mode));
    if (!encapsulation) return std::unexpected(encapsulation.error());
    if (!encapsulation_v6) return std::unexpected(encapsulation_v6.error());
    if (!encapsulate) return std::unexpected(encapsulate.error());
    struct Spec {
      std::string_view name, cidr;
      int block_length;
    };
    for (const Spec& spec : {Spec{kPoolV4, kPoolV4Cidr, kPoolV4BlockLength},
                             Spec{kPoolV6, kPoolV6Cidr, kPoolV6BlockLength}}) {
      auto cidr = Prefix::parse(spec.cidr);
      if (!cidr) return std::unexpected(cidr.error());
      model::Pool pool;
      pool.name = std::string(spec.name);
      pool.cidr = *cidr;
      pool.block_length = spec.block_length;
      const bool v6 = spec.name == kPoolV6;
      pool.encapsulation = v6 ? *encapsulation_v6 : *encapsulation;
      pool.encapsulate = pool.encapsulation == model::Encapsulation::none ? model::Encapsulate::always : *encapsulate;
      pool.routes = pool_routes(mode) == "bgp" ? model::RouteSource::bgp : model::RouteSource::store;
      if (auto added = ipam::add_pool(s, pool); !added) {
        return wrap(added.error(), "adding pool " + pool.name);
      }
    }
    return std::string();
  });
  if (!r) return std::unexpected(r.error());
  return {};
}

Result<void> configure_fabric_bgp(const Topology& topology, bool node_mesh) {
  auto r = with_store([&](store::Store& s) -> Result<std::string> {
    if (!node_mesh) {
      auto global = ipam::get_bgp_global(s);
      if (!global) return std::unexpected(global.error());
      global->node_mesh = false;
      if (auto set = ipam::set_bgp_global(s, *global); !set) return std::unexpected(set.error());
    }
    for (const auto& h : topology.hosts) {
      const auto& seg = topology.segments.at(static_cast<size_t>(h.segment - 1));
      auto address = IpAddress::parse(seg.gateway);
      if (!address) return std::unexpected(address.error());
      model::BgpPeer peer;
      peer.name = "router-" + h.name;
      peer.address = *address;
      peer.as_number = model::kDefaultAsNumber;
      peer.node = h.name;
      if (auto added = ipam::add_bgp_peer(s, peer); !added) return wrap(added.error(), "adding BGP peer " + peer.name);
    }
    return std::string();
  });
  if (!r) return std::unexpected(r.error());
  return {};
}

const Prefix* StoreSnapshot::block(const std::string& node, std::string_view pool) const {
  auto n = blocks.find(node);
  if (n == blocks.end()) return nullptr;
  auto p = n->second.find(std::string(pool));
  if (p == n->second.end() || p->second.empty()) return nullptr;
  return &p->second.front();
}

Result<std::map<std::string, std::pair<int, int>>> read_bgp_sessions() {
  auto text = with_store([](store::Store& s) -> Result<std::string> {
    auto all = ipam::list_bgp_status(s);
    if (!all) return std::unexpected(all.error());
    Json out = Json::object();
    for (const auto& n : all->items) {
      const auto up = std::count_if(n.sessions.begin(), n.sessions.end(),
                                    [](const model::BgpSessionStatus& x) { return x.state == "Established"; });
      out[n.node] = Json::array({up, n.sessions.size()});
    }
    return out.dump();
  });
  if (!text) return std::unexpected(text.error());
  auto json = parse_json(*text);
  if (!json) return fail(Errc::internal, "reading the store: ", json.error().message);
  std::map<std::string, std::pair<int, int>> out;
  for (const auto& [node, counts] : json->items()) out[node] = {counts[0].get<int>(), counts[1].get<int>()};
  return out;
}

Result<StoreSnapshot> read_snapshot() {
  auto text = with_store([](store::Store& s) -> Result<std::string> {
    auto nodes = ipam::list_nodes(s);
    if (!nodes) return std::unexpected(nodes.error());
    auto blocks = ipam::list_blocks(s);
    if (!blocks) return std::unexpected(blocks.error());
    Json out{{"nodes", Json::array()}, {"blocks", Json::array()}};
    for (const auto& n : nodes->items) out["nodes"].push_back(n.name);
    for (const auto& b : blocks->items) {
      out["blocks"].push_back(Json{{"node", b.affinity.node},
                                   {"pool", b.affinity.pool},
                                   {"block", b.affinity.block.to_string()}});
    }
    return out.dump();
  });
  if (!text) return std::unexpected(text.error());
  auto json = parse_json(*text);
  if (!json) return fail(Errc::internal, "reading the store: ", json.error().message);
  StoreSnapshot snap;
  for (const auto& n : (*json)["nodes"]) snap.nodes.insert(n.get<std::string>());
  for (const auto& b : (*json)["blocks"]) {
    auto prefix = Prefix::parse(b["block"].get<std::string>());
    if (!prefix) continue;
    snap.blocks[b["node"].get<std::string>()][b["pool"].get<std::string>()].push_back(*prefix);
  }
  for (auto& [node, pools] : snap.blocks) {
    for (auto& [pool, list] : pools) std::sort(list.begin(), list.end());
  }
  return snap;
}

Result<void> reserve_blocks(const std::vector<Host>& hosts) {
  auto r = with_store([&hosts](store::Store& s) -> Result<std::string> {
    for (const auto& h : hosts) {
      for (auto [pool, cidr_text, length] : {std::tuple{kPoolV4, kPoolV4Cidr, kPoolV4BlockLength},
                                             std::tuple{kPoolV6, kPoolV6Cidr, kPoolV6BlockLength}}) {
        auto cidr = Prefix::parse(cidr_text);
        if (!cidr) return std::unexpected(cidr.error());
        auto block = cidr->subnet(length, static_cast<uint64_t>(h.index - 1));
        if (!block) return std::unexpected(block.error());
        if (auto done = ipam::reserve_block(s, pool, *block, h.name); !done) {
          return wrap(done.error(), "reserving a block of " + std::string(pool) + " for " + h.name);
        }
      }
    }
    return std::string();
  });
  if (!r) return std::unexpected(r.error());
  return {};
}

}  // namespace weft::cli::lab
