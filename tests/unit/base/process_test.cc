// base/process.h without root: exit codes, output capture, input, environment, timeouts, and
// the Child handle's stop/reap. Uses only /bin/sh, /bin/true, /bin/false, /bin/cat, /bin/sleep.
#include "base/process.h"

#include <gtest/gtest.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace weft {
namespace {

using namespace std::chrono_literals;

bool alive(pid_t pid) { return ::kill(pid, 0) == 0; }

TEST(Process, ExitCodes) {
  auto t = run(Command{.argv = {"/bin/true"}});
  ASSERT_TRUE(t.has_value()) << t.error().describe();
  EXPECT_EQ(t->exit_code, 0);
  auto f = run(Command{.argv = {"false"}});  // found in PATH
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->exit_code, 1);
  auto seven = run(shell_command("exit 7"));
  ASSERT_TRUE(seven.has_value());
  EXPECT_EQ(seven->exit_code, 7);
  auto killed = run(shell_command("kill -9 $$"));
  ASSERT_TRUE(killed.has_value());
  EXPECT_EQ(killed->exit_code, 128 + SIGKILL);
}

TEST(Process, CapturesStdoutAndStderrApart) {
  auto r = run(shell_command("echo out; echo err >&2; echo more"));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->out, "out\nmore\n");
  EXPECT_EQ(r->err, "err\n");
}

TEST(Process, CapturesMoreThanAPipeHolds) {
  auto r = run(shell_command("head -c 1000000 /dev/zero; head -c 300000 /dev/zero >&2"));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->out.size(), 1000000u);
  EXPECT_EQ(r->err.size(), 300000u);
}

TEST(Process, NoShellUnlessAsked) {
  auto r = run(Command{.argv = {"/bin/echo", "$HOME; ls"}});
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->out, "$HOME; ls\n");
}

TEST(Process, InputAndEnvironment) {
  auto r = run(Command{.argv = {"/bin/cat"}, .input = std::string(200000, 'x')});
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->out, std::string(200000, 'x'));
  auto empty = run(Command{.argv = {"/bin/cat"}});
  ASSERT_TRUE(empty.has_value());
  EXPECT_EQ(empty->out, "") << "stdin is /dev/null without input";

  ::setenv("WEFT_PROCESS_TEST_GONE", "1", 1);
  auto env = run(Command{.argv = {"/bin/sh", "-c", "echo \"$A|${WEFT_PROCESS_TEST_GONE-unset}|$HOME\""},
                         .env = {{"A", "b c"}, {"WEFT_PROCESS_TEST_GONE", std::nullopt}}});
  ::unsetenv("WEFT_PROCESS_TEST_GONE");
  ASSERT_TRUE(env.has_value());
  EXPECT_EQ(env->out, "b c|unset|" + std::string(std::getenv("HOME") ? std::getenv("HOME") : "") + "\n");
}

TEST(Process, WorkingDirectory) {
  auto r = run(Command{.argv = {"/bin/pwd"}, .cwd = "/"});
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->out, "/\n");
  auto bad = run(Command{.argv = {"/bin/pwd"}, .cwd = "/nonexistent/weft"});
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code, Errc::io);
}

TEST(Process, MissingProgramIsNotFound) {
  auto r = run(Command{.argv = {"weft-no-such-program"}});
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, Errc::not_found);
  auto path = run(Command{.argv = {"/nonexistent/prog"}});
  ASSERT_FALSE(path.has_value());
  EXPECT_EQ(path.error().code, Errc::not_found);
  auto empty = run(Command{});
  ASSERT_FALSE(empty.has_value());
  EXPECT_EQ(empty.error().code, Errc::invalid_argument);
}

TEST(Process, BeforeExecRunsInTheChildAndItsFailureIsReported) {
  auto r = run(Command{.argv = {"/bin/true"}, .before_exec = [] { return EPERM; }, .before_exec_what = "testing"});
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, Errc::io);
  EXPECT_NE(r.error().message.find("testing"), std::string::npos) << r.error().message;
  // The hook's effect is the child's, not ours.
  auto cd = run(Command{.argv = {"/bin/pwd"}, .before_exec = [] { return ::chdir("/") == 0 ? 0 : errno; }});
  ASSERT_TRUE(cd.has_value());
  EXPECT_EQ(cd->out, "/\n");
}

TEST(Process, TimeoutKillsAndReaps) {
  const auto start = std::chrono::steady_clock::now();
  auto r = run(Command{.argv = {"sleep", "10"}}, 200ms);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, Errc::unavailable);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  auto quick = run(Command{.argv = {"/bin/true"}}, 5s);
  ASSERT_TRUE(quick.has_value());
  EXPECT_EQ(quick->exit_code, 0);
}

