// bgp_rib_bench: how fast weft's speaker takes a large feed into its Loc-RIB and how much memory
// a route costs, against bird2 fed the same bytes by the same peer in the same run.
//
// Setup (root; network namespaces weft-b-<pid>-*, removed at the end): namespace F holds weft's
// speaker (its io_context thread) and the feeder; namespace B holds bird, on a veth pair
// 198.18.0.2 (F) - 198.18.0.1 (B). The feeder is a raw BGP speaker in this process: it encodes
// the whole feed once (UPDATEs of 8 consecutive /24s from 16.0.0.0/4, one attribute set per
// UPDATE: AS_PATH 65001 64512+k%400 100000+k, NEXT_HOP 198.18.0.2; the prefixes are never
// installed in any kernel table), then writes it to weft over loopback
// and afterwards to bird over the veth, with hold time 0 so that nothing but the feed flows.
// Each feed size runs in a process of its own (the bench re-executed with --one N), so that one
// size's freed memory does not hide the next size's growth.
//
// Measured: load time from the first octet sent until the whole feed is in the Loc-RIB (weft:
// its Loc-RIB size, polled on its io thread; bird: `birdc show route count`, polled); memory per
// route: weft's RSS delta / routes (and malloc's in-use delta), bird's `birdc show memory`
// Total delta / routes (and its RSS delta). Prints one JSON document.
//
// Usage: bgp_rib_bench [prefix counts...]   (default: 100000 1000000)
#include <malloc.h>
#include <sched.h>
#include <unistd.h>

#include <cstdio>
#include <fcntl.h>
#include <fstream>
#include <regex>
#include <sstream>

#include "base/log.h"
#include "bgp/speaker.h"
#include "harness.h"

using namespace weft;
using namespace weft::bgp;
using namespace weft::bgp::testing;
using Clock = std::chrono::steady_clock;

