// TCP MD5 signatures for BGP sessions (RFC 2385; still what BIRD, GoBGP and routers offer).
//
// Contract: set_tcp_md5() installs (or, with an empty key, removes) the key the kernel uses for
// segments to and from `peer` on socket `fd`: on an outgoing socket before connect(), on a
// listening socket for each peer that may connect. Keys longer than 80 octets (TCP_MD5SIG_MAXKEYLEN)
// are refused with invalid_argument; a kernel without CONFIG_TCP_MD5SIG gives Errc::io.
#pragma once

#include <string_view>

#include "base/ip.h"
#include "base/result.h"

namespace weft::bgp {

Result<void> set_tcp_md5(int fd, const IpAddress& peer, std::string_view key);

}  // namespace weft::bgp
