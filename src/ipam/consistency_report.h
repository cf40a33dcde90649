// What `weft ipam check` and `weft lab ipam-check` print: one count per check (every check, zeros
// included; a kernel check no host's kernel was read for shows "-" and, in JSON, null), then each
// finding in one line, the hosts that could not be checked, and with --repair each repair and the
// check again. to_json() is the same as one document (README, "IPAM consistency").
#pragma once

#include <ostream>

#include "base/json.h"
#include "ipam/consistency_run.h"

namespace weft::ipam::consistency {

Json to_json(const Finding& finding);
Json to_json(const RunResult& result);
void print(std::ostream& out, const RunResult& result);

}  // namespace weft::ipam::consistency
