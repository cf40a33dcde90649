#include "kernel/sysctl.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "kernel/errors.h"

namespace weft::kernel {

Result<std::string> sysctl_path(std::string_view key) {
  std::string relative(key);
  if (relative.find('/') == std::string::npos) std::replace(relative.begin(), relative.end(), '.', '/');
  bool escapes = relative.empty() || relative.front() == '/' || relative == ".." ||
                 relative.starts_with("../") || relative.find("/../") != std::string::npos ||
                 relative.ends_with("/..") || relative.find('\0') != std::string::npos;
  if (escapes) return fail(Errc::invalid_argument, "invalid sysctl key '", key, "'");
  return "/proc/sys/" + relative;
}

Result<std::string> read_sysctl(std::string_view key) {
  auto path = sysctl_path(key);
  if (!path) return std::unexpected(path.error());
  const std::string context = "reading sysctl " + std::string(key) + " (" + *path + ")";
  int fd = ::open(path->c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return wrap(errno_error(errno), context);
  std::string value;
  char buffer[4096];
  while (true) {
    ssize_t n = ::read(fd, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int error = errno;
      ::close(fd);
      return wrap(errno_error(error), context);
    }
    if (n == 0) break;
    value.append(buffer, static_cast<size_t>(n));
  }
  ::close(fd);
  while (!value.empty() && value.back() == '\n') value.pop_back();
  return value;
}

Result<void> write_sysctl(std::string_view key, std::string_view value) {
  auto path = sysctl_path(key);
  if (!path) return std::unexpected(path.error());
  const std::string context =
      "writing sysctl " + std::string(key) + " = " + std::string(value) + " (" + *path + ")";
  int fd = ::open(path->c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return wrap(errno_error(errno), context);
  // One write() call: /proc/sys handlers parse each write separately.
  std::string line(value);
  line.push_back('\n');
  ssize_t n;
  do {
    n = ::write(fd, line.data(), line.size());
  } while (n < 0 && errno == EINTR);
  int error = n < 0 ? errno : 0;
  ::close(fd);
  if (error != 0) return wrap(errno_error(error), context);
  if (static_cast<size_t>(n) != line.size()) {
    return fail(Errc::io, context, ": short write (", std::to_string(n), " of ",
                std::to_string(line.size()), " bytes)");
  }
  return {};
}

}  // namespace weft::kernel
