// Running programs and code inside the lab's network namespaces.
//
// Programs start through base/process.h and kernel/netns_exec.h: the child enters the namespace
// with setns() between fork and exec. Nothing here uses `ip netns exec` (it remounts /sys, see
// ENVIRONMENT.md). run_in_netns() forks without exec to run code (a store client) inside a
// namespace; the weft CLI is single-threaded, which is what makes that safe; callers must not
// have started threads (no store opened in the parent: store calls run in a child, see
// lab_store.h). Code that only needs a socket or /proc/sys/net in a namespace uses
// kernel::run_in_netns (the calling thread enters and leaves) instead.
//
// Errors: not_found for a missing program or namespace, io for a failed system call; a body's
// own error comes back with its code and message.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/process.h"
#include "base/result.h"
#include "cli/lab/lab_state.h"

namespace weft::cli::lab {

// Programs are run with base/process.h (weft::run, weft::Child, find_program) and, inside a
// namespace, kernel/netns_exec.h (kernel::run_in, kernel::start_in).

// Runs `body` in a forked child inside `netns` and returns what it returned (the text travels
// back through a pipe). For code that must see the namespace's network: store clients, sockets,
// /proc/sys/net.
Result<std::string> run_in_netns(const std::string& netns, const std::function<Result<std::string>()>& body);

// Writes sysctls inside `netns` (kernel/sysctl.h from a thread that entered it); keys are
// /proc/sys-relative with dots ("net.ipv4.ip_forward"). Interface names in keys must not contain dots.
Result<void> write_sysctls(const std::string& netns,
                           const std::vector<std::pair<std::string, std::string>>& values);

// Starts a long-running program in `netns` in its own session, stdin from /dev/null and
// stdout/stderr appended to `log`, working directory /; returns once the exec succeeded, with
// the record that later identifies the process (its start time and command line). The process
// outlives this one: `weft lab down` stops it by its record.
Result<ProcessRecord> spawn_daemon(const std::string& role, const std::string& netns,
                                   const std::vector<std::string>& argv, const std::string& log);

enum class ProcessStatus { running, gone, other };  // other: the PID now belongs to another process
// Whether the recorded process still runs (a zombie counts as gone).
ProcessStatus process_status(const ProcessRecord& record);
// For a process this process started: reaps it if it has exited (waitpid WNOHANG) and says so.
bool child_exited(pid_t pid, int* status = nullptr);

// Stops every recorded process that still is the one the lab started: SIGTERM to all, SIGKILL to
// those still running after `grace`. Processes whose PID now belongs to something else are left
// alone and reported in `notes`. Returns how many were signalled.
int stop_processes(const std::vector<ProcessRecord>& records, std::chrono::milliseconds grace,
                   std::vector<std::string>& notes);

// PIDs of the processes whose network namespace is `netns` (compares nsfs inodes).
std::vector<pid_t> processes_in_netns(const std::string& netns);
std::string describe_pid(pid_t pid);  // "1234 (etcd --name lab ...)"

// Runs many commands, at most `parallel` at a time; returns each one's exit code in order (-1
// for one that could not start). Output goes to /dev/null.
struct Job {
  std::vector<std::string> argv;
  std::string netns;
};
std::vector<int> run_jobs(const std::vector<Job>& jobs, int parallel);

// The last `lines` lines of a file, for error messages pointing at a daemon's log.
std::string tail_file(const std::string& path, int lines = 10);

}  // namespace weft::cli::lab
