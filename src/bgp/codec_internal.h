// Internal seams of the codec, shared by its .cc files; not part of the bgp library's interface.
#pragma once

#include <expected>
#include <optional>
#include <string>

#include "bgp/codec.h"

namespace weft::bgp::detail {

// RFC 4271 §4.2 OPEN body (after the header); version, parameters and capabilities.
std::expected<Open, DecodeError> decode_open(ByteView body);
void encode_open(const Open& open, Writer& w);

// RFC 4271 §4.3 UPDATE body, with the RFC 7606 error handling.
std::expected<Update, DecodeError> decode_update(ByteView body, const DecodeOptions& options);
void encode_update(const Update& update, const EncodeOptions& options, Writer& w);

// RFC 4271 §4.3 prefix encoding (length octet, then just enough octets). nullopt when the field
// is "incorrect" in the sense of RFC 7606 §5.3: a length beyond the family's width or an overrun.
std::optional<std::vector<Prefix>> decode_prefixes(ByteView field, Family family);
void encode_prefixes(const std::vector<Prefix>& prefixes, Writer& w);

}  // namespace weft::bgp::detail
