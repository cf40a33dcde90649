#include "cli/lab/processes.h"

#include <fcntl.h>
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

#include "kernel/netns.h"
#include "kernel/netns_exec.h"
#include "kernel/sysctl.h"

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

Result<std::string> run_in_netns(const std::string& netns, const std::function<Result<std::string>()>& body) {
  Pipe result;
  if (!result.ok()) return fail(Errc::io, "pipe: ", errno_text(errno));
  std::cout.flush();
  std::cerr.flush();
  pid_t pid = ::fork();
  if (pid < 0) return fail(Errc::io, "fork: ", errno_text(errno));
  if (pid == 0) {
    result.close_read();
    auto guard = kernel::NetnsGuard::enter(netns);
    auto r = guard ? body() : Result<std::string>(std::unexpected(guard.error()));
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
  return kernel::run_in_netns(netns, [&]() -> Result<void> {
    for (const auto& [key, value] : values) {
      if (auto r = kernel::write_sysctl(key, value); !r) return wrap(r.error(), "in " + netns);
    }
    return {};
  });
}

Result<ProcessRecord> spawn_daemon(const std::string& role, const std::string& netns,
                                   const std::vector<std::string>& argv_in, const std::string& log) {
  if (argv_in.empty()) return fail(Errc::invalid_argument, "empty command");
  auto path = find_program(argv_in[0]);
  if (!path) return fail(Errc::not_found, argv_in[0], ": not found");
  std::vector<std::string> argv = argv_in;
  argv[0] = *path;  // the record's command line names the program exactly
  auto child = kernel::start_in(netns, Command{.argv = argv, .cwd = "/", .new_session = true}, log);
  if (!child) return std::unexpected(child.error());
  const pid_t pid = child->release();  // it outlives the CLI; `weft lab down` stops it
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
  if (::stat(kernel::netns_path(netns).c_str(), &target) != 0) return out;
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
  std::string cmd = command_line(read_cmdline(pid));
  if (cmd.size() > 80) cmd = cmd.substr(0, 77) + "...";
  return std::to_string(pid) + " (" + cmd + ")";
}

std::vector<int> run_jobs(const std::vector<Job>& jobs, int parallel) {
  std::vector<int> codes(jobs.size(), -1);
  std::vector<std::pair<Child, size_t>> running;
  size_t next = 0;
  while (next < jobs.size() || !running.empty()) {
    while (next < jobs.size() && static_cast<int>(running.size()) < parallel) {
      auto child = kernel::start_in(jobs[next].netns, Command{.argv = jobs[next].argv}, "/dev/null");
      if (child) running.emplace_back(std::move(*child), next);
      ++next;
    }
    bool reaped = false;
    for (auto it = running.begin(); it != running.end();) {
      if (auto code = it->first.exited()) {
        codes[it->second] = *code;
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
