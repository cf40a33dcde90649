// weft lab down: stops the processes the lab recorded (only those still being the process the lab
// started), deletes every weft-lab-* namespace (also ones a crashed run left unrecorded), removes
// the state directory. Idempotent: with nothing to remove it says so and succeeds.
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <set>

#include "cli/lab/commands.h"
#include "cli/lab/processes.h"
#include "cli/lab/underlay.h"

namespace weft::cli::lab {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

int down(const std::string& state_dir, Context& ctx, bool quiet) {
  if (::geteuid() != 0) return report(Error{Errc::invalid_argument, "weft lab needs root (network namespaces)"});
  std::vector<std::string> notes;
  bool failed = false;

  auto state = load_state(state_dir);
  if (!state && state.error().code != Errc::not_found) {
    notes.push_back("cannot read the lab state (" + state.error().message +
                    "); removing the namespaces anyway, recorded processes may survive");
  }

  // Agents first (they may talk to etcd on their way out), then etcd.
  int stopped = 0;
  if (state) {
    std::vector<ProcessRecord> agents, others;
    for (const auto& p : state->processes) (p.role == "weftd" ? agents : others).push_back(p);
    stopped += stop_processes(agents, 3s, notes);
    stopped += stop_processes(others, 3s, notes);
  }

  std::set<std::string> namespaces;
  for (const auto& ns : lab_namespaces()) namespaces.insert(ns);
  int deleted = 0;
  for (const auto& ns : namespaces) {
    for (pid_t pid : processes_in_netns(ns)) {
      notes.push_back("process " + describe_pid(pid) + " still runs in " + ns +
                      "; the lab did not record it, so it is not killed");
    }
    if (auto r = delete_netns(ns); !r) {
      std::cerr << "weft: " << r.error().message << '\n';
      failed = true;
    } else {
      ++deleted;
    }
  }

  // The hosts' pinned BPF maps and programs (ipip modes): unpinned once their devices are gone.
  std::error_code ec;
  fs::remove_all(kBpfDir, ec);
  if (ec) {
    std::cerr << "weft: cannot remove " << kBpfDir << ": " << ec.message() << '\n';
    failed = true;
  }
  bool removed_dir = false;
  if (fs::exists(state_file(state_dir), ec) || (fs::is_directory(state_dir, ec) && fs::is_empty(state_dir, ec))) {
    fs::remove_all(state_dir, ec);
    if (ec) {
      std::cerr << "weft: cannot remove " << state_dir << ": " << ec.message() << '\n';
      failed = true;
    } else {
      removed_dir = true;
    }
  } else if (fs::exists(state_dir, ec)) {
    notes.push_back("left " + state_dir + " in place: it holds no lab.json, so it is not a lab's state directory");
  }

  for (const auto& n : notes) std::cerr << "weft: warning: " << n << '\n';
  if (ctx.json() && !quiet) {
    std::cout << Json{{"stoppedProcesses", stopped}, {"deletedNamespaces", deleted}, {"removedStateDir", removed_dir}}
                     .dump(2)
              << '\n';
  } else if (!ctx.json()) {
    if (stopped == 0 && deleted == 0 && !removed_dir) {
      std::cout << "no lab to remove\n";
    } else {
      std::cout << (quiet ? "  " : "") << "lab down: stopped " << stopped << " process(es), deleted " << deleted
                << " namespace(s)" << (removed_dir ? ", removed " + state_dir : std::string()) << '\n';
    }
  }
  return failed ? exit_error : exit_ok;
}

}  // namespace weft::cli::lab
