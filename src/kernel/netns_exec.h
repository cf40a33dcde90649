// Programs started inside a named network namespace (base/process.h's launcher plus setns()).
//
// The child enters /run/netns/NAME with setns(CLONE_NEWNET) between fork and exec, so the
// calling thread never changes namespace. Unlike `ip netns exec`, nothing is remounted: the
// program sees the caller's /sys (with /sys/fs/bpf and /sys/fs/cgroup, which weftd, podman and
// bird need), and /sys/class/net still shows the caller's namespace's links. Read links with
// netlink (`ip link`), not /sys, inside such a program.
//
// Contract: in_netns() opens the namespace at once (the file stays open, close-on-exec, as long
// as a copy of the returned Command lives), so a missing namespace is an error here, not in
// the child. An empty name returns the command unchanged (runs where the caller is).
// Errors: invalid_argument for a bad name; not_found (and the errno mapping of errors.h) when
// the namespace cannot be opened; from run()/start(), io when setns() fails in the child.
#pragma once

#include <string_view>

#include "base/process.h"
#include "base/result.h"

namespace weft::kernel {

Result<Command> in_netns(std::string_view name, Command command);
// The same for a namespace file given by path: /run/netns/NAME, /proc/PID/ns/net.
Result<Command> in_netns_at(const std::string& path, Command command);

// Shorthands: run or start `command` inside NAME (empty: here).
Result<CommandResult> run_in(std::string_view name, Command command, std::chrono::milliseconds timeout = {});
Result<std::string> run_checked_in(std::string_view name, Command command, std::chrono::milliseconds timeout = {});
Result<Child> start_in(std::string_view name, Command command, const std::string& output = "");

}  // namespace weft::kernel
