#include "kernel_fixture.h"

#include <unistd.h>

#include <stdexcept>

#include "base/process.h"
#include "kernel/addresses.h"
#include "kernel/netns.h"
#include "require.h"

namespace weft::kernel::testing {

CommandResult run_command(const std::string& command) {
  CommandResult result;
  auto r = weft::run(shell_command(command + " 2>&1"));
  if (!r) {
    result.out = r.error().describe();
    return result;
  }
  result.exit_code = r->exit_code;
  result.out = std::move(r->out);
  return result;
}

MacAddress mac(std::string_view text) {
  auto parsed = MacAddress::parse(text);
  EXPECT_TRUE(parsed.has_value()) << text;
  return parsed.value_or(MacAddress());
}

KernelTest::~KernelTest() { cleanup(); }

void KernelTest::SetUp() {
  WEFT_REQUIRE(::geteuid() == 0, "needs root (network namespaces)");
}

void KernelTest::TearDown() { cleanup(); }

void KernelTest::cleanup() {
  sockets_.clear();  // close the sockets before their namespaces go
  for (const auto& [tag, name] : namespaces_) {
    if (auto done = delete_netns(name); !done) ADD_FAILURE() << done.error().describe();
  }
  namespaces_.clear();
}

std::string KernelTest::netns(const std::string& tag) {
  auto found = namespaces_.find(tag);
  if (found != namespaces_.end()) return found->second;
  std::string name = "weft-t-" + std::to_string(::getpid()) + "-" + tag;
  if (auto done = create_netns(name); !done) {
    ADD_FAILURE() << done.error().describe();
    return name;
  }
  namespaces_.emplace(tag, name);
  return name;
}

NetlinkSocket& KernelTest::sock(const std::string& tag) {
  auto found = sockets_.find(tag);
  if (found != sockets_.end()) return *found->second;
  auto opened = NetlinkSocket::open_in_netns(netns(tag));
  if (!opened) {
    // Without a socket in the test namespace the test cannot go on safely: stop it here (gtest
    // reports the exception as a failure and the fixture still deletes its namespaces).
    throw std::runtime_error(opened.error().describe());
  }
  auto [it, inserted] = sockets_.emplace(tag, std::make_unique<NetlinkSocket>(std::move(*opened)));
  return *it->second;
}

std::string KernelTest::ip_in(const std::string& tag, const std::string& args, bool allow_failure) {
  CommandResult result = run_command("ip -n " + netns(tag) + " " + args);
  if (!allow_failure) {
    EXPECT_EQ(result.exit_code, 0) << "ip " << args << ": " << result.out;
  }
  return result.out;
}

Json KernelTest::ip_json(const std::string& tag, const std::string& args) {
  std::string out = ip_in(tag, "-j " + args);
  auto parsed = parse_json(out);
  EXPECT_TRUE(parsed.has_value()) << out;
  return parsed.value_or(Json());
}

LinkInfo KernelTest::veth_with_address(const std::string& tag, const std::string& name, const std::string& peer,
                                       const std::string& address) {
  NetlinkSocket& s = sock(tag);
  auto link = create_veth(s, VethSpec{.name = name, .peer_name = peer});
  EXPECT_TRUE(link.has_value()) << link.error().describe();
  if (!link) return {};
  auto peer_link = find_link(s, peer);
  EXPECT_TRUE(peer_link.has_value());
  EXPECT_TRUE(set_link_up(s, link->index, true).has_value());
  if (peer_link) {
    EXPECT_TRUE(set_link_up(s, peer_link->index, true).has_value());
  }
  if (!address.empty()) {
    auto slash = address.find('/');
    LinkAddress la{link->index, ip(address.substr(0, slash)), std::stoi(address.substr(slash + 1))};
    auto added = add_address(s, la);
    EXPECT_TRUE(added.has_value()) << added.error().describe();
  }
  return *link;
}

}  // namespace weft::kernel::testing
