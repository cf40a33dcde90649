#include "kernel/bpf.h"

namespace weft::kernel {

std::string_view to_string(TcDirection direction) {
  return direction == TcDirection::ingress ? "ingress" : "egress";
}

std::string bpf_program_pin(const std::string& pin_dir, std::string_view program) {
  return pin_dir + "/" + std::string(program);
}

std::string bpf_map_pin(const std::string& pin_dir, std::string_view map) {
  return pin_dir + "/maps/" + std::string(map);
}

}  // namespace weft::kernel
