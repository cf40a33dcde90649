#include "cli/lab/port_matrix.h"

#include <algorithm>

#include "cli/table.h"

namespace weft::cli::lab {

size_t PortMatrix::allowed_count() const { return static_cast<size_t>(std::count(allowed.begin(), allowed.end(), true)); }

void print_port_matrix(const PortMatrix& m, std::ostream& out) {
  for (size_t p = 0; p < m.ports.size(); ++p) {
    std::vector<std::string> header{m.ports[p].protocol + "/" + std::to_string(m.ports[p].port)};
    header.insert(header.end(), m.pods.begin(), m.pods.end());
    Table table(header);
    for (size_t f = 0; f < m.pods.size(); ++f) {
      std::vector<std::string> row{m.pods[f]};
      for (size_t t = 0; t < m.pods.size(); ++t) row.push_back(m.allowed[m.index(f, t, p)] ? "." : "X");
      table.add(std::move(row));
    }
    table.print(out);
    out << '\n';
  }
  out << ".: allowed, X: blocked (rows: from, columns: to); " << m.allowed_count() << "/" << m.allowed.size()
      << " probes allowed\n";
}

Json port_matrix_json(const PortMatrix& m) {
  Json out{{"probes", Json::array()}};
  for (size_t f = 0; f < m.pods.size(); ++f) {
    for (size_t t = 0; t < m.pods.size(); ++t) {
      for (size_t p = 0; p < m.ports.size(); ++p) {
        out["probes"].push_back({{"from", m.pods[f]}, {"to", m.pods[t]}, {"protocol", m.ports[p].protocol},
                                 {"port", m.ports[p].port}, {"result", m.allowed[m.index(f, t, p)] ? "allowed" : "blocked"}});
      }
    }
  }
  const size_t allowed = m.allowed_count();
  out["summary"] = {{"probes", m.allowed.size()}, {"allowed", allowed}, {"blocked", m.allowed.size() - allowed}};
  return out;
}

}  // namespace weft::cli::lab
