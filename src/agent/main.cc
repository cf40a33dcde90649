// weftd: the weft node agent. See agent.h for what it does, config.h and command_line.h for its
// settings. main() opens what the agent acts on — the store, the kernel — and runs it.
#include <unistd.h>

#include <climits>
#include <iostream>

#include "agent/agent.h"
#include "agent/command_line.h"
#include "base/log.h"
#include "kernel/netlink_kernel.h"
#include "store/store.h"

int main(int argc, char** argv) {
  char host[HOST_NAME_MAX + 1] = {};
  const std::string host_name = ::gethostname(host, sizeof host) == 0 ? host : "";
  weft::init_logging("info");
  auto command_line = weft::agent::parse_command_line(argc, argv, host_name);
  if (!command_line) {
    std::cerr << "weftd: " << command_line.error().message << '\n';
    return 2;
  }
  if (command_line->exit_code) return *command_line->exit_code;
  const auto& config = command_line->config;
  weft::set_log_level(config.log_level);

  auto store = weft::store::open_store(
      {config.store_url, config.tls_ca, config.tls_cert, config.tls_key, std::chrono::milliseconds(5000)});
  if (!store) {
    spdlog::error("weftd: opening the store: {}", store.error().describe());
    return 1;
  }
  auto kernel = weft::kernel::open_netlink_kernel();
  if (!kernel) {
    spdlog::error("weftd: opening netlink: {}", kernel.error().describe());
    return 1;
  }
  weft::agent::Agent agent(config, {**store, **kernel, weft::system_clock()});
  return agent.run();
}
