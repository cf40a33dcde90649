// Running programs: the one place in weft (lab, tests, benchmarks) that forks and execs.
//
// Two shapes:
// - run(): a command to completion, its stdout and stderr captured, with an optional timeout.
// - Child::start(): a long-running program, stdout and stderr appended to a file (or inherited),
//   owned by an RAII handle that stops it by PID (SIGTERM, SIGKILL after a grace) and reaps it.
//
// No shell unless asked for (shell_command()). argv[0] without a '/' is looked up in $PATH and
// then in /usr/local/sbin:/usr/sbin:/sbin:/usr/bin:/bin (root's tools live in sbin even when PATH
// lacks it); a program that is not found is not_found before anything is forked.
// The child gets stdin from `input` (run) or /dev/null (start), and no file descriptor of ours
// except 0, 1 and 2: so a daemon never holds a pipe or a lock of its parent.
//
// Between fork and exec the child runs only async-signal-safe code, so both work in
// multi-threaded processes (gRPC clients in tests). `before_exec` is the seam for that step:
// src/kernel/netns_exec.h uses it to enter a network namespace with setns().
//
// Exit codes: the program's exit status, or 128 + N when it was killed by signal N.
// Errors: invalid_argument for an empty argv; not_found for a program that does not exist or
// cannot be executed; io for a failed system call (pipe, fork, opening the output file) and
// for a failed `before_exec` (the message names the step and the errno); unavailable when run()
// hit its timeout (the child was killed with SIGKILL and reaped).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <csignal>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"

namespace weft {

struct Command {
  std::vector<std::string> argv;
  // Added to (or replacing in) the caller's environment; std::nullopt removes the variable.
  std::map<std::string, std::optional<std::string>> env;
  std::string input;          // run(): the child's stdin; start() ignores it (stdin is /dev/null)
  std::string cwd;            // chdir() before exec when not empty
  bool new_session = false;   // setsid(): out of our process group, so a terminal's Ctrl-C misses it
  // Runs in the child after fork, before exec; must be async-signal-safe (no allocation, no
  // locks). Returns 0 or an errno; on an errno the child exits and the caller gets an io error
  // naming `before_exec_what`.
  std::function<int()> before_exec;
  std::string before_exec_what;
};

struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// A command that runs `script` with /bin/sh -c: only where a pipeline or redirection is meant.
Command shell_command(const std::string& script);

// The program's path (see above), or nullopt.
std::optional<std::string> find_program(const std::string& name);

// Runs `command` to completion and captures what it prints. Fails only when it cannot be started
// or the timeout (zero: none) passed; a non-zero exit is in the result. Once the program has
// exited, output still held open by a grandchild it left running is not waited for.
Result<CommandResult> run(const Command& command, std::chrono::milliseconds timeout = {});

// Like run(), but a non-zero exit is an error (internal) naming the command line and its stderr
// (its stdout when stderr is empty); returns stdout.
Result<std::string> run_checked(const Command& command, std::chrono::milliseconds timeout = {});

// "ip -n ns link add ..." for messages.
std::string command_line(const std::vector<std::string>& argv);

class Child {
 public:
  // Starts `command` and returns once the exec succeeded. stdout and stderr are appended to
  // `output` (created 0644) when not empty, else inherited from the caller.
  static Result<Child> start(const Command& command, const std::string& output = "");

  Child() = default;
  Child(Child&& other) noexcept : pid_(other.pid_) { other.pid_ = -1; }
  Child& operator=(Child&& other) noexcept;
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  ~Child() { stop(); }

  pid_t pid() const { return pid_; }
  bool owns() const { return pid_ > 0; }  // false once reaped, released, or moved from

  // The exit code if the child has exited (reaping it; -1 when there is no child), nullopt while
  // it runs.
  std::optional<int> exited();
  // Waits for the exit; the exit code (-1 when there is no child).
  int wait();
  // `signal` (SIGTERM), then SIGKILL when it still runs after `grace`; reaps. The exit code (-1:
  // no child). stop(0ms, SIGKILL) is a crash: no chance to clean up.
  int stop(std::chrono::milliseconds grace = std::chrono::seconds(5), int signal = SIGTERM);
  // Forgets the child without signalling it: it runs on (the lab's daemons outlive `weft lab up`).
  pid_t release();

 private:
  explicit Child(pid_t pid) : pid_(pid) {}
  pid_t pid_ = -1;
};

}  // namespace weft
