// See process.h. Design notes:
// - The child reports a failure before exec (before_exec, chdir, execve) through a close-on-exec
//   pipe: EOF on it means the exec succeeded, so start() can say "not found" synchronously.
// - run() reads stdout and stderr through pipes and watches the child with a pidfd: when the
//   child exits, what is buffered is drained and the run ends, even if a daemon the command
//   started still holds the pipes (`weft lab up` does exactly that to its caller).
// - stdin for run() is a memfd holding `input`: no writer loop, no SIGPIPE in the caller.
#include "base/process.h"

#include "base/unique_fd.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <thread>

extern char** environ;

namespace weft {
namespace {

using Clock = std::chrono::steady_clock;

using Fd = UniqueFd;

struct Pipe {
  Fd read, write;
};

Result<Pipe> make_pipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return fail(Errc::io, "pipe: ", std::strerror(errno));
  return Pipe{Fd(fds[0]), Fd(fds[1])};
}

enum class Step : int { before_exec = 1, chdir = 2, exec = 3 };
struct ChildFailure {
  Step step;
  int error;
};

// In the child: make `fd` the descriptor `target` (without close-on-exec).
void child_dup(int fd, int target) {
  if (fd < 0) return;
  if (fd == target) {
    ::fcntl(target, F_SETFD, 0);  // dup2 onto itself would keep FD_CLOEXEC
  } else {
    ::dup2(fd, target);
  }
}

// The child after fork: only async-signal-safe calls until execve.
[[noreturn]] void child_main(const Command& command, const char* path, char* const* argv, char* const* envp, int in,
                             int out, int err, int report) {
  auto die = [report](Step step, int error) {
    ChildFailure failure{step, error};
    (void)!::write(report, &failure, sizeof failure);
    ::_exit(127);
  };
  // A caller's blocked or ignored signals must not leak into the program.
  sigset_t none;
  ::sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  ::signal(SIGPIPE, SIG_DFL);
  if (command.new_session) ::setsid();
  if (command.before_exec) {
    if (int e = command.before_exec(); e != 0) die(Step::before_exec, e);
  }
  child_dup(in, 0);
  child_dup(out, 1);
  child_dup(err, 2);
  if (!command.cwd.empty() && ::chdir(command.cwd.c_str()) != 0) die(Step::chdir, errno);
  ::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
  ::execve(path, argv, envp);
  die(Step::exec, errno);
  ::_exit(127);  // not reached
}

std::vector<std::string> environment_of(const Command& command) {
  std::vector<std::string> out;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string entry(*e);
    if (!command.env.contains(entry.substr(0, entry.find('=')))) out.push_back(std::move(entry));
  }
  for (const auto& [name, value] : command.env) {
    if (value) out.push_back(name + "=" + *value);
  }
  return out;
}

std::vector<char*> pointers(std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

int decode_status(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

int reap(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  return decode_status(status);
}

// Forks and execs `command` with the given descriptors as 0, 1, 2 (-1: inherit); returns the
// PID once the exec succeeded.
Result<pid_t> spawn(const Command& command, int in, int out, int err) {
  if (command.argv.empty() || command.argv[0].empty()) return fail(Errc::invalid_argument, "empty command");
  const auto path = find_program(command.argv[0]);
  if (!path) return fail(Errc::not_found, command.argv[0], ": command not found");
  std::vector<std::string> args = command.argv;
  std::vector<std::string> envs = environment_of(command);
  auto argv = pointers(args);
  auto envp = pointers(envs);
  auto report = make_pipe();
  if (!report) return std::unexpected(report.error());

  const pid_t pid = ::fork();
  if (pid < 0) return fail(Errc::io, "fork: ", std::strerror(errno));
  if (pid == 0) child_main(command, path->c_str(), argv.data(), envp.data(), in, out, err, report->write.get());

  report->write.reset();
  ChildFailure failure{};
  ssize_t n;
  while ((n = ::read(report->read.get(), &failure, sizeof failure)) < 0 && errno == EINTR) {
  }
  if (n <= 0) return pid;  // EOF: the exec closed the pipe
  reap(pid);
  const std::string why = std::strerror(failure.error);
  switch (failure.step) {
    case Step::before_exec:
      return fail(Errc::io, command.before_exec_what.empty() ? "preparing the child" : command.before_exec_what,
                  " for ", command.argv[0], ": ", why);
    case Step::chdir:
      return fail(Errc::io, "chdir ", command.cwd, " for ", command.argv[0], ": ", why);
    case Step::exec:
      break;
  }
  return fail(Errc::not_found, "cannot run ", *path, ": ", why);
}

Fd pidfd_of(pid_t pid) { return Fd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0))); }

// Reads what `fd` holds now (non-blocking); resets it at EOF.
void drain(Fd& fd, std::string& into) {
  char buf[8192];
  while (fd.ok()) {
    const ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n > 0) {
      into.append(buf, static_cast<size_t>(n));
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      if (n == 0 || errno != EAGAIN) fd.reset();
      return;
    }
  }
}

