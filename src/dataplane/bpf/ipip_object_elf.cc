// The IPIP object's ELF bytes, embedded at build time (cmake/embed_bytes.cmake writes the array).
#include <cstddef>

#include "dataplane/bpf/ipip_object.h"

namespace weft::dataplane::embedded {
extern const unsigned char ipip_bpf[];
extern const std::size_t ipip_bpf_size;
}  // namespace weft::dataplane::embedded

namespace weft::dataplane {

kernel::BpfObjectSpec ipip_object(const std::string& pin_dir) {
  return kernel::BpfObjectSpec{.name = std::string(kIpipObjectName),
                               .elf = {embedded::ipip_bpf, embedded::ipip_bpf_size},
                               .pin_dir = pin_dir,
                               .programs = {std::string(kIpipEgressProgram), std::string(kIpipIngressProgram)}};
}

}  // namespace weft::dataplane
