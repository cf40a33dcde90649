#include "cli/lab/processes.h"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

namespace weft::cli::lab {
namespace {

using namespace std::chrono_literals;

std::string errno_text(int err) { return std::strerror(err); }

// A pipe whose ends close on exec and on destruction.
struct Pipe {
  int read = -1;
  int write = -1;
  Pipe() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) == 0) {
      read = fds[0];
      write = fds[1];
    }
  }
  ~Pipe() {
    close_read();
    close_write();
  }
  Pipe(const Pipe&) = delete;
  Pipe& operator=(const Pipe&) = delete;
  bool ok() const { return read >= 0; }
  void close_read() {
    if (read >= 0) ::close(read);
    read = -1;
  }
  void close_write() {
    if (write >= 0) ::close(write);
    write = -1;
  }
};

void write_all(int fd, std::string_view text) {
  while (!text.empty()) {
    ssize_t n = ::write(fd, text.data(), text.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    text.remove_prefix(static_cast<size_t>(n));
  }
}

std::string read_all(int fd) {
  std::string out;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

// In a child: enter the namespace or die, reporting why on `report_fd`.
void child_enter_netns(const std::string& netns, int report_fd) {
  if (netns.empty()) return;
  const std::string path = "/run/netns/" + netns;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0 || ::setns(fd, CLONE_NEWNET) != 0) {
    write_all(report_fd, "cannot enter network namespace " + netns + ": " + errno_text(errno));
    ::_exit(127);
  }
  ::close(fd);
}

void child_stdin_devnull() {
  int null = ::open("/dev/null", O_RDONLY);
  if (null >= 0) {
    ::dup2(null, 0);
    if (null != 0) ::close(null);
  }
}

std::vector<char*> c_argv(std::vector<std::string>& argv) {
  std::vector<char*> out;
  for (auto& a : argv) out.push_back(a.data());
  out.push_back(nullptr);
  return out;
}

int decode_status(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

int wait_for(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  return decode_status(status);
}

std::string join(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& a : argv) {
    if (!out.empty()) out += ' ';
    out += a;
  }
  return out;
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

struct ProcStat {
  char state = '?';
  uint64_t start_time = 0;
};

std::optional<ProcStat> read_stat(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  if (!in) return std::nullopt;
  std::string line;
  std::getline(in, line);
  auto close = line.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream fields(line.substr(close + 1));
  ProcStat st;
  fields >> st.state;  // field 3
  std::string skip;
  for (int field = 4; field < 22 && fields; ++field) fields >> skip;
  fields >> st.start_time;  // field 22
  if (!fields) return std::nullopt;
  return st;
}

std::vector<std::string> read_cmdline(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline", std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::string> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\0', start);
    if (end == std::string::npos) end = text.size();
    out.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

}  // namespace

std::optional<std::string> find_program(const std::string& name) {
  if (name.empty()) return std::nullopt;
  if (name.find('/') != std::string::npos) {
    if (::access(name.c_str(), X_OK) == 0) return name;
    return std::nullopt;
  }
  std::string dirs;
  if (const char* path = std::getenv("PATH")) dirs = path;
  dirs += ":/usr/sbin:/sbin:/usr/bin:/bin";
  std::istringstream in(dirs);
  std::string dir;
  while (std::getline(in, dir, ':')) {
    if (dir.empty()) continue;
    const std::string candidate = dir + "/" + name;
    struct stat st{};
    if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
  }
  return std::nullopt;
}

Result<CommandResult> run_command(const std::vector<std::string>& argv_in, const std::string& netns) {
  if (argv_in.empty()) return fail(Errc::invalid_argument, "empty command");
  auto path = find_program(argv_in[0]);
  if (!path) return fail(Errc::not_found, argv_in[0], ": command not found");
  Pipe out, err, report;
  if (!out.ok() || !err.ok() || !report.ok()) return fail(Errc::io, "pipe: ", errno_text(errno));
  std::vector<std::string> argv = argv_in;
  auto cargv = c_argv(argv);
  std::cout.flush();
  pid_t pid = ::fork();
  if (pid < 0) return fail(Errc::io, "fork: ", errno_text(errno));
  if (pid == 0) {
    child_enter_netns(netns, report.write);
    child_stdin_devnull();
    ::dup2(out.write, 1);
    ::dup2(err.write, 2);
    ::execv(path->c_str(), cargv.data());
    write_all(report.write, "cannot run " + *path + ": " + errno_text(errno));
    ::_exit(127);
  }
  out.close_write();
  err.close_write();
  report.close_write();
  std::string failure = read_all(report.read);
  CommandResult r;
  pollfd fds[2] = {{out.read, POLLIN, 0}, {err.read, POLLIN, 0}};
  int open_fds = 2;
  char buf[4096];
  while (open_fds > 0) {
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
      if (n > 0) {
        (i == 0 ? r.out : r.err).append(buf, static_cast<size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        fds[i].fd = -1;
        --open_fds;
      }
    }
  }
  r.exit_code = wait_for(pid);
  if (!failure.empty()) return fail(Errc::not_found, failure);
  return r;
}

Result<std::string> run_checked(const std::vector<std::string>& argv, const std::string& netns) {
  auto r = run_command(argv, netns);
  if (!r) return std::unexpected(r.error());
  if (r->exit_code != 0) {
    std::string where = netns.empty() ? "" : " (in " + netns + ")";
    return fail(Errc::internal, "'", join(argv), "'", where, " failed with exit code ",
                std::to_string(r->exit_code), ": ", trim(r->err.empty() ? r->out : r->err));
  }
  return std::move(r->out);
}

Result<std::string> run_in_netns(const std::string& netns, const std::function<Result<std::string>()>& body) {
  Pipe result;
  if (!result.ok()) return fail(Errc::io, "pipe: ", errno_text(errno));
  std::cout.flush();
  std::cerr.flush();
  pid_t pid = ::fork();
  if (pid < 0) return fail(Errc::io, "fork: ", errno_text(errno));
  if (pid == 0) {
    result.close_read();
    const std::string path = "/run/netns/" + netns;
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0 || ::setns(fd, CLONE_NEWNET) != 0) {
      write_all(result.write, "Ecannot enter network namespace " + netns + ": " + errno_text(errno));
      ::_exit(0);
    }
    ::close(fd);
    auto r = body();
    if (r) {
      write_all(result.write, "O" + *r);
    } else {
      write_all(result.write, "E" + std::string(to_string(r.error().code)) + "\n" + r.error().message);
    }
    ::_exit(0);
  }
  result.close_write();
  std::string text = read_all(result.read);
  int code = wait_for(pid);
  if (text.empty()) {
    return fail(Errc::internal, "the helper process in ", netns, " died (exit ", std::to_string(code), ")");
  }
  if (text[0] == 'O') return text.substr(1);
  std::string message = text.substr(1);
  Errc errc = Errc::internal;
  if (auto nl = message.find('\n'); nl != std::string::npos) {
    const std::string code_text = message.substr(0, nl);
    for (auto c : {Errc::invalid_argument, Errc::not_found, Errc::already_exists, Errc::conflict,
                   Errc::in_use, Errc::exhausted, Errc::unavailable, Errc::compacted, Errc::corrupt,
                   Errc::io, Errc::internal}) {
      if (to_string(c) == code_text) errc = c;
    }
    message = message.substr(nl + 1);
  }
  return std::unexpected(Error{errc, message});
}

Result<void> write_sysctls(const std::string& netns,
                           const std::vector<std::pair<std::string, std::string>>& values) {
  auto r = run_in_netns(netns, [&]() -> Result<std::string> {
    for (const auto& [key, value] : values) {
      std::string path = "/proc/sys/" + key;
      for (size_t i = 10; i < path.size(); ++i) {
        if (path[i] == '.') path[i] = '/';
      }
      int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
      if (fd < 0) return fail(Errc::io, "sysctl ", key, " in ", netns, ": ", errno_text(errno));
      ssize_t n = ::write(fd, value.data(), value.size());
      int err = errno;
      ::close(fd);
      if (n != static_cast<ssize_t>(value.size())) {
        return fail(Errc::io, "sysctl ", key, "=", value, " in ", netns, ": ", errno_text(err));
      }
    }
    return std::string();
  });
  if (!r) return std::unexpected(r.error());
  return {};
}

Result<ProcessRecord> spawn_daemon(const std::string& role, const std::string& netns,
                                   const std::vector<std::string>& argv_in, const std::string& log) {
  if (argv_in.empty()) return fail(Errc::invalid_argument, "empty command");
  auto path = find_program(argv_in[0]);
  if (!path) return fail(Errc::not_found, argv_in[0], ": not found");
  int log_fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) return fail(Errc::io, "cannot open ", log, ": ", errno_text(errno));
  Pipe report;
  if (!report.ok()) {
    ::close(log_fd);
    return fail(Errc::io, "pipe: ", errno_text(errno));
  }
  std::vector<std::string> argv = argv_in;
  argv[0] = *path;
  auto cargv = c_argv(argv);
  std::cout.flush();
  std::cerr.flush();
  pid_t pid = ::fork();
  if (pid < 0) {
    ::close(log_fd);
    return fail(Errc::io, "fork: ", errno_text(errno));
  }
  if (pid == 0) {
    ::setsid();  // not in the CLI's process group: a Ctrl-C at the terminal does not reach it
    child_enter_netns(netns, report.write);
    child_stdin_devnull();
    ::dup2(log_fd, 1);
    ::dup2(log_fd, 2);
    ::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
    if (::chdir("/") != 0) ::_exit(127);
    ::execv(cargv[0], cargv.data());
    write_all(report.write, "cannot run " + *path + ": " + errno_text(errno));
    ::_exit(127);
  }
  ::close(log_fd);
  report.close_write();
  std::string failure = read_all(report.read);
  if (!failure.empty()) {
    wait_for(pid);
    return fail(Errc::internal, failure);
  }
  ProcessRecord record{.role = role, .netns = netns, .pid = pid, .log = log};
  if (auto st = read_stat(pid)) record.start_time = st->start_time;
  record.cmdline = read_cmdline(pid);
  if (record.cmdline.empty()) record.cmdline = argv;
  return record;
}

