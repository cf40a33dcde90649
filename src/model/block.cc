#include "model/block.h"

#include <algorithm>
#include <functional>

#include "model/keys.h"
#include "model/node.h"

namespace weft::model {

Json encode(const BlockAffinity& a) {
  Json j = {{"pool", a.pool}, {"block", a.block.to_string()}, {"node", a.node},
            {"claimedAt", a.claimed_at_unix}};
  if (a.reserved) j["reserved"] = true;
  return j;
}

Result<BlockAffinity> decode_affinity(std::string_view key, std::string_view json_text) {
  auto corrupt = [key](std::string_view what) {
    return fail(Errc::corrupt, "block ", key, ": ", what);
  };
  auto block = keys::block_from_key_segment(keys::last_segment(key));
  if (!block) return corrupt(block.error().message);
  auto j = parse_json(json_text);
  if (!j) return corrupt(j.error().message);
  auto node = json_string(*j, "node");
  if (!node) return corrupt(node.error().message);
  if (!valid_node_name(*node)) return corrupt("node name '" + *node + "' is not a host name");
  auto reserved = json_bool_or(*j, "reserved", false);
  if (!reserved) return corrupt(reserved.error().message);
  auto claimed = json_int_or(*j, "claimedAt", 0);
  if (!claimed) return corrupt(claimed.error().message);
  // keys: /weft/v1/blocks/<pool>/<block>
  std::string_view rest = key.substr(keys::blocks_prefix().size());
  std::string pool(rest.substr(0, rest.find('/')));
  return BlockAffinity{pool, *block, *node, *reserved, *claimed};
}

std::optional<Prefix> choose_block(const Pool& pool, const std::set<Prefix>& taken,
                                   std::string_view node, const std::optional<Prefix>& preferred) {
  if (preferred && preferred->length() == pool.block_length && pool.cidr.contains(*preferred) &&
      !taken.contains(*preferred)) {
    return preferred;
  }
  const uint64_t count = pool.block_count();
  if (count == 0 || taken.size() >= count) return std::nullopt;
  // Start points stay within the first 2^16 blocks: enough spread for any cluster, and IPv6 pools
  // with 2^60 blocks still hand out readable, low block addresses.
  const uint64_t start = std::hash<std::string_view>{}(node) % std::min<uint64_t>(count, 1u << 16);
  // Scans at most `taken.size() + 1` blocks before finding a free one, so this is cheap even for
  // pools with millions of blocks.
  for (uint64_t i = 0; i < count; ++i) {
    auto candidate = pool.cidr.subnet(pool.block_length, (start + i) % count);
    if (candidate && !taken.contains(*candidate)) return *candidate;
  }
  return std::nullopt;
}

}  // namespace weft::model
