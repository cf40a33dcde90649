// Errors from the kernel as weft Errors.
//
// Contract: every failure of a kernel call (netlink, setns, mount, /proc/sys) becomes an Error
// whose message is "<what we were doing>: <strerror text> (errno N)" — plus the kernel's own
// extended-ack text when netlink supplied one — and whose code follows errc_for_errno(). The
// caller prepends the operation and the object with wrap(), so a message reads e.g.
// "adding route 198.19.1.0/24 via 198.18.0.2 dev eth0: Network is unreachable (errno 101)".
#pragma once

#include <string>
#include <string_view>

#include "base/result.h"

namespace weft::kernel {

// EEXIST → already_exists; ENOENT, ESRCH, ENODEV, ENXIO, EADDRNOTAVAIL (netlink's answer for
// deleting an address that is not there) → not_found; EBUSY → in_use;
// EINVAL, ERANGE, EAFNOSUPPORT, EOPNOTSUPP → invalid_argument (the kernel rejected the values we
// sent); EPERM, EACCES and every other errno → io.
Errc errc_for_errno(int errnum);

// "Network is unreachable (errno 101)"; with a kernel message:
// "Network is unreachable (errno 101; kernel: Nexthop has invalid gateway)".
std::string errno_text(int errnum, std::string_view kernel_message = {});

// An Error for a failed system call: code from errc_for_errno, message errno_text().
Error errno_error(int errnum, std::string_view kernel_message = {});

// (Defined with the libnl layer, nl_convert.cc.) An Error for a failure inside libnl that carries no errno (message building, parsing):
// Errc::internal with libnl's text and code — except an interrupted dump (the kernel's table
// changed while it was being read), which is Errc::conflict: retry.
Error libnl_error(int nl_error_code);

}  // namespace weft::kernel
