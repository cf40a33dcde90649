// weft lab: placeholder until the lab lands; the commands are registered here.
#include "cli/context.h"

namespace weft::cli {

void add_lab_commands(CLI::App& app, Context&, int&) {
  app.add_subcommand("lab", "a whole weft cluster on this machine, in network namespaces (not built yet)");
}

}  // namespace weft::cli
