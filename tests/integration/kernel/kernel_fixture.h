// Shared fixture for the kernel integration tests (root, network namespaces).
//
// Safety (DESIGN.md): every test works only inside namespaces it creates itself, named
// "weft-t-<pid>-<tag>", and only with veth, bridge and vxlan devices inside them. Nothing is
// ever added to the root namespace. Namespaces are deleted in TearDown and in the destructor,
// so a failing test leaves nothing behind. Underlay addresses come from 198.18.0.0/16, pod-like
// ones from 198.19.0.0/16, IPv6 from the documentation range 2001:db8::/32.
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>

#include "base/ip.h"
#include "base/json.h"
#include "kernel/links.h"
#include "kernel/netlink_socket.h"
#include "parse.h"

namespace weft::kernel::testing {

struct CommandResult {
  int exit_code = -1;
  std::string out;  // stdout and stderr together
};
// Runs a shell command (only `ip -n weft-t-...` and similar read-mostly commands in tests).
CommandResult run_command(const std::string& command);

using ::weft::testing::ip;  // tests/support/parse.h
using ::weft::testing::pfx;
MacAddress mac(std::string_view text);

class KernelTest : public ::testing::Test {
 protected:
  ~KernelTest() override;
  // Skips the test unless running as root (the tests need CAP_SYS_ADMIN and CAP_NET_ADMIN); in
  // CI fails it instead (require.h). Fixtures that override SetUp call this first and return if
  // IsSkipped() || HasFatalFailure().
  void SetUp() override;
  void TearDown() override;

  // Creates namespace weft-t-<pid>-<tag> (once per tag) and returns its name; ADD_FAILURE on error.
  std::string netns(const std::string& tag);
  // A socket inside the namespace of `tag` (created on first use).
  NetlinkSocket& sock(const std::string& tag);
  // `ip -n <netns(tag)> <args>`; fails the test on a non-zero exit unless allowed.
  std::string ip_in(const std::string& tag, const std::string& args, bool allow_failure = false);
  // `ip -n <ns> -j <args>` parsed.
  Json ip_json(const std::string& tag, const std::string& args);
  // A veth pair `name`/`peer` inside one namespace, both up, with `address` on `name` (if any).
  LinkInfo veth_with_address(const std::string& tag, const std::string& name, const std::string& peer,
                             const std::string& address = "");

 private:
  void cleanup();
  std::map<std::string, std::string> namespaces_;  // tag → name
  std::map<std::string, std::unique_ptr<NetlinkSocket>> sockets_;
};

}  // namespace weft::kernel::testing
