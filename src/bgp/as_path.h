// AS path computations the RIB needs on received routes: the path length used by the decision
// process (RFC 4271 §9.1.2.2 a, RFC 5065 §5.3) and the reconstruction of the real path from
// AS_PATH and AS4_PATH sent by a 2-octet speaker (RFC 6793 §4.2.3).
#pragma once

#include <cstddef>
#include <optional>

#include "bgp/message.h"

namespace weft::bgp {

// An AS_SET counts as one, confederation segments as zero, every sequence AS as one.
size_t path_length(const AsPath& path);

// RFC 6793 §4.2.3: AS_PATH alone if AS4_PATH is absent, if AGGREGATOR carries an AS other than
// AS_TRANS, or if AS_PATH is shorter than AS4_PATH; otherwise the leading part of AS_PATH that
// makes the lengths equal (with adjacent confederation segments), then AS4_PATH. An absent
// AS_PATH gives an empty path.
AsPath effective_as_path(const PathAttributes& attrs);

// RFC 6793 §4.2.3: AS4_AGGREGATOR replaces an AGGREGATOR that carries AS_TRANS.
std::optional<Aggregator> effective_aggregator(const PathAttributes& attrs);

}  // namespace weft::bgp
