#include "kernel/netns.h"

#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <system_error>

#include "base/log.h"
#include "kernel/errors.h"

namespace weft::kernel {
namespace {

std::unexpected<Error> os_fail(int errnum, std::string_view context) {
  return wrap(errno_error(errnum), context);
}

// iproute2's netns_add does the same: /run/netns must be a shared mount so that a namespace
// mounted there is visible in mount namespaces created later (containers, `ip netns exec`).
Result<void> ensure_netns_dir() {
  const std::string dir(kNetnsDir);
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) return os_fail(errno, "creating " + dir);
  bool bound = false;
  while (::mount("", dir.c_str(), "none", MS_SHARED | MS_REC, nullptr) != 0) {
    // EINVAL: not a mount point yet. Make it one by bind-mounting it on itself, then retry.
    if (errno != EINVAL || bound) return os_fail(errno, "making " + dir + " a shared mount");
    if (::mount(dir.c_str(), dir.c_str(), "none", MS_BIND | MS_REC, nullptr) != 0) {
      return os_fail(errno, "bind-mounting " + dir + " on itself");
    }
    bound = true;
  }
  return {};
}

}  // namespace

Result<void> validate_netns_name(std::string_view name) {
  if (name.empty() || name.size() > 255 || name == "." || name == ".." ||
      name.find('/') != std::string_view::npos || name.find('\0') != std::string_view::npos) {
    return fail(Errc::invalid_argument, "invalid network namespace name '", name, "'");
  }
  return {};
}

std::string netns_path(std::string_view name) {
  std::string path(kNetnsDir);
  path += '/';
  path += name;
  return path;
}

Result<void> create_netns(std::string_view name) {
  if (auto ok = validate_netns_name(name); !ok) return std::unexpected(ok.error());
  const std::string context = "creating network namespace " + std::string(name);
  if (auto ok = ensure_netns_dir(); !ok) return wrap(ok.error(), context);

  const std::string path = netns_path(name);
  int fd = ::open(path.c_str(), O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
  if (fd < 0) return os_fail(errno, context);
  ::close(fd);

  // unshare() on a short-lived helper thread so the caller's thread never changes namespace;
  // /proc/thread-self (not /proc/self) names the helper's own, new namespace.
  int error = 0;
  std::string step;
  try {
    std::thread helper([&] {
      if (::unshare(CLONE_NEWNET) != 0) {
        error = errno;
        step = "unshare";
      } else if (::mount("/proc/thread-self/ns/net", path.c_str(), "none", MS_BIND, nullptr) != 0) {
        error = errno;
        step = "bind-mounting the namespace on " + path;
      }
    });
    helper.join();
  } catch (const std::system_error& e) {
    error = e.code().value();
    step = "starting a helper thread";
  }
  if (error != 0) {
    ::unlink(path.c_str());
    return os_fail(error, context + " (" + step + ")");
  }
  return {};
}

Result<void> delete_netns(std::string_view name) {
  if (auto ok = validate_netns_name(name); !ok) return std::unexpected(ok.error());
  const std::string context = "deleting network namespace " + std::string(name);
  const std::string path = netns_path(name);
  // EINVAL: the file exists but is not a mount point (a half-made namespace): just remove it.
  if (::umount2(path.c_str(), MNT_DETACH) != 0 && errno != EINVAL) return os_fail(errno, context);
  if (::unlink(path.c_str()) != 0) return os_fail(errno, context);
  return {};
}

bool netns_exists(std::string_view name) {
  if (!validate_netns_name(name)) return false;
  struct stat st {};
  return ::stat(netns_path(name).c_str(), &st) == 0;
}

Result<std::vector<std::string>> list_netns() {
  std::vector<std::string> names;
  const std::string dir(kNetnsDir);
  DIR* handle = ::opendir(dir.c_str());
  if (handle == nullptr) {
    if (errno == ENOENT) return names;
    return os_fail(errno, "listing " + dir);
  }
  while (const dirent* entry = ::readdir(handle)) {
    std::string_view entry_name = entry->d_name;
    if (entry_name != "." && entry_name != "..") names.emplace_back(entry_name);
  }
  ::closedir(handle);
  std::sort(names.begin(), names.end());
  return names;
}

Result<NetnsFd> NetnsFd::open(std::string_view name) {
  if (auto ok = validate_netns_name(name); !ok) return std::unexpected(ok.error());
  auto fd = open_path(netns_path(name));
  if (!fd) return wrap(fd.error(), "opening network namespace " + std::string(name));
  return fd;
}

Result<NetnsFd> NetnsFd::open_path(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return os_fail(errno, "opening " + path);
  return NetnsFd(fd);
}

Result<NetnsFd> NetnsFd::current() { return open_path("/proc/thread-self/ns/net"); }

NetnsFd& NetnsFd::operator=(NetnsFd&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.fd_;
    other.fd_ = -1;
  }
  return *this;
}

NetnsFd::~NetnsFd() {
  if (fd_ >= 0) ::close(fd_);
}

Result<NetnsGuard> NetnsGuard::enter(std::string_view name) {
  auto target = NetnsFd::open(name);
  if (!target) return std::unexpected(target.error());
  auto guard = enter(*target);
  if (!guard) return wrap(guard.error(), "entering network namespace " + std::string(name));
  return guard;
}

Result<NetnsGuard> NetnsGuard::enter(const NetnsFd& target) {
  int original = ::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (original < 0) return os_fail(errno, "opening the current network namespace");
  if (::setns(target.get(), CLONE_NEWNET) != 0) {
    int error = errno;
    ::close(original);
    return os_fail(error, "setns");
  }
  return NetnsGuard(original, std::this_thread::get_id());
}

NetnsGuard::NetnsGuard(NetnsGuard&& other) noexcept
    : original_fd_(other.original_fd_), thread_(other.thread_) {
  other.original_fd_ = -1;
}

NetnsGuard::~NetnsGuard() {
  if (original_fd_ < 0) return;
  if (std::this_thread::get_id() != thread_) {
    spdlog::critical("NetnsGuard destroyed on another thread than the one it moved; aborting");
    std::abort();
  }
  if (::setns(original_fd_, CLONE_NEWNET) != 0) {
    spdlog::critical("cannot return to the original network namespace: {}", errno_text(errno));
    std::abort();
  }
  ::close(original_fd_);
}

}  // namespace weft::kernel
