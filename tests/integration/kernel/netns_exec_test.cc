// kernel/netns_exec.h: programs run and started inside a namespace this test creates.
#include <signal.h>
#include <sys/stat.h>

#include <string>

#include "base/process.h"
#include "kernel/netns.h"
#include "kernel/netns_exec.h"
#include "kernel_fixture.h"

namespace weft::kernel::testing {
namespace {

using namespace std::chrono_literals;

std::string inode_of(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return std::to_string(st.st_ino);
}

using NetnsExec = KernelTest;

TEST_F(NetnsExec, RunsInsideTheNamespaceOnlyTheChild) {
  const std::string ns = netns("exec");
  auto r = run_in(ns, Command{.argv = {"stat", "-L", "-c", "%i", "/proc/self/ns/net"}});
  ASSERT_TRUE(r.has_value()) << r.error().describe();
  EXPECT_EQ(r->out, inode_of(netns_path(ns)) + "\n");
  EXPECT_NE(inode_of("/proc/thread-self/ns/net"), inode_of(netns_path(ns))) << "we stayed home";

  auto links = run_checked_in(ns, Command{.argv = {"ip", "-o", "link", "show"}});
  ASSERT_TRUE(links.has_value()) << links.error().describe();
  EXPECT_NE(links->find(": lo:"), std::string::npos) << *links;
  EXPECT_EQ(links->find('\n'), links->size() - 1) << "only lo:\n" << *links;
}

TEST_F(NetnsExec, KeepsTheCallersSysUnlikeIpNetnsExec) {
  const std::string ns = netns("sys");
  struct stat sys {};
  ASSERT_EQ(::stat("/sys", &sys), 0);
  auto r = run_in(ns, Command{.argv = {"stat", "-c", "%d", "/sys"}});
  ASSERT_TRUE(r.has_value()) << r.error().describe();
  EXPECT_EQ(r->out, std::to_string(sys.st_dev) + "\n") << "the same sysfs mount, not a fresh one";
}

TEST_F(NetnsExec, StartsAChildInsideAndStopsIt) {
  const std::string ns = netns("start");
  auto child = start_in(ns, Command{.argv = {"sleep", "30"}});
  ASSERT_TRUE(child.has_value()) << child.error().describe();
  EXPECT_EQ(inode_of("/proc/" + std::to_string(child->pid()) + "/ns/net"), inode_of(netns_path(ns)));
  EXPECT_EQ(child->stop(2s), 128 + SIGTERM);
}

TEST_F(NetnsExec, MissingNamespaceIsAnErrorBeforeForking) {
  auto r = run_in("weft-t-" + std::to_string(::getpid()) + "-absent", Command{.argv = {"/bin/true"}});
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, Errc::not_found) << r.error().describe();
  auto bad = in_netns("../x", Command{.argv = {"/bin/true"}});
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code, Errc::invalid_argument);
  auto here = run_in("", Command{.argv = {"/bin/true"}});
  ASSERT_TRUE(here.has_value());
  EXPECT_EQ(here->exit_code, 0);
}

}  // namespace
}  // namespace weft::kernel::testing
