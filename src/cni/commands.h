// weft-cni's commands (CNI spec 1.0.0; GC and STATUS of 1.1.0), each a sequence of the pure
// parsing (cni_config.h), a call to weftd (ipam_client.h) and the kernel steps (container_net.h).
//
// ADD validates everything it can before it changes anything (environment, configuration, that
// CNI_NETNS is an enterable network namespace), then asks weftd for addresses, then wires the
// container; if wiring fails it removes what it made and gives the addresses back, so a failed
// ADD leaves nothing behind. DEL removes the host veth (its peer, addresses and routes go with
// it) and releases the addresses; it succeeds when they are gone already, but fails with code 11
// while weftd cannot be reached, so that the runtime retries instead of an address leaking.
// GC releases every attachment of this node the runtime did not list and removes their veths;
// STATUS reports weftd's readiness (code 50 when it cannot serve ADDs).
//
// Exit code 0 with the result (ADD), the version info (VERSION) or nothing on stdout; 1 with
// the spec's error object on stdout otherwise.
#pragma once

#include <string>
#include <string_view>

#include "cni/cni_config.h"

namespace weft::cni {

struct Outcome {
  int exit_code = 0;
  std::string stdout_text;
};

Outcome run_plugin(const Getenv& getenv, std::string_view stdin_text);

}  // namespace weft::cni
