// Fixture for the interop tests: weft's speaker in namespace weft-t-<pid>-w (198.18.0.1) and a
// real peer (bird2 or gobgpd, in weft-t-<pid>-p at 198.18.0.2) on a veth pair between them. The
// speaker's io_context thread runs inside the weft namespace (setns), so the speaker's sockets
// live there. Peers are started with nsenter and killed by PID; namespaces are deleted last,
// whatever the outcome.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <mutex>

#include "bgp/speaker.h"
#include "harness.h"
#include "parse.h"

namespace weft::bgp::testing {

using ::weft::testing::ip;  // tests/support/parse.h
using ::weft::testing::pfx;

class InteropFixture : public ::testing::Test {
 protected:
  static constexpr uint32_t kWeftAs = 65001;
  static constexpr uint32_t kPeerAs = 65002;

  void SetUp() override;
  void TearDown() override;

  // Adds the peer 198.18.0.2 to the speaker.
  void add_peer(bool passive, uint16_t port = 179);
  State weft_state();
  bool weft_has(const char* prefix);
  std::vector<RouteInfo> weft_routes(const char* prefix);
  // The next hops of the last best-change call for `prefix`; nullopt if never called.
  std::optional<std::vector<IpAddress>> last_change(const char* prefix);
  // Waits until the last best-change for `prefix` reports `hops`: the callback comes from the
  // export pass, which runs just after the RIB change a test may already have seen.
  bool last_change_becomes(const char* prefix, const std::vector<IpAddress>& hops);

  std::unique_ptr<Netns> w_, p_;
  TempDir dir_;
  std::unique_ptr<IoThread> t_;
  std::unique_ptr<Speaker> s_;
  uint16_t port_ = 0;  // weft's listening port
  Process peer_;       // declared after the namespaces: killed before they are deleted
  std::mutex mu_;
  std::vector<std::pair<Prefix, std::vector<IpAddress>>> changes_;
};

}  // namespace weft::bgp::testing