ProcessStatus process_status(const ProcessRecord& record) {
  auto st = read_stat(record.pid);
  if (!st || st->state == 'Z' || st->state == 'X') return ProcessStatus::gone;
  if (record.start_time != 0 && st->start_time != record.start_time) return ProcessStatus::other;
  if (read_cmdline(record.pid) != record.cmdline) return ProcessStatus::other;
  return ProcessStatus::running;
}

bool child_exited(pid_t pid, int* status) {
  int st = 0;
  pid_t r = ::waitpid(pid, &st, WNOHANG);
  if (r == pid) {
    if (status) *status = decode_status(st);
    return true;
  }
  return false;
}

int stop_processes(const std::vector<ProcessRecord>& records, std::chrono::milliseconds grace,
                   std::vector<std::string>& notes) {
  std::vector<const ProcessRecord*> live;
  for (const auto& r : records) {
    switch (process_status(r)) {
      case ProcessStatus::running:
        live.push_back(&r);
        break;
      case ProcessStatus::other:
        notes.push_back("PID " + std::to_string(r.pid) + " (" + r.role +
                        ") now belongs to another process; not signalled");
        break;
      case ProcessStatus::gone:
        break;
    }
  }
  for (const auto* r : live) ::kill(r->pid, SIGTERM);
  auto all_gone = [&] {
    bool gone = true;
    for (const auto* r : live) {
      child_exited(r->pid);  // reaps it when this process started it
      if (process_status(*r) == ProcessStatus::running) gone = false;
    }
    return gone;
  };
  auto deadline = std::chrono::steady_clock::now() + grace;
  while (!all_gone() && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(50ms);
  for (const auto* r : live) {
    if (process_status(*r) == ProcessStatus::running) {
      notes.push_back("PID " + std::to_string(r->pid) + " (" + r->role + ") ignored SIGTERM; sent SIGKILL");
      ::kill(r->pid, SIGKILL);
    }
  }
  deadline = std::chrono::steady_clock::now() + 2s;
  while (!all_gone() && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(20ms);
  return static_cast<int>(live.size());
}

std::vector<pid_t> processes_in_netns(const std::string& netns) {
  std::vector<pid_t> out;
  struct stat target{};
  if (::stat(("/run/netns/" + netns).c_str(), &target) != 0) return out;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    struct stat ns{};
    if (::stat(("/proc/" + name + "/ns/net").c_str(), &ns) != 0) continue;
    if (ns.st_ino == target.st_ino && ns.st_dev == target.st_dev) {
      const pid_t pid = static_cast<pid_t>(std::stol(name));
      auto st = read_stat(pid);
      if (st && st->state != 'Z') out.push_back(pid);
    }
  }
  return out;
}

std::string describe_pid(pid_t pid) {
  std::string cmd = join(read_cmdline(pid));
  if (cmd.size() > 80) cmd = cmd.substr(0, 77) + "...";
  return std::to_string(pid) + " (" + cmd + ")";
}

std::vector<int> run_jobs(const std::vector<Job>& jobs, int parallel) {
  std::vector<int> codes(jobs.size(), -1);
  std::vector<std::pair<pid_t, size_t>> running;
  size_t next = 0;
  std::cout.flush();
  std::cerr.flush();
  auto start = [&](size_t i) {
    std::vector<std::string> argv = jobs[i].argv;
    auto cargv = c_argv(argv);
    pid_t pid = ::fork();
    if (pid == 0) {
      child_enter_netns(jobs[i].netns, 2);
      child_stdin_devnull();
      int null = ::open("/dev/null", O_WRONLY);
      if (null >= 0) {
        ::dup2(null, 1);
        ::dup2(null, 2);
      }
      ::execv(cargv[0], cargv.data());
      ::_exit(127);
    }
    if (pid < 0) {
      codes[i] = -1;
      return;
    }
    running.emplace_back(pid, i);
  };
  while (next < jobs.size() || !running.empty()) {
    while (next < jobs.size() && static_cast<int>(running.size()) < parallel) start(next++);
    bool reaped = false;
    for (auto it = running.begin(); it != running.end();) {
      int code = 0;
      if (child_exited(it->first, &code)) {
        codes[it->second] = code;
        it = running.erase(it);
        reaped = true;
      } else {
        ++it;
      }
    }
    if (!reaped) std::this_thread::sleep_for(5ms);
  }
  return codes;
}

std::string tail_file(const std::string& path, int lines) {
  std::ifstream in(path);
  if (!in) return "";
  std::vector<std::string> all;
  std::string line;
  while (std::getline(in, line)) all.push_back(line);
  std::string out;
  const size_t from = all.size() > static_cast<size_t>(lines) ? all.size() - static_cast<size_t>(lines) : 0;
  for (size_t i = from; i < all.size(); ++i) out += "    " + all[i] + "\n";
  return out;
}

}  // namespace weft::cli::lab
