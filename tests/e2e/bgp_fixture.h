// What the BGP lab tests share: weft's CLI against the lab's store, and the sessions every
// weftd reports.
#pragma once

#include "lab_fixture.h"

namespace weft_e2e {

// `weft ARGS` (split at spaces) with the lab's store, run on h1.
inline Outcome weft_cli(Lab& lab, const std::string& args_line) {
  std::vector<std::string> argv{WEFT_CLI_PATH};  // `weft lab exec` sets WEFT_STORE: every etcd member
  std::string word;
  for (char c : args_line + " ") {
    if (c != ' ') {
      word += c;
    } else if (!word.empty()) {
      argv.push_back(word);
      word.clear();
    }
  }
  return lab.exec("h1", argv);
}

// node -> peer name -> state, from `weft bgp status -o json`. A failed command or an answer
// that is not a JSON array fails the test (it must not read as "no sessions").
inline std::map<std::string, std::map<std::string, std::string>> sessions(Lab& lab) {
  std::map<std::string, std::map<std::string, std::string>> out;
  auto r = weft_cli(lab, "bgp status -o json");
  auto status = weft::parse_json(r.out);
  EXPECT_TRUE(r.exit_code == 0 && status && status->is_array()) << "probe failed: weft bgp status: " << r.out << r.err;
  if (!status || !status->is_array()) return out;
  for (const auto& node : *status) {
    for (const auto& s : node["sessions"]) out[node["node"]][s["peer"]] = s["state"];
  }
  return out;
}

}  // namespace weft_e2e