TEST(Process, AGrandchildHoldingThePipeDoesNotBlockTheRun) {
  // Like `weft lab up` leaving daemons behind: the command exits, its child keeps stdout open.
  const auto start = std::chrono::steady_clock::now();
  auto r = run(shell_command("sleep 3 & echo started"), 2s);
  ASSERT_TRUE(r.has_value()) << r.error().describe();
  EXPECT_EQ(r->out, "started\n");
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
}

TEST(Process, RunCheckedNamesTheCommand) {
  auto ok = run_checked(Command{.argv = {"/bin/echo", "hi"}});
  ASSERT_TRUE(ok.has_value());
  EXPECT_EQ(*ok, "hi\n");
  auto bad = run_checked(shell_command("echo nope >&2; exit 3"));
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code, Errc::internal);
  EXPECT_NE(bad.error().message.find("exit code 3: nope"), std::string::npos) << bad.error().message;
}

TEST(Process, ChildStopsByPidAndReaps) {
  auto child = Child::start(Command{.argv = {"sleep", "30"}});
  ASSERT_TRUE(child.has_value()) << child.error().describe();
  const pid_t pid = child->pid();
  EXPECT_TRUE(alive(pid));
  EXPECT_FALSE(child->exited().has_value());
  EXPECT_EQ(child->stop(), 128 + SIGTERM);
  EXPECT_FALSE(child->owns());
  EXPECT_FALSE(alive(pid)) << "reaped, not a zombie";
}

TEST(Process, ChildIgnoringSigtermIsKilledAfterTheGrace) {
  // The shell says it is ready through a FIFO: opening and reading it block until it has set its
  // trap, so SIGTERM is sent only once it is ignored (no polling, no sleep).
  const auto fifo = std::filesystem::temp_directory_path() / ("weft-process-trap-" + std::to_string(::getpid()));
  std::filesystem::remove(fifo);
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  auto child = Child::start(shell_command("trap '' TERM; echo ready > " + fifo.string() + "; sleep 30"));
  ASSERT_TRUE(child.has_value());
  std::ifstream ready(fifo);
  std::string line;
  ASSERT_TRUE(std::getline(ready, line));
  EXPECT_EQ(line, "ready");
  EXPECT_EQ(child->stop(300ms), 128 + SIGKILL);
  std::filesystem::remove(fifo);
}

TEST(Process, ChildDestructorStopsIt) {
  pid_t pid = -1;
  {
    auto child = Child::start(Command{.argv = {"sleep", "30"}});
    ASSERT_TRUE(child.has_value());
    pid = child->pid();
  }
  EXPECT_FALSE(alive(pid));
}

TEST(Process, ChildOutputGoesToTheFileAndReleaseKeepsItRunning) {
  const auto log = std::filesystem::temp_directory_path() / ("weft-process-test-" + std::to_string(::getpid()));
  std::filesystem::remove(log);
  auto child = Child::start(shell_command("echo one; echo two >&2"), log.string());
  ASSERT_TRUE(child.has_value());
  EXPECT_EQ(child->wait(), 0);
  std::stringstream text;
  text << std::ifstream(log).rdbuf();
  EXPECT_EQ(text.str(), "one\ntwo\n");

  auto daemon = Child::start(Command{.argv = {"sleep", "30"}, .new_session = true});
  ASSERT_TRUE(daemon.has_value());
  Child kept = std::move(*daemon);
  const pid_t pid = kept.release();
  EXPECT_FALSE(kept.owns());
  EXPECT_TRUE(alive(pid));
  EXPECT_EQ(::getsid(pid), pid) << "its own session";
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
  std::filesystem::remove(log);
}

TEST(Process, ChildFailingToStartIsAnError) {
  auto child = Child::start(Command{.argv = {"weft-no-such-program"}});
  ASSERT_FALSE(child.has_value());
  EXPECT_EQ(child.error().code, Errc::not_found);
  auto log = Child::start(Command{.argv = {"/bin/true"}}, "/nonexistent/dir/log");
  ASSERT_FALSE(log.has_value());
  EXPECT_EQ(log.error().code, Errc::io);
}

TEST(Process, TheChildGetsNoDescriptorOfOurs) {
  const int fd = ::open("/dev/null", O_RDONLY);  // deliberately without O_CLOEXEC
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::dup2(fd, 77), 77);  // a number the shell would not open by itself
  ::close(fd);
  auto r = run(shell_command("if test -e /proc/self/fd/77; then echo leaked; else echo closed; fi"));
  ::close(77);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->out, "closed\n");
}

}  // namespace
}  // namespace weft
