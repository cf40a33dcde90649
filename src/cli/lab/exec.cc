// weft lab exec NAME -- CMD...: this process enters NAME's network namespace with setns() (not
// `ip netns exec`, which remounts /sys) and execs CMD there with WEFT_STORE set to the lab's
// store, so CMD's exit code is weft's. /sys stays the root namespace's view.
#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <iostream>

#include "cli/lab/commands.h"
#include "cli/lab/underlay.h"

namespace weft::cli::lab {

int exec(const std::string& state_dir, const std::string& name, const std::vector<std::string>& command) {
  if (command.empty()) {
    std::cerr << "weft: lab exec: no command given (weft lab exec NAME -- CMD...)\n";
    return exit_usage;
  }
  const std::string netns = netns_for(name);
  if (name.find('/') != std::string::npos || ::access(("/run/netns/" + netns).c_str(), F_OK) != 0) {
    return report(Error{Errc::not_found, "no lab namespace " + netns + " (see `weft lab status`)"});
  }
  std::string store(kStoreUrl);
  if (auto state = load_state(state_dir)) store = state->store;

  int fd = ::open(("/run/netns/" + netns).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0 || ::setns(fd, CLONE_NEWNET) != 0) {
    return report(Error{Errc::io, "cannot enter " + netns + ": " + std::strerror(errno)});
  }
  ::close(fd);
  ::setenv("WEFT_STORE", store.c_str(), 1);
  std::vector<std::string> argv = command;
  std::vector<char*> cargv;
  for (auto& a : argv) cargv.push_back(a.data());
  cargv.push_back(nullptr);
  std::cout.flush();
  ::execvp(cargv[0], cargv.data());
  const int err = errno;
  std::cerr << "weft: cannot run " << command[0] << " in " << netns << ": " << std::strerror(err) << '\n';
  return err == ENOENT ? 127 : 126;
}

}  // namespace weft::cli::lab
