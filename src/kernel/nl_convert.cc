#include "kernel/nl_convert.h"

#include <sys/socket.h>

#include <cstdlib>
#include <cstring>

#include <netlink/errno.h>

#include "kernel/errors.h"

namespace weft::kernel {

int address_family(Family family) { return family == Family::v4 ? AF_INET : AF_INET6; }
int address_family(const IpAddress& address) { return address_family(address.family()); }

NlAddrPtr to_nl_addr(const IpAddress& address, int prefix_length) {
  size_t size = address.is_v4() ? 4 : 16;
  NlAddrPtr result(nl_addr_build(address_family(address), address.bytes().data(), size));
  if (result) nl_addr_set_prefixlen(result.get(), prefix_length >= 0 ? prefix_length : address.bit_width());
  return result;
}

NlAddrPtr to_nl_addr(const Prefix& prefix) { return to_nl_addr(prefix.address(), prefix.length()); }

NlAddrPtr to_nl_addr(const MacAddress& mac) {
  return NlAddrPtr(nl_addr_build(AF_LLC, mac.bytes().data(), mac.bytes().size()));
}

std::optional<IpAddress> ip_from_nl(const nl_addr* address) {
  if (address == nullptr) return std::nullopt;
  const auto* data = static_cast<const uint8_t*>(nl_addr_get_binary_addr(address));
  switch (nl_addr_get_len(address)) {
    case 4:
      return IpAddress::v4((uint32_t{data[0]} << 24) | (uint32_t{data[1]} << 16) |
                           (uint32_t{data[2]} << 8) | uint32_t{data[3]});
    case 16: {
      std::array<uint8_t, 16> bytes{};
      std::memcpy(bytes.data(), data, bytes.size());
      return IpAddress::v6(bytes);
    }
    default:
      return std::nullopt;
  }
}

std::optional<MacAddress> mac_from_nl(const nl_addr* address) {
  if (address == nullptr || nl_addr_get_len(address) != 6) return std::nullopt;
  std::array<uint8_t, 6> bytes{};
  std::memcpy(bytes.data(), nl_addr_get_binary_addr(address), bytes.size());
  return MacAddress(bytes);
}

Error libnl_error(int nl_error_code) {
  int code = std::abs(nl_error_code);
  // The kernel changed the table while dumping it: the listing is inconsistent, retry.
  Errc errc = code == NLE_DUMP_INTR ? Errc::conflict : Errc::internal;
  return Error{errc,
               std::string("libnl: ") + nl_geterror(code) + " (libnl error " + std::to_string(code) + ")"};
}

}  // namespace weft::kernel
