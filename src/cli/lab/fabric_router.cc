#include "cli/lab/fabric_router.h"

#include <filesystem>
#include <fstream>
#include <thread>

#include "cli/lab/processes.h"
#include "model/bgp_config.h"

namespace weft::cli::lab {

std::string fabric_bird_config(const Topology& topology) {
  const std::string as = std::to_string(model::kDefaultAsNumber);
  std::string c =
      "# weft lab: the router between the segments as the hosts' iBGP route reflector (AS " + as + ").\n"
      "log stderr all;\n"
      "router id " + std::string(kFabricRouterId) + ";\n"
      "protocol device { scan time 10; }\n"
      "\n"
      "# Only pod addresses are taken from the hosts.\n"
      "filter weft_pools4 { if net ~ [ " + std::string(kPoolV4Cidr) + "+ ] then accept; reject; }\n"
      "filter weft_pools6 { if net ~ [ " + std::string(kPoolV6Cidr) + "+ ] then accept; reject; }\n"
      "\n"
      "# Learned pod blocks go into the router's kernel; after a restart with -R the routes already\n"
      "# there stay until the sessions recovered (graceful restart).\n"
      "protocol kernel {\n"
      "  ipv4 { import none; export where source = RTS_BGP; };\n"
      "  learn off; merge paths on; graceful restart on;\n"
      "}\n"
      "protocol kernel {\n"
      "  ipv6 { import none; export where source = RTS_BGP; };\n"
      "  learn off; merge paths on; graceful restart on;\n"
      "}\n"
      "\n"
      "template bgp weft_host {\n"
      "  local as " + as + ";\n"
      "  direct;                       # the hosts share a segment with the router\n"
      "  rr client;\n"
      "  rr cluster id " + std::string(kFabricRouterId) + ";\n"
      "  connect retry time 1;\n"
      "  graceful restart on;          # the hosts keep our routes while BIRD restarts\n"
      "  ipv4 { import filter weft_pools4; export where source = RTS_BGP; gateway direct; };\n"
      "  # Hosts have no IPv6 underlay address: IPv6 goes through us, at our link-local address on the\n"
      "  # host's segment. BIRD wants a next hop address for IPv6 over an IPv4 session; given a\n"
      "  # link-local one it sends its own link-local address on the segment (RFC 2545).\n"
      "  ipv6 { import filter weft_pools6; export where source = RTS_BGP; gateway direct; next hop self;\n"
      "         next hop address fe80::1; };\n"
      "}\n";
  for (const auto& h : topology.hosts) {
    const auto& seg = topology.segments.at(static_cast<size_t>(h.segment - 1));
    const std::string address = h.underlay.substr(0, h.underlay.find('/'));
    c += "protocol bgp " + h.name + " from weft_host { neighbor " + address + " as " + as + "; source address " +
         seg.gateway + "; }\n";
  }
  return c;
}

std::string fabric_dir(const std::string& state_dir) { return state_dir + "/router"; }

std::vector<std::string> fabric_bird_argv(const std::string& state_dir, bool recover) {
  const std::string dir = fabric_dir(state_dir);
  std::vector<std::string> argv{"/usr/sbin/bird", "-f", "-c", dir + "/bird.conf", "-s", dir + "/bird.ctl"};
  if (recover) argv.push_back("-R");
  return argv;
}

Result<ProcessRecord> start_fabric_router(const std::string& state_dir, const Topology& topology) {
  const std::string dir = fabric_dir(state_dir);
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return fail(Errc::io, "cannot create ", dir, ": ", ec.message());
  {
    std::ofstream out(dir + "/bird.conf");
    out << fabric_bird_config(topology);
    if (!out) return fail(Errc::io, "cannot write ", dir, "/bird.conf");
  }
  auto record = spawn_daemon("bird", std::string(kRouterNetns), fabric_bird_argv(state_dir), dir + "/bird.log");
  if (!record) return wrap(record.error(), "starting BIRD in the router namespace");
  // BIRD reads its config before it opens the control socket: a socket means it runs.
  for (int i = 0; i < 100; ++i) {
    if (std::filesystem::exists(dir + "/bird.ctl", ec)) return record;
    if (child_exited(record->pid)) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return fail(Errc::internal, "BIRD did not start in the router namespace: ", tail_file(dir + "/bird.log"));
}

}  // namespace weft::cli::lab
