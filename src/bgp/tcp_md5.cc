// setsockopt(TCP_MD5SIG) with the peer's address as a sockaddr_storage (see tcp_md5.h). An IPv4
// peer on an IPv6 (dual-stack) listener is keyed by its v4-mapped address, as the kernel sees it.
#include "bgp/tcp_md5.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

namespace weft::bgp {

Result<void> set_tcp_md5(int fd, const IpAddress& peer, std::string_view key) {
  if (key.size() > TCP_MD5SIG_MAXKEYLEN) {
    return fail(Errc::invalid_argument, "TCP MD5 key longer than 80 octets");
  }
  tcp_md5sig sig{};
  sockaddr_storage family_probe{};
  socklen_t len = sizeof(family_probe);
  const bool v6_socket = getsockname(fd, reinterpret_cast<sockaddr*>(&family_probe), &len) == 0 &&
                         family_probe.ss_family == AF_INET6;
  if (peer.is_v4() && !v6_socket) {
    auto* sin = reinterpret_cast<sockaddr_in*>(&sig.tcpm_addr);
    sin->sin_family = AF_INET;
    std::memcpy(&sin->sin_addr, peer.bytes().data(), 4);
  } else {
    auto* sin6 = reinterpret_cast<sockaddr_in6*>(&sig.tcpm_addr);
    sin6->sin6_family = AF_INET6;
    if (peer.is_v4()) {
      sin6->sin6_addr.s6_addr[10] = 0xff;
      sin6->sin6_addr.s6_addr[11] = 0xff;
      std::memcpy(&sin6->sin6_addr.s6_addr[12], peer.bytes().data(), 4);
    } else {
      std::memcpy(&sin6->sin6_addr, peer.bytes().data(), 16);
    }
  }
  sig.tcpm_keylen = static_cast<uint16_t>(key.size());
  std::memcpy(sig.tcpm_key, key.data(), key.size());
  if (setsockopt(fd, IPPROTO_TCP, TCP_MD5SIG, &sig, sizeof(sig)) != 0) {
    return fail(Errc::io, "setsockopt(TCP_MD5SIG) for ", peer.to_string(), ": ",
                std::strerror(errno));
  }
  return {};
}

}  // namespace weft::bgp
