// A top-of-rack router attached the way users attach one: its own namespace, linked to lab host h1
// over a point-to-point /30 (not the lab's segment), eBGP with a TCP-MD5 password, added with
// `weft bgp peer add --node h1`; the link is dual-stack, the session IPv4. BIRD 2 and FRR each:
// the router installs a route to every pod block of every host, IPv4 and IPv6, via h1's address
// on the link (h1 exports what it learned over the node mesh, next hop self; IPv6 at h1's
// link-local address there), h1 installs the prefixes it accepts from the router and not others,
// and withdrawals go both ways (the router stops offering; a host leaves the cluster; the peer is
// set to export the node's own blocks only).
#include <pwd.h>
#include <signal.h>
#include <unistd.h>

#include <iterator>

#include "bgp_fixture.h"
#include "lab_fixture.h"
#include "require.h"

namespace {

using namespace weft_e2e;
using namespace std::chrono_literals;

constexpr const char* kPassword = "s3cret-md5";

// The test's own router namespace weft-e2e-<name>, linked to weft-lab-h1: "h1" on the router's
// side with 198.18.<net>.1/30 and fd00:198:18:<net>::1/64, `h1_device` on h1 with .2 and ::2.
// Deleted with the object. No DAD: the link-local addresses are usable at once.
class P2pRouter {
 public:
  P2pRouter(std::string name, std::string h1_device, int net)
      : ns_("weft-e2e-" + std::move(name)),
        h1_device_(std::move(h1_device)),
        net_("198.18." + std::to_string(net) + "."),
        net6_("fd00:198:18:" + std::to_string(net) + "::") {
    run({"/usr/sbin/ip", "netns", "del", ns_});  // a leftover of a crashed run
    ok_ = step({"/usr/sbin/ip", "netns", "add", ns_}) &&
          step({"/usr/sbin/ip", "netns", "exec", ns_, "sysctl", "-qw", "net.ipv6.conf.default.accept_dad=0"}) &&
          step({"/usr/sbin/ip", "-n", "weft-lab-h1", "link", "add", h1_device_, "type", "veth", "peer", "name", "h1",
                "netns", ns_}) &&
          step({"/usr/sbin/ip", "-n", "weft-lab-h1", "addr", "add", h1_address() + "/30", "dev", h1_device_}) &&
          step({"/usr/sbin/ip", "-n", "weft-lab-h1", "addr", "add", h1_address6() + "/64", "dev", h1_device_}) &&
          step({"/usr/sbin/ip", "-n", "weft-lab-h1", "link", "set", h1_device_, "up"}) &&
          step({"/usr/sbin/ip", "-n", ns_, "addr", "add", address() + "/30", "dev", "h1"}) &&
          step({"/usr/sbin/ip", "-n", ns_, "addr", "add", address6() + "/64", "dev", "h1"}) &&
          step({"/usr/sbin/ip", "-n", ns_, "link", "set", "h1", "up"}) &&
          step({"/usr/sbin/ip", "-n", ns_, "link", "set", "lo", "up"});
  }
  ~P2pRouter() {
    for (auto& d : daemons_) d.stop();
    run({"/usr/sbin/ip", "netns", "del", ns_});
  }
  P2pRouter(const P2pRouter&) = delete;
  P2pRouter& operator=(const P2pRouter&) = delete;

  bool ok() const { return ok_; }
  std::string address() const { return net_ + "1"; }
  std::string h1_address() const { return net_ + "2"; }
  std::string address6() const { return net6_ + "1"; }
  std::string h1_address6() const { return net6_ + "2"; }
  const std::string& h1_device() const { return h1_device_; }

