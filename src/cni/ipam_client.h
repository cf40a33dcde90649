// The plugin's end of the IPAM socket (ipam_protocol.h): connect, send one request, read one
// response, all within a deadline.
//
// Contract: Errc::unavailable when weftd cannot be reached or does not answer in time (the
// socket is missing, refused, or the deadline passed: the plugin reports CNI code 11, "try again
// later"); invalid_argument when the answer cannot be decoded or is too long. A decoded answer
// that reports a failure is returned as a Response with its error set, not as an Error.
#pragma once

#include <chrono>
#include <string>

#include "base/result.h"
#include "ipam/ipam_protocol.h"

namespace weft::cni {

Result<ipam::protocol::Response> call_weftd(const std::string& socket_path, const ipam::protocol::Request& request,
                                            std::chrono::milliseconds timeout);

}  // namespace weft::cni
