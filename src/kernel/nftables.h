// nftables through libnftables: run a script (atomically: one script is one transaction) and read
// a listing. Acts in the calling thread's network namespace. Knows nothing of what the rules mean.
//
// Errors: Errc::invalid_argument for a script the parser rejects, Errc::not_found for a listing of
// an object that does not exist, Errc::io otherwise; the message carries nft's own error text.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"

namespace weft::kernel {

Result<void> nft_run(std::string_view script);
// Runs a read command ("list table inet weft") and returns its text output.
Result<std::string> nft_list(std::string_view command);
// The ruleset generation (NFT_MSG_GETGEN over netfilter netlink): moves on with every committed
// transaction in the namespace. Errc::io when the kernel does not answer it.
Result<uint32_t> nft_generation();

}  // namespace weft::kernel
