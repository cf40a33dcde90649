// NetlinkKernel: KernelOps on the real kernel — rtnetlink through libnl (links.h, addresses.h,
// routes.h, neighbours.h), /proc/sys (sysctl.h) and libnftables (nftables.h). No libnl in this
// header: callers see only KernelOps.
//
// Contract: open_netlink_kernel() acts on the calling thread's namespace at the time of the call,
// open_netlink_kernel(netns) on `netns`, whatever thread calls later: the netlink socket is opened
// inside it, and sysctl and nftables calls enter it with a NetnsGuard for their duration. Calls are
// serialised by a mutex, so one instance may serve the event loop and a worker thread.
#pragma once

#include <memory>

#include "base/result.h"
#include "kernel/kernel_ops.h"
#include "kernel/netns.h"

namespace weft::kernel {

Result<std::unique_ptr<KernelOps>> open_netlink_kernel();
Result<std::unique_ptr<KernelOps>> open_netlink_kernel(const NetnsFd& netns);

}  // namespace weft::kernel
