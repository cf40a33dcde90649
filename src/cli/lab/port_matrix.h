// The port matrix the Kubernetes network-policy test tools print, shared by `weft lab check
// --tcp/--udp` (what the network does) and `weft explain --matrix` (what the policies mean), so
// the two read alike and compare: one table per protocol and port, rows "from", columns "to", '.'
// allowed and 'X' blocked; as JSON, probes[] with from, to, protocol, port and result, and a
// summary.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "base/json.h"

namespace weft::cli::lab {

struct MatrixPort {
  std::string protocol;  // "tcp", "udp"
  uint16_t port = 0;
};

struct PortMatrix {
  std::vector<std::string> pods;  // the rows and the columns, in this order
  std::vector<MatrixPort> ports;
  std::vector<bool> allowed;      // from-major, then to, then port: index(f, t, p)
  size_t index(size_t from, size_t to, size_t port) const { return (from * pods.size() + to) * ports.size() + port; }
  size_t allowed_count() const;
};

// Every table, then "<legend>; A/N probes allowed".
void print_port_matrix(const PortMatrix& matrix, std::ostream& out);
// {"probes": [{from, to, protocol, port, result}, …] in index order, "summary": {probes, allowed, blocked}}.
Json port_matrix_json(const PortMatrix& matrix);

}  // namespace weft::cli::lab