namespace {

constexpr size_t kPerUpdate = 8;

Bytes build_feed(size_t n) {
  Bytes feed;
  for (size_t i = 0; i < n; i += kPerUpdate) {
    const uint32_t k = static_cast<uint32_t>(i / kPerUpdate);
    Update u;
    u.attributes.origin = Origin::igp;
    u.attributes.as_path = AsPath{AsSegment{SegmentType::as_sequence, {65001, 64512 + k % 400, 100000 + k}}};
    u.attributes.next_hop = *IpAddress::parse("198.18.0.2");
    for (size_t j = i; j < std::min(n, i + kPerUpdate); ++j) {
      u.nlri.emplace_back(IpAddress::v4(0x10000000u + static_cast<uint32_t>(j << 8)), 24);
    }
    auto b = encode(Message(u));
    feed.insert(feed.end(), b->begin(), b->end());
  }
  auto eor = encode(Message(end_of_rib_marker(kIpv4Unicast)));
  feed.insert(feed.end(), eor->begin(), eor->end());
  return feed;
}

bool handshake(RawPeer& p, const std::string& to, uint16_t port) {
  if (!p.connect(to, port, to == "127.0.0.1" ? "127.0.0.2" : "198.18.0.2")) return false;
  return p.send(Message(raw_open(65001, "198.18.0.2", 0))) && p.expect<Open>(std::chrono::seconds(10)) &&
         p.send(Message(Keepalive{})) && p.expect<Keepalive>(std::chrono::seconds(10));
}

long rss_bytes(const std::string& pid = "self") {
  std::ifstream f("/proc/" + pid + "/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6)) * 1024;
  }
  return 0;
}

double bird_total_bytes(const std::string& ctl) {
  std::string out;
  sh("birdc -s " + ctl + " show memory", &out);
  std::smatch m;
  if (!std::regex_search(out, m, std::regex(R"(Total:\s+([0-9.]+)\s+([kMG]?B))"))) return 0;
  const double v = std::stod(m[1]);
  const std::string u = m[2];
  return v * (u == "kB" ? 1e3 : u == "MB" ? 1e6 : u == "GB" ? 1e9 : 1);
}

size_t bird_route_count(const std::string& ctl) {
  std::string out;
  sh("birdc -s " + ctl + " show route count", &out);
  std::smatch m;
  return std::regex_search(out, m, std::regex(R"((\d+) of (\d+) routes)")) ? std::stoul(m[1]) : 0;
}

// One feed size; returns a JSON object (or {"error": ...}).
std::string run(size_t n) {
  Netns f("f", "weft-b-"), b("b", "weft-b-");
  if (!f.ok() || !b.ok() || !veth(f, "vfeed", "198.18.0.2/24", b, "vbird", "198.18.0.1/24")) {
    return R"({"error": "namespaces"})";
  }
  TempDir dir;
  dir.write("bird.conf",
            "router id 198.18.0.1;\nlog \"" + dir.file("bird.log") + "\" { warning, error };\n"
            "protocol device {}\n"
            "protocol bgp feed { local 198.18.0.1 as 65000; neighbor 198.18.0.2 as 65001; passive on;\n"
            "  hold time 0; ipv4 { import all; export none; }; }\n");
  Process bird({"bird", "-f", "-c", dir.file("bird.conf"), "-s", dir.file("bird.ctl"), "-P", dir.file("bird.pid")},
               b.path(), dir.file("bird.out"));
  const std::string ctl = dir.file("bird.ctl");
  if (!eventually([&] { return sh("birdc -s " + ctl + " show status") == 0; })) return R"({"error": "bird did not start"})";

  const int fd = open(f.path().c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0 || setns(fd, CLONE_NEWNET) != 0) return R"({"error": "setns"})";
  close(fd);

  const Bytes feed = build_feed(n);
  const std::chrono::seconds timeout(std::getenv("BENCH_TIMEOUT") ? std::atoi(std::getenv("BENCH_TIMEOUT")) : 300);
  IoThread t;  // created after setns: runs in namespace F
  std::unique_ptr<Speaker> speaker = t.call([&] {
    auto s = Speaker::create(t.io(), SpeakerConfig{.local_as = 65000, .router_id = 0xc6120001,
                                                   .listen_address = *IpAddress::parse("127.0.0.1"),
                                                   .listen_port = 1790, .allowed = {*Prefix::parse("16.0.0.0/4")}});
    (void)(*s)->add_peer(PeerConfig{.address = *IpAddress::parse("127.0.0.2"), .peer_as = 65001, .passive = true});
    (void)(*s)->start();
    return std::move(*s);
  });
  malloc_trim(0);
  const long rss0 = rss_bytes();
  const size_t heap0 = mallinfo2().uordblks;

  RawPeer weft_feed;
  if (!handshake(weft_feed, "127.0.0.1", 1790)) return R"({"error": "weft handshake"})";
  auto start = Clock::now();
  weft_feed.send(feed);
  eventually([&] { return t.call([&] { return speaker->loc_rib_size(); }) >= n; }, timeout,
             std::chrono::milliseconds(5));
  const double weft_s = std::chrono::duration<double>(Clock::now() - start).count();
  const size_t weft_routes = t.call([&] { return speaker->loc_rib_size(); });
  if (weft_routes < n) {
    const auto st = t.call([&] { return speaker->peers(); });
    std::fprintf(stderr, "weft: %zu routes, peer state %s, received %zu, malformed %zu, %s\n", weft_routes,
                 std::string(to_string(st[0].state)).c_str(), st[0].received, st[0].malformed, st[0].last_error.c_str());
  }
  const size_t attr_sets = t.call([&] { return speaker->rib().pool().size(); });
  const long rss1 = rss_bytes();
  const size_t heap1 = mallinfo2().uordblks;

  const double bird_mem0 = bird_total_bytes(ctl);
  const long bird_rss0 = rss_bytes(std::to_string(bird.pid()));
  RawPeer bird_feed;
  if (!handshake(bird_feed, "198.18.0.1", 179)) return R"({"error": "bird handshake"})";
  start = Clock::now();
  bird_feed.send(feed);
  eventually([&] { return bird_route_count(ctl) >= n; }, std::chrono::seconds(120), std::chrono::milliseconds(20));
  const double bird_s = std::chrono::duration<double>(Clock::now() - start).count();
  const size_t bird_routes = bird_route_count(ctl);
  const double bird_mem = (bird_total_bytes(ctl) - bird_mem0) / static_cast<double>(n);
  const double bird_rss = static_cast<double>(rss_bytes(std::to_string(bird.pid())) - bird_rss0) / static_cast<double>(n);
  const double weft_rss = static_cast<double>(rss1 - rss0) / static_cast<double>(n);
  const double weft_heap = static_cast<double>(heap1 - heap0) / static_cast<double>(n);

  t.call([&] { speaker.reset(); });
  std::ostringstream o;
  o.precision(4);
  o << "{\"prefixes\": " << n << ", \"updates\": " << (n + kPerUpdate - 1) / kPerUpdate
    << ", \"feed_bytes\": " << feed.size() << ",\n"
    << "     \"weft\": {\"routes\": " << weft_routes << ", \"load_seconds\": " << weft_s
    << ", \"rss_bytes_per_route\": " << weft_rss << ", \"heap_bytes_per_route\": " << weft_heap
    << ", \"attribute_sets\": " << attr_sets << "},\n"
    << "     \"bird\": {\"routes\": " << bird_routes << ", \"load_seconds\": " << bird_s
    << ", \"memory_bytes_per_route\": " << bird_mem << ", \"rss_bytes_per_route\": " << bird_rss << "},\n"
    << "     \"ratios\": {\"load_time_weft_over_bird\": " << weft_s / bird_s
    << ", \"memory_weft_rss_over_bird_memory\": " << weft_rss / bird_mem
    << ", \"rss_weft_over_bird\": " << weft_rss / bird_rss << "}}";
  return o.str();
}

}  // namespace

int main(int argc, char** argv) {
  // `--one N`: the run for one size, in a process of its own (see below).
  if (argc == 3 && std::string(argv[1]) == "--one") {
    init_logging("warn");
    std::printf("%s", run(std::stoul(argv[2])).c_str());
    return 0;
  }
  std::vector<size_t> sizes;
  for (int i = 1; i < argc; ++i) sizes.push_back(std::stoul(argv[i]));
  if (sizes.empty()) sizes = {100000, 1000000};
  if (geteuid() != 0 || sh("command -v bird") != 0) {
    std::printf("{\"bench\": \"bgp_rib\", \"skipped\": \"needs root and bird2\"}\n");
    return 0;
  }
  init_logging("warn");  // WEFT_LOG_LEVEL overrides
  sweep_stale_namespaces("weft-b-");
  std::string results;
  for (size_t n : sizes) {
    // Each size runs in a fresh process, so its memory figures start from nothing.
    auto one = weft::run(weft::Command{.argv = {"/proc/self/exe", "--one", std::to_string(n)}});
    const std::string r = one && one->exit_code == 0 ? one->out : std::string();
    results += (results.empty() ? "    " : ",\n    ") + (r.empty() ? std::string(R"({"error": "child died"})") : r);
  }
  std::printf(
      "{\"bench\": \"bgp_rib\",\n \"feeder\": \"raw in-process BGP speaker, pre-encoded UPDATEs, %zu /24s per "
      "UPDATE, one attribute set per UPDATE\",\n \"runs\": [\n%s\n ]}\n",
      kPerUpdate, results.c_str());
  return 0;
}
