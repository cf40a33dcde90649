// Named namespaces, NetnsGuard, run_in_netns and sysctl inside namespaces.
#include <sys/stat.h>

#include <algorithm>
#include <functional>
#include <future>
#include <stdexcept>
#include <thread>

#include "kernel/netns.h"
#include "kernel/sysctl.h"
#include "kernel_fixture.h"

namespace weft::kernel::testing {
namespace {

ino_t current_netns_inode() {
  struct stat st {};
  EXPECT_EQ(::stat("/proc/thread-self/ns/net", &st), 0);
  return st.st_ino;
}

ino_t netns_inode(const std::string& name) {
  struct stat st {};
  EXPECT_EQ(::stat(netns_path(name).c_str(), &st), 0);
  return st.st_ino;
}

// Runs `probe` on a thread started NOW (so it lives in the caller's current namespace — a new
// thread inherits its creator's), at the moment the returned function is called.
template <class T>
class ThreadAtHome {
 public:
  explicit ThreadAtHome(std::function<T()> probe)
      : thread_([this, probe = std::move(probe)] {
          go_.get_future().wait();
          result_.set_value(probe());
        }) {}
  ~ThreadAtHome() {
    if (thread_.joinable()) {
      if (!fired_) go_.set_value();
      thread_.join();
    }
  }
  T run() {
    fired_ = true;
    go_.set_value();
    return result_.get_future().get();
  }

 private:
  std::promise<void> go_;
  std::promise<T> result_;
  bool fired_ = false;
  std::thread thread_;
};

using Netns = KernelTest;

TEST_F(Netns, CreateListDelete) {
  std::string name = "weft-t-" + std::to_string(::getpid()) + "-cld";
  struct Cleanup {
    std::string name;
    ~Cleanup() {
      if (netns_exists(name)) (void)delete_netns(name);
    }
  } cleanup{name};
  ASSERT_TRUE(create_netns(name).has_value());
  EXPECT_TRUE(netns_exists(name));
  auto names = list_netns();
  ASSERT_TRUE(names.has_value());
  EXPECT_NE(std::find(names->begin(), names->end(), name), names->end());
  EXPECT_NE(run_command("ip netns list").out.find(name), std::string::npos);
  // A fresh namespace has only lo, and it is a different namespace from ours.
  EXPECT_NE(netns_inode(name), current_netns_inode());
  EXPECT_EQ(run_command("ip -n " + name + " -o link show | wc -l").out, "1\n");

  auto again = create_netns(name);
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().code, Errc::already_exists);
  EXPECT_NE(again.error().message.find("creating network namespace " + name), std::string::npos);

  ASSERT_TRUE(delete_netns(name).has_value());
  EXPECT_FALSE(netns_exists(name));
  auto gone = delete_netns(name);
  ASSERT_FALSE(gone.has_value());
  EXPECT_EQ(gone.error().code, Errc::not_found);
}

TEST_F(Netns, RejectsBadNames) {
  for (const std::string& bad : std::vector<std::string>{"", ".", "..", "a/b", std::string(256, 'x')}) {
    auto created = create_netns(bad);
    ASSERT_FALSE(created.has_value()) << bad;
    EXPECT_EQ(created.error().code, Errc::invalid_argument);
  }
}

TEST_F(Netns, GuardEntersAndReturns) {
  std::string name = netns("g");
  ino_t original = current_netns_inode();
  ThreadAtHome<ino_t> home(current_netns_inode);
  {
    auto guard = NetnsGuard::enter(name);
    ASSERT_TRUE(guard.has_value()) << guard.error().describe();
    EXPECT_EQ(current_netns_inode(), netns_inode(name));
    // Only this thread moved: another thread of the process is still at home.
    EXPECT_EQ(home.run(), original);
  }
  EXPECT_EQ(current_netns_inode(), original);
}

TEST_F(Netns, GuardReturnsWhenTheBodyFails) {
  std::string name = netns("f");
  ino_t original = current_netns_inode();
  ino_t inside = 0;
  Result<int> result = run_in_netns(name, [&]() -> Result<int> {
    inside = current_netns_inode();
    return fail(Errc::io, "the body failed");
  });
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().message, "the body failed");
  EXPECT_EQ(inside, netns_inode(name));
  EXPECT_EQ(current_netns_inode(), original);

  // Also when the body throws.
  EXPECT_THROW(
      {
        auto guard = NetnsGuard::enter(name);
        ASSERT_TRUE(guard.has_value());
        throw std::runtime_error("boom");
      },
      std::runtime_error);
  EXPECT_EQ(current_netns_inode(), original);
}

TEST_F(Netns, RunInUnknownNamespaceDoesNotRunTheBody) {
  bool ran = false;
  auto result = run_in_netns("weft-t-" + std::to_string(::getpid()) + "-missing", [&]() -> Result<void> {
    ran = true;
    return {};
  });
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code, Errc::not_found);
  EXPECT_FALSE(ran);
}

TEST_F(Netns, SysctlFollowsTheThreadsNamespace) {
  std::string name = netns("s");
  // The root namespace is only read, never written.
  auto root_before = read_sysctl("net.ipv4.ip_forward");
  ASSERT_TRUE(root_before.has_value()) << root_before.error().describe();

  ThreadAtHome<std::string> home([] { return read_sysctl("net.ipv4.ip_forward").value_or("error"); });
  auto inside = run_in_netns(name, [&]() -> Result<std::string> {
    if (auto done = write_sysctl("net.ipv4.ip_forward", "1"); !done) return std::unexpected(done.error());
    // Meanwhile another thread, still in the root namespace, sees the root's value.
    if (std::string other = home.run(); other != *root_before) return fail(Errc::internal, "root value seen as ", other);
    return read_sysctl("net.ipv4.ip_forward");
  });
  ASSERT_TRUE(inside.has_value()) << inside.error().describe();
  EXPECT_EQ(*inside, "1");
  EXPECT_EQ(run_command("ip netns exec " + name + " cat /proc/sys/net/ipv4/ip_forward").out, "1\n");
  EXPECT_EQ(read_sysctl("net.ipv4.ip_forward").value_or("error"), *root_before);
}

TEST_F(Netns, SysctlPerDeviceWithDotsInTheName) {
  veth_with_address("d", "wt.a", "wt.b");
  std::string name = netns("d");
  // The device exists only in the test namespace.
  EXPECT_FALSE(read_sysctl("net/ipv4/conf/wt.a/proxy_arp").has_value());
  auto written = run_in_netns(name, [] { return write_sysctl("net/ipv4/conf/wt.a/proxy_arp", "1"); });
  ASSERT_TRUE(written.has_value()) << written.error().describe();
  EXPECT_EQ(run_command("ip netns exec " + name + " cat /proc/sys/net/ipv4/conf/wt.a/proxy_arp").out, "1\n");
}

TEST_F(Netns, SysctlErrors) {
  auto missing = read_sysctl("net.ipv4.no_such_parameter");
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code, Errc::not_found);
  EXPECT_NE(missing.error().message.find("/proc/sys/net/ipv4/no_such_parameter"), std::string::npos);
  EXPECT_NE(missing.error().message.find("(errno 2)"), std::string::npos);
  EXPECT_EQ(read_sysctl("../etc/passwd").error().code, Errc::invalid_argument);
  EXPECT_EQ(read_sysctl("net/../../etc/passwd").error().code, Errc::invalid_argument);
}

}  // namespace
}  // namespace weft::kernel::testing