  Outcome exec(std::vector<std::string> argv) {
    argv.insert(argv.begin(), {"/usr/sbin/ip", "netns", "exec", ns_});
    return run(argv);
  }
  // A daemon in the foreground inside the namespace, stopped with the object.
  bool start(std::vector<std::string> argv, const fs::path& log) {
    argv.insert(argv.begin(), {"/usr/sbin/ip", "netns", "exec", ns_});
    auto child = weft::Child::start(weft::Command{.argv = argv}, log.string());
    EXPECT_TRUE(child.has_value()) << (child ? "" : child.error().describe());
    if (!child) return false;
    daemons_.push_back(std::move(*child));
    return true;
  }
  // BIRD in the namespace: files in `dir`, the config a router id, the device protocol, IPv4
  // kernel export of BGP routes, then `protocols`. Returns its control socket ("" if it did not
  // start).
  std::string start_bird(const fs::path& dir, const std::string& protocols) {
    fs::create_directories(dir);
    std::ofstream(dir / "bird.conf") << "router id " << address() << ";\n"
                                     << "protocol device { }\n"
                                     << "protocol kernel { ipv4 { import none; export where source = RTS_BGP; }; learn off; }\n"
                                     << protocols;
    const std::string ctl = (dir / "bird.ctl").string();
    return start({"/usr/sbin/bird", "-f", "-c", (dir / "bird.conf").string(), "-s", ctl}, dir / "bird.log") ? ctl : "";
  }
  // The router's kernel route to `prefix` ("" when none). A failing probe fails the test.
  std::string route(const std::string& prefix) {
    auto r = exec({"/usr/sbin/ip", prefix.find(':') == std::string::npos ? "-4" : "-6", "route", "show", prefix});
    EXPECT_EQ(r.exit_code, 0) << "probe failed: ip route show in " << ns_ << ": " << r.err;
    return r.out;
  }

 private:
  bool step(const std::vector<std::string>& argv) {
    auto r = run(argv);
    EXPECT_EQ(r.exit_code, 0) << argv[1] << " " << argv[2] << " " << argv[3] << ": " << r.err;
    return r.exit_code == 0;
  }