Result<Fd> stdin_with(const std::string& input) {
  if (input.empty()) {
    Fd null(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    if (!null.ok()) return fail(Errc::io, "opening /dev/null: ", std::strerror(errno));
    return null;
  }
  Fd memfd(::memfd_create("weft-stdin", MFD_CLOEXEC));
  if (!memfd.ok()) return fail(Errc::io, "memfd_create: ", std::strerror(errno));
  std::string_view rest = input;
  while (!rest.empty()) {
    const ssize_t n = ::write(memfd.get(), rest.data(), rest.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return fail(Errc::io, "writing the child's input: ", std::strerror(errno));
    rest.remove_prefix(static_cast<size_t>(n));
  }
  if (::lseek(memfd.get(), 0, SEEK_SET) != 0) return fail(Errc::io, "lseek: ", std::strerror(errno));
  return memfd;
}

// Waits up to `limit` for `pid` to exit (without reaping); true if it did.
bool await_exit(pid_t pid, std::chrono::milliseconds limit) {
  Fd pidfd = pidfd_of(pid);
  const auto deadline = Clock::now() + limit;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return false;
    if (pidfd.ok()) {
      pollfd p{pidfd.get(), POLLIN, 0};
      const int r = ::poll(&p, 1, static_cast<int>(left.count()));
      if (r > 0) return true;
      if (r == 0) return false;
      if (errno != EINTR) return false;
    } else {
      // No pidfd (an old kernel): poll the state without reaping.
      siginfo_t info{};
      if (::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) != 0) return true;
      if (info.si_pid == pid) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
}

}  // namespace

Command shell_command(const std::string& script) { return Command{.argv = {"/bin/sh", "-c", script}}; }

std::optional<std::string> find_program(const std::string& name) {
  if (name.empty()) return std::nullopt;
  if (name.find('/') != std::string::npos) {
    if (::access(name.c_str(), X_OK) == 0) return name;
    return std::nullopt;
  }
  std::string dirs;
  if (const char* path = std::getenv("PATH")) dirs = path;
  dirs += ":/usr/local/sbin:/usr/sbin:/sbin:/usr/bin:/bin";
  std::istringstream in(dirs);
  std::string dir;
  while (std::getline(in, dir, ':')) {
    if (dir.empty()) continue;
    const std::string candidate = dir + "/" + name;
    struct stat st {};
    if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
  }
  return std::nullopt;
}

std::string command_line(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& a : argv) {
    if (!out.empty()) out += ' ';
    out += a;
  }
  return out;
}

Result<CommandResult> run(const Command& command, std::chrono::milliseconds timeout) {
  auto in = stdin_with(command.input);
  if (!in) return std::unexpected(in.error());
  auto out = make_pipe();
  if (!out) return std::unexpected(out.error());
  auto err = make_pipe();
  if (!err) return std::unexpected(err.error());
  auto pid = spawn(command, in->get(), out->write.get(), err->write.get());
  if (!pid) return std::unexpected(pid.error());
  in->reset();
  out->write.reset();
  err->write.reset();
  for (Fd* fd : {&out->read, &err->read}) ::fcntl(fd->get(), F_SETFL, O_NONBLOCK);

  Fd pidfd = pidfd_of(*pid);
  const auto deadline = Clock::now() + timeout;
  CommandResult result;
  for (;;) {
    pollfd fds[3] = {{out->read.get(), POLLIN, 0}, {err->read.get(), POLLIN, 0}, {pidfd.get(), POLLIN, 0}};
    if (fds[0].fd < 0 && fds[1].fd < 0 && fds[2].fd < 0) break;  // no pidfd: EOF on both is the end
    int wait_ms = -1;
    if (timeout.count() > 0) {
      wait_ms = static_cast<int>(
          std::max<long>(0, std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count()));
    }
    const int ready = ::poll(fds, 3, wait_ms);
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) {
      // Timed out (or poll failed): the child must not outlive the call.
      ::kill(*pid, SIGKILL);
      reap(*pid);
      if (ready < 0) return fail(Errc::io, "poll: ", std::strerror(errno));
      return fail(Errc::unavailable, "'", command_line(command.argv), "' did not finish within ",
                  std::to_string(timeout.count()), " ms");
    }
    drain(out->read, result.out);
    drain(err->read, result.err);
    if (fds[2].revents != 0) {
      // Exited: what it wrote is in the pipes now; a grandchild may keep them open forever.
      drain(out->read, result.out);
      drain(err->read, result.err);
      break;
    }
  }
  result.exit_code = reap(*pid);
  return result;
}

Result<std::string> run_checked(const Command& command, std::chrono::milliseconds timeout) {
  auto r = run(command, timeout);
  if (!r) return std::unexpected(r.error());
  if (r->exit_code != 0) {
    std::string text = r->err.empty() ? r->out : r->err;
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
    return fail(Errc::internal, "'", command_line(command.argv), "' failed with exit code ",
                std::to_string(r->exit_code), ": ", text);
  }
  return std::move(r->out);
}

Result<Child> Child::start(const Command& command, const std::string& output) {
  Fd null(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  if (!null.ok()) return fail(Errc::io, "opening /dev/null: ", std::strerror(errno));
  Fd log;
  if (!output.empty()) {
    log = Fd(::open(output.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
    if (!log.ok()) return fail(Errc::io, "cannot open ", output, ": ", std::strerror(errno));
  }
  auto pid = spawn(command, null.get(), log.get(), log.get());
  if (!pid) return std::unexpected(pid.error());
  return Child(*pid);
}

Child& Child::operator=(Child&& other) noexcept {
  if (this != &other) {
    stop();
    pid_ = other.pid_;
    other.pid_ = -1;
  }
  return *this;
}

std::optional<int> Child::exited() {
  if (pid_ <= 0) return -1;
  int status = 0;
  const pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == 0) return std::nullopt;
  pid_ = -1;
  return r < 0 ? -1 : decode_status(status);
}

int Child::wait() {
  if (pid_ <= 0) return -1;
  const int code = reap(pid_);
  pid_ = -1;
  return code;
}

int Child::stop(std::chrono::milliseconds grace, int signal) {
  if (pid_ <= 0) return -1;
  if (auto code = exited()) return *code;
  ::kill(pid_, signal);
  if (!await_exit(pid_, grace)) ::kill(pid_, SIGKILL);
  return wait();
}

pid_t Child::release() {
  const pid_t pid = pid_;
  pid_ = -1;
  return pid;
}

}  // namespace weft
