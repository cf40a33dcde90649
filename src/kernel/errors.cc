#include "kernel/errors.h"


#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace weft::kernel {

Errc errc_for_errno(int errnum) {
  switch (errnum) {
    case EEXIST: return Errc::already_exists;
    case ENOENT:
    case ESRCH:
    case ENODEV:
    case ENXIO:
    case EADDRNOTAVAIL: return Errc::not_found;
    case EBUSY: return Errc::in_use;
    case EINVAL:
    case ERANGE:
    case EAFNOSUPPORT:
    case EOPNOTSUPP: return Errc::invalid_argument;
    default: return Errc::io;
  }
}

std::string errno_text(int errnum, std::string_view kernel_message) {
  std::string text = std::strerror(errnum);
  text += " (errno ";
  text += std::to_string(errnum);
  if (!kernel_message.empty()) {
    text += "; kernel: ";
    text += kernel_message;
  }
  text += ")";
  return text;
}

Error errno_error(int errnum, std::string_view kernel_message) {
  return Error{errc_for_errno(errnum), errno_text(errnum, kernel_message)};
}

}  // namespace weft::kernel
