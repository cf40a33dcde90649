// The conformance layout of the Kubernetes network-policy tests (issue 11), shared by the lab
// tests of pods and of policy: namespaces x, y, z with pods a, b, c each, spread over 3 hosts
// (x/a, y/a, z/a on h1; the b pods on h2; the c pods on h3), each pod labelled pod=<name> with
// named ports serve-80-tcp (80/TCP), serve-80-udp (80/UDP) and serve-81-tcp (81/TCP).
#pragma once

#include "lab_fixture.h"

namespace weft_e2e {

inline const std::vector<std::string> kNamespaces = {"x", "y", "z"};
inline const std::vector<std::string> kPods = {"a", "b", "c"};

inline std::string lab_pod(const std::string& ns, const std::string& pod) { return ns + "/" + pod; }

// The same lab's `weft` against its store, run from a host (lab exec sets WEFT_STORE).
inline Outcome weft_in(Lab& lab, const std::vector<std::string>& args) {
  std::vector<std::string> command{WEFT_CLI_PATH};
  command.insert(command.end(), args.begin(), args.end());
  return lab.exec("h1", command);
}

class LabPods : public Lab {
 public:
  void SetUp() override {
    Lab::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    auto up = lab({"up", "--hosts", "3", "--mode", "vxlan", "--pods-per-host", "0"});
    ASSERT_EQ(up.exit_code, 0) << up.out << up.err;
    int host = 0;
    for (const auto& ns : kNamespaces) {
      for (const auto& pod : kPods) {
        const std::string h = "h" + std::to_string(1 + host++ % 3);
        auto add = lab({"pod", "add", pod, "--host", h, "--namespace", ns, "--label", "pod=" + pod, "--port",
                        "serve-80-tcp=80/tcp", "--port", "serve-80-udp=80/udp", "--port", "serve-81-tcp=81"});
        ASSERT_EQ(add.exit_code, 0) << pod << " in " << ns << ": " << add.out << add.err;
      }
    }
  }
};

}  // namespace weft_e2e
