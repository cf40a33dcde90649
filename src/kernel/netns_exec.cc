#include "kernel/netns_exec.h"

#include <sched.h>

#include <cerrno>
#include <memory>

#include "kernel/netns.h"

namespace weft::kernel {

namespace {

Command entering(NetnsFd fd, std::string_view what, Command command) {
  // Shared: every copy of the Command keeps the namespace open until the last one is gone.
  auto target = std::make_shared<NetnsFd>(std::move(fd));
  auto previous = std::move(command.before_exec);
  command.before_exec = [target, previous]() -> int {
    if (::setns(target->get(), CLONE_NEWNET) != 0) return errno;
    return previous ? previous() : 0;
  };
  command.before_exec_what = "entering network namespace " + std::string(what) +
                             (command.before_exec_what.empty() ? "" : " (then " + command.before_exec_what + ")");
  return command;
}

}  // namespace

Result<Command> in_netns(std::string_view name, Command command) {
  if (name.empty()) return command;
  auto fd = NetnsFd::open(name);
  if (!fd) return std::unexpected(fd.error());
  return entering(std::move(*fd), name, std::move(command));
}

Result<Command> in_netns_at(const std::string& path, Command command) {
  auto fd = NetnsFd::open_path(path);
  if (!fd) return std::unexpected(fd.error());
  return entering(std::move(*fd), path, std::move(command));
}

Result<CommandResult> run_in(std::string_view name, Command command, std::chrono::milliseconds timeout) {
  auto c = in_netns(name, std::move(command));
  if (!c) return std::unexpected(c.error());
  return run(*c, timeout);
}

Result<std::string> run_checked_in(std::string_view name, Command command, std::chrono::milliseconds timeout) {
  auto c = in_netns(name, std::move(command));
  if (!c) return std::unexpected(c.error());
  auto out = run_checked(*c, timeout);
  if (!out && !name.empty()) return wrap(out.error(), "in network namespace " + std::string(name));
  return out;
}

Result<Child> start_in(std::string_view name, Command command, const std::string& output) {
  auto c = in_netns(name, std::move(command));
  if (!c) return std::unexpected(c.error());
  return Child::start(*c, output);
}

}  // namespace weft::kernel
