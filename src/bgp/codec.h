// The BGP-4 message codec: pure functions from bytes to message values and back.
//
// Contract:
// - decode() takes exactly one whole message (header included), never reads outside it, never
//   throws or aborts, and on malformed input returns a DecodeError whose `action` is what
//   RFC 7606 prescribes (RFC 4271 §6 for everything that is not an UPDATE attribute). An UPDATE
//   whose only faults are attribute-discard ones decodes successfully and lists them in
//   Update::discarded.
// - encode() produces a message that decode() with matching options turns back into the same
//   value; it fails with Errc::invalid_argument only when the message would exceed 4096 octets
//   (the caller then splits the UPDATE).
// - format() renders any message on one line for logs.
#pragma once

#include <expected>
#include <string>

#include "base/result.h"
#include "bgp/errors.h"
#include "bgp/message.h"
#include "bgp/wire.h"

namespace weft::bgp {

// What the session has negotiated that changes how UPDATEs are read.
struct DecodeOptions {
  bool four_octet_as = true;  // both sides sent the 4-octet AS capability (RFC 6793 §4.1)
  bool ebgp = false;          // the peer is external: RFC 7606 §7.5, 7.9, 7.10 discard rules
};

struct EncodeOptions {
  // false: AS_PATH and AGGREGATOR in 2-octet form with AS_TRANS, plus AS4_PATH/AS4_AGGREGATOR
  // when needed (RFC 6793 §4.2.2). true: AS4_PATH/AS4_AGGREGATOR are never sent (§4.1).
  bool four_octet_as = true;
};

// Validates a 19-octet header (marker, length range, known type) and returns the total length of
// the message it starts, so that a reader knows how many octets to wait for (RFC 4271 §6.1).
std::expected<size_t, DecodeError> message_length(ByteView header);

std::expected<Message, DecodeError> decode(ByteView bytes, const DecodeOptions& options = {});

Result<Bytes> encode(const Message& message, const EncodeOptions& options = {});

std::string format(const Message& message);
std::string format(const Open& open);
std::string format(const Update& update);
std::string format(const AfiSafi& family);  // "ipv4-unicast", "afi 25 safi 70"
std::string format(const AsPath& path);     // "65001 65002 {65003 65004}"

}  // namespace weft::bgp
