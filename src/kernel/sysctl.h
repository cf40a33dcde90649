// Reading and writing kernel parameters under /proc/sys.
//
// Namespaces: /proc/sys/net/* is resolved against the network namespace of the CALLING THREAD at
// the time the file is opened (checked on kernel 6.18: a thread that setns()'d into a namespace
// reads and writes that namespace's net.ipv4.ip_forward and sees its conf/<ifname> directories,
// with no /proc remount; another thread of the same process still sees its own). So to change a
// namespace's sysctl, call these inside a NetnsGuard or run_in_netns(). Other /proc/sys trees
// (kernel.*, vm.*) are global. (By contrast /proc/self/net follows the process's main thread; use
// /proc/thread-self/net for per-thread views.)
//
// Keys: dotted "net.ipv4.ip_forward" or slashed "net/ipv4/conf/eth0/proxy_arp". As with
// sysctl(8), a key containing '/' is taken as a path and dots are kept — needed for interface
// names with dots, like "net/ipv4/conf/weft.1/proxy_arp".
//
// Contract: read_sysctl returns the value without its trailing newline; write_sysctl writes the
// value followed by a newline in one write(). Errors: invalid_argument for an empty key or one
// that escapes /proc/sys; not_found if the parameter does not exist (ENOENT); otherwise the
// errno mapping of errors.h, with the key and the path in the message.
#pragma once

#include <string>
#include <string_view>

#include "base/result.h"

namespace weft::kernel {

// "/proc/sys/net/ipv4/ip_forward" for "net.ipv4.ip_forward" (and for "net/ipv4/ip_forward").
Result<std::string> sysctl_path(std::string_view key);

Result<std::string> read_sysctl(std::string_view key);
Result<void> write_sysctl(std::string_view key, std::string_view value);

}  // namespace weft::kernel
