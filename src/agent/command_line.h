// weftd's command line: flags over a YAML file (--config) over the defaults of AgentConfig.
//
// Contract: parse_command_line() returns the merged, validated configuration; a flag given on the
// command line wins over the same key in the file, a key only in the file wins over the default.
// --help prints the usage and returns `exit_code` 0. Every usage error (unknown flag, bad value,
// unreadable or malformed file, bad label or duration) is invalid_argument with one line naming
// it; weftd prints it and exits 2.
#pragma once

#include <optional>

#include "agent/config.h"
#include "base/result.h"

namespace weft::agent {

struct CommandLine {
  AgentConfig config;
  std::optional<int> exit_code;  // set when weftd should exit at once (--help)
};

// `default_node_name` is the host name in weftd.
Result<CommandLine> parse_command_line(int argc, const char* const* argv, const std::string& default_node_name);

}  // namespace weft::agent
