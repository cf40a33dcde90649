// weft lab exec NAME -- CMD...: this process enters NAME's network namespace with setns() (not
// `ip netns exec`, which remounts /sys) and execs CMD there in place (no fork: there is no
// child to run, the command replaces weft) with WEFT_STORE set to the lab's
// store, so CMD's exit code is weft's. /sys stays the root namespace's view.
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <iostream>

#include "cli/lab/commands.h"
#include "cli/lab/underlay.h"
#include "kernel/netns.h"

namespace weft::cli::lab {

int exec(const std::string& state_dir, const std::string& name, const std::vector<std::string>& command) {
  if (command.empty()) {
    std::cerr << "weft: lab exec: no command given (weft lab exec NAME -- CMD...)\n";
    return exit_usage;
  }
  std::string netns = netns_for(name);
  std::string store(kStoreUrl);
  if (auto state = load_state(state_dir)) {
    store = state->store;
    for (const auto& pod : state->pods) {
      if (pod.name == name) netns = pod.netns;  // NAMESPACE/POD names a pod outside "default"
    }
  }
  if (netns.find('/') != std::string::npos || !kernel::netns_exists(netns)) {
    return report(Error{Errc::not_found, "no lab namespace " + netns + " (see `weft lab status`)"});
  }

  // This process becomes CMD, so the guard never moves it back (exec replaces it); only a
  // failed exec returns, and then the namespace does not matter any more.
  auto guard = kernel::NetnsGuard::enter(netns);
  if (!guard) return report(guard.error());
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