  std::string ns_, h1_device_, net_, net6_;
  bool ok_ = false;
  std::vector<weft::Child> daemons_;
};

// Every block the lab's hosts hold, by host (IPv4 first).
std::map<std::string, std::vector<std::string>> blocks_of(Lab& lab) {
  std::map<std::string, std::vector<std::string>> out;
  for (const char* host : {"h1", "h2", "h3"}) {
    auto h = host_status(lab, host);
    if (!h) continue;
    for (const auto& b : (*h)["blocks"]) {
      out[host].push_back(b.get<std::string>());
    }
  }
  return out;
}

// h1's IPv6 link-local address on `device` ("" when none).
std::string link_local_of(Lab& lab, const std::string& device) {
  const std::string out = probe(lab, "h1", {"/usr/sbin/ip", "-6", "-o", "addr", "show", "dev", device, "scope", "link"});
  const auto at = out.find("inet6 ");
  if (at == std::string::npos) return "";
  const auto start = at + 6;
  return out.substr(start, out.find('/', start) - start);
}

// How many ICMP time-exceeded messages lab host `host` has sent (/proc/net/snmp, Icmp
// OutTimeExcds), or -1 when it cannot be read.
int64_t time_exceeded_sent(Lab& lab, const std::string& host) {
  std::istringstream snmp(probe(lab, host, {"/usr/bin/cat", "/proc/net/snmp"}));
  std::vector<std::string> names;
  for (std::string line; std::getline(snmp, line);) {
    if (!line.starts_with("Icmp: ")) continue;
    std::istringstream fields(line.substr(6));
    std::vector<std::string> row{std::istream_iterator<std::string>(fields), {}};
    if (names.empty()) {
      names = row;
      continue;
    }
    for (size_t i = 0; i < names.size() && i < row.size(); ++i) {
      if (names[i] == "OutTimeExcds") return std::stoll(row[i]);
    }
  }
  return -1;
}

// When `node`'s session with `peer` was established (unix seconds; 0: not established), from
// `weft bgp status -o json`.
int64_t established_at(Lab& lab, const std::string& node, const std::string& peer) {
  auto status = weft::parse_json(weft_cli(lab, "bgp status -o json").out);
  EXPECT_TRUE(status && status->is_array()) << "probe failed: weft bgp status";
  if (!status || !status->is_array()) return -1;
  for (const auto& n : *status) {
    if (n["node"] != node) continue;
    for (const auto& sess : n["sessions"]) {
      if (sess["peer"] == peer) return sess["establishedAt"].get<int64_t>();
    }
  }
  return -1;
}

// The part both routers share once their daemon runs and offers `offered` and `refused`:
// weft's peer, the routes each way, and the withdrawals each way (`withdraw` makes the router
// stop offering `offered`).
void expect_router_interop(Lab& lab, P2pRouter& router, const std::string& as, const std::string& offered,
                           const std::string& offered6, const std::string& refused, const std::function<void()>& withdraw,
                           const std::function<std::string()>& router_log) {
  auto add = weft_cli(lab, "bgp peer add --node h1 --peer-ip " + router.address() + " --as " + as +
                               " --name tor --password " + kPassword + " --accept " + offered + " --accept " + offered6);
  ASSERT_EQ(add.exit_code, 0) << add.out << add.err;
  auto up = within(20s, [&] { return sessions(lab)["h1"]["tor"] == "Established"; });
  ASSERT_TRUE(up) << weft_cli(lab, "bgp status").out << router_log();
  EXPECT_EQ(sessions(lab)["h2"].count("tor"), 0u) << "only h1 peers with it";

  // The router routes every block of every host through h1, at h1's addresses on their link.
  const std::string h1_link_local = link_local_of(lab, router.h1_device());
  ASSERT_FALSE(h1_link_local.empty());
  const auto blocks = blocks_of(lab);
  ASSERT_EQ(blocks.size(), 3u);
  for (const auto& [host, list] : blocks) {
    ASSERT_EQ(list.size(), 2u) << host << " holds one block of each pool";
    for (const auto& block : list) {
      const bool v6 = block.find(':') != std::string::npos;
      auto learned = within(10s, [&] {
        return router.route(block).find("via " + (v6 ? h1_link_local : router.h1_address()) + " dev h1") !=
               std::string::npos;
      });
      EXPECT_TRUE(learned) << host << "'s " << block << " in the router's kernel:\n"
                           << router.exec({"/usr/sbin/ip", "route"}).out << router_log();
    }
  }
  // h1 installs what it accepts, through the router's link, and nothing else from it.
  auto accepted = within(10s, [&] {
    return probe(lab, "h1", {"/usr/sbin/ip", "route", "show", offered})
               .find("via " + router.address() + " dev " + router.h1_device() + " proto 247") != std::string::npos;
  });
  EXPECT_TRUE(accepted) << probe(lab, "h1", {"/usr/sbin/ip", "route"});
  auto accepted6 = within(10s, [&] {
    return probe(lab, "h1", {"/usr/sbin/ip", "-6", "route", "show", offered6})
               .find("via " + router.address6() + " dev " + router.h1_device() + " proto 247") != std::string::npos;
  });
  EXPECT_TRUE(accepted6) << probe(lab, "h1", {"/usr/sbin/ip", "-6", "route"});
  EXPECT_EQ(probe(lab, "h1", {"/usr/sbin/ip", "route", "show", refused}), "") << "not accepted, not installed";

  // The router withdraws: h1 drops the route.
  withdraw();
  auto dropped = within(10s, [&] { return probe(lab, "h1", {"/usr/sbin/ip", "route", "show", offered}).empty(); });
  EXPECT_TRUE(dropped) << probe(lab, "h1", {"/usr/sbin/ip", "route"});

  // h3 leaves the cluster: h1 withdraws its block from the router; the others stay.
  auto h3 = host_status(lab, "h3");
  ASSERT_TRUE(h3);
  ASSERT_EQ(::kill((*h3)["agentPid"].get<int>(), SIGTERM), 0);
  ASSERT_EQ(weft_cli(lab, "node delete h3").exit_code, 0);
  const std::string gone = blocks.at("h3").front();
  auto withdrawn = within(10s, [&] { return router.route(gone).empty(); });
  EXPECT_TRUE(withdrawn) << gone << " is still routed by the router:\n" << router.route(gone);
  EXPECT_NE(router.route(blocks.at("h2").front()), "") << "h2's block stays";

  // From now on only h1's own blocks, on the same session: h2's block is withdrawn.
  const int64_t since = established_at(lab, "h1", "tor");
  auto set = weft_cli(lab, "bgp peer set tor --export-mode own");
  ASSERT_EQ(set.exit_code, 0) << set.out << set.err;
  auto own_only = within(10s, [&] { return router.route(blocks.at("h2").front()).empty(); });
  EXPECT_TRUE(own_only) << "h2's block after --export-mode own:\n" << router.route(blocks.at("h2").front());
  EXPECT_NE(router.route(blocks.at("h1").front()), "") << "h1's own block stays";
  EXPECT_EQ(established_at(lab, "h1", "tor"), since) << "an export change does not reset the session";
}

TEST_F(Lab, BirdOnItsOwnLinkPeersWithOneHostOverEbgpWithMd5) {
  WEFT_REQUIRE(fs::exists("/usr/sbin/bird"), "bird2 is not installed (scripts/setup installs it)");
  auto up = lab({"up", "--hosts", "3", "--segments", "1", "--mode", "bgp"});
  ASSERT_EQ(up.exit_code, 0) << up.out << up.err;
  P2pRouter router("bird", "tor0", 200);
  ASSERT_TRUE(router.ok());
  const fs::path dir = dir_ / "tor-bird";
  const std::string ctl = router.start_bird(
      dir, "protocol kernel { ipv6 { import none; export where source = RTS_BGP; }; learn off; }\n"
           "protocol static offered { ipv4; route 10.99.0.0/24 blackhole; route 10.98.0.0/24 blackhole; }\n"
           "protocol static offered6 { ipv6; route fd00:99::/64 blackhole; }\n"
           "protocol bgp h1 {\n"
           "  local " + router.address() + " as 65100;\n"
           "  neighbor " + router.h1_address() + " as 64512;\n"
           "  password \"" + kPassword + "\";\n"
           "  connect retry time 1;\n"
           "  ipv4 { import all; export where proto = \"offered\"; };\n"
           "  ipv6 { import all; export where proto = \"offered6\"; };\n"
           "}\n");
  ASSERT_FALSE(ctl.empty());
  expect_router_interop(
      *this, router, "65100", "10.99.0.0/24", "fd00:99::/64", "10.98.0.0/24",
      [&] {
        auto r = router.exec({"/usr/sbin/birdc", "-s", ctl, "disable", "offered"});
        EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
      },
      [&] { return slurp(dir / "bird.log") + router.exec({"/usr/sbin/birdc", "-s", ctl, "show", "protocols", "all", "h1"}).out; });
}

// A router two hops away: on its own link to h1, peering with h2 across h1. TTL 1 (the eBGP
// default) dies at h1 and the session never comes up; `peer set --multihop` (TTL 255) brings it
// up, and the router routes h2's block via h1, the way to h2's session address.
TEST_F(Lab, BirdTwoHopsAwayNeedsMultihop) {
  WEFT_REQUIRE(fs::exists("/usr/sbin/bird"), "bird2 is not installed (scripts/setup installs it)");
  auto up = lab({"up", "--hosts", "3", "--segments", "1", "--mode", "bgp"});
  ASSERT_EQ(up.exit_code, 0) << up.out << up.err;
  P2pRouter router("bird", "tor0", 200);
  ASSERT_TRUE(router.ok());
  // h2 reaches the router's link through h1, the router reaches the segment through h1.
  ASSERT_EQ(exec("h2", {"/usr/sbin/ip", "route", "add", "198.18.200.0/30", "via", underlay_of(*this, "h1")}).exit_code, 0);
  ASSERT_EQ(router.exec({"/usr/sbin/ip", "route", "add", "198.18.1.0/24", "via", router.h1_address()}).exit_code, 0);
  const std::string h2 = underlay_of(*this, "h2");
  const fs::path dir = dir_ / "tor-bird";
  ASSERT_FALSE(router
                   .start_bird(dir, "# BIRD resolves a multihop next hop in its own table: the segment via h1.\n"
                                    "protocol static { ipv4; route 198.18.1.0/24 via " + router.h1_address() + "; }\n"
                                    "protocol bgp h2 {\n"
                                    "  local " + router.address() + " as 65100;\n"
                                    "  neighbor " + h2 + " as 64512;\n"
                                    "  multihop 2;\n"
                                    "  connect retry time 1;\n"
                                    "  ipv4 { import all; export none; };\n"
                                    "}\n")
                   .empty());

  // With TTL 1, h1 drops h2's packets to the router and says so (ICMP time exceeded): once it
  // has, the session must still be down.
  const int64_t dropped_before = time_exceeded_sent(*this, "h1");
  ASSERT_GE(dropped_before, 0);
  auto add = weft_cli(*this, "bgp peer add --node h2 --peer-ip " + router.address() + " --as 65100 --name tor");
  ASSERT_EQ(add.exit_code, 0) << add.err;
  auto dropped = within(10s, [&] { return time_exceeded_sent(*this, "h1") > dropped_before; });
  EXPECT_TRUE(dropped) << "h1 never dropped a TTL-1 packet from h2";
  EXPECT_NE(sessions(*this)["h2"]["tor"], "Established") << "TTL 1 does not get past h1";

  auto set = weft_cli(*this, "bgp peer set tor --multihop");
  ASSERT_EQ(set.exit_code, 0) << set.err;
  auto established = within(20s, [&] { return sessions(*this)["h2"]["tor"] == "Established"; });
  ASSERT_TRUE(established) << weft_cli(*this, "bgp status").out << slurp(dir / "bird.log");
  const std::string block = first_block(*this, "h2");
  auto learned = within(10s, [&] { return router.route(block).find("via " + router.h1_address() + " dev h1") != std::string::npos; });
  EXPECT_TRUE(learned) << block << ":\n" << router.exec({"/usr/sbin/ip", "route"}).out;
}

TEST_F(Lab, FrrOnItsOwnLinkPeersWithOneHostOverEbgpWithMd5) {
  WEFT_REQUIRE(fs::exists("/usr/lib/frr/bgpd") && fs::exists("/usr/lib/frr/zebra") && fs::exists("/usr/bin/vtysh"),
               "FRR is not installed (scripts/setup installs it)");
  const passwd* frr = ::getpwnam("frr");
  WEFT_REQUIRE(frr != nullptr, "the frr user is missing (the frr package creates it)");
  auto up = lab({"up", "--hosts", "3", "--segments", "1", "--mode", "bgp"});
  ASSERT_EQ(up.exit_code, 0) << up.out << up.err;
  P2pRouter router("frr", "tor1", 201);
  ASSERT_TRUE(router.ok());
  // zebra and bgpd drop to the frr user: their directory is frr's.
  const fs::path dir = dir_ / "tor-frr";
  fs::create_directories(dir);
  ASSERT_EQ(::chown(dir.c_str(), frr->pw_uid, frr->pw_gid), 0);
  {
    std::ofstream(dir / "bgpd.conf") << "frr defaults traditional\n"
                                     << "hostname tor\n"
                                     << "router bgp 65200\n"
                                     << " bgp router-id " << router.address() << "\n"
                                     << " no bgp ebgp-requires-policy\n"
                                     << " no bgp network import-check\n"
                                     << " neighbor " << router.h1_address() << " remote-as 64512\n"
                                     << " neighbor " << router.h1_address() << " password " << kPassword << "\n"
                                     << " neighbor " << router.h1_address() << " timers connect 1\n"
                                     << " address-family ipv4 unicast\n"
                                     << "  network 10.97.0.0/24\n"
                                     << "  network 10.96.0.0/24\n"
                                     << " exit-address-family\n"
                                     << " address-family ipv6 unicast\n"
                                     << "  network fd00:97::/64\n"
                                     << "  neighbor " << router.h1_address() << " activate\n"
                                     << " exit-address-family\n";
  }
  const std::string d = dir.string();
  ASSERT_TRUE(router.start({"/usr/lib/frr/zebra", "-u", "frr", "-g", "frr", "-i", d + "/zebra.pid", "-z",
                            d + "/zserv.api", "--vty_socket", d, "-f", "/dev/null"},
                           dir / "zebra.log"));
  ASSERT_TRUE(within(5s, [&] { return fs::exists(dir / "zserv.api"); })) << slurp(dir / "zebra.log");
  ASSERT_TRUE(router.start({"/usr/lib/frr/bgpd", "-u", "frr", "-g", "frr", "-i", d + "/bgpd.pid", "-z",
                            d + "/zserv.api", "--vty_socket", d, "-f", d + "/bgpd.conf", "-p", "179"},
                           dir / "bgpd.log"));
  auto vtysh = [&](std::vector<std::string> commands) {
    std::vector<std::string> argv{"/usr/bin/vtysh", "--vty_socket", d};
    for (auto& c : commands) argv.insert(argv.end(), {"-c", c});
    return router.exec(argv);
  };
  expect_router_interop(
      *this, router, "65200", "10.97.0.0/24", "fd00:97::/64", "10.96.0.0/24",
      [&] {
        auto r = vtysh({"configure terminal", "router bgp 65200", "address-family ipv4 unicast", "no network 10.97.0.0/24"});
        EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
      },
      [&] { return slurp(dir / "bgpd.log") + vtysh({"show ip bgp summary"}).out; });
}

}  // namespace
