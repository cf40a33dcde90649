#include "kernel/address.h"

namespace weft::kernel {

std::string LinkAddress::to_string() const { return address.to_string() + "/" + std::to_string(prefix_length); }

}  // namespace weft::kernel
