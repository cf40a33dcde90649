#include "ipam/address_block.h"

#include "model/keys.h"

namespace weft::ipam {
namespace {

std::unexpected<Error> corrupt(std::string_view key, std::string_view what) {
  return fail(Errc::corrupt, key, ": ", what);
}

}  // namespace


Json encode(const BlockAllocations& allocations) {
  Json out = Json::object();
  for (const auto& [address, r] : allocations.addresses) {
    out[address.to_string()] = {{"containerId", r.container_id},
                                {"ifname", r.ifname},
                                {"node", r.node},
                                {"allocatedAt", r.allocated_at_unix}};
  }
  return out;
}

Result<BlockAllocations> decode_allocations(std::string_view key, std::string_view json_text) {
  const std::string prefix_text = model::keys::allocations_prefix();
  if (!key.starts_with(prefix_text)) return corrupt(key, "not an allocation key");
  const std::string_view rest = key.substr(prefix_text.size());
  const auto slash = rest.find('/');
  if (slash == std::string_view::npos || slash == 0) return corrupt(key, "allocation key has no pool");
  auto block = model::keys::block_from_key_segment(rest.substr(slash + 1));
  if (!block) return corrupt(key, block.error().message);
  BlockAllocations out{std::string(rest.substr(0, slash)), *block, {}};

  auto json = parse_json(json_text);
  if (!json) return corrupt(key, json.error().message);
  if (!json->is_object()) return corrupt(key, "value is not a JSON object");
  for (const auto& item : json->items()) {
    auto address = IpAddress::parse(item.key());
    if (!address) return corrupt(key, address.error().message);
    if (!out.block.contains(*address)) return corrupt(key, item.key() + " is outside the block");
    const Json& v = item.value();
    auto id = json_string(v, "containerId");
    auto ifname = json_string(v, "ifname");
    auto node = json_string(v, "node");
    auto at = json_int_or(v, "allocatedAt", 0);
    for (const auto* r : {&id, &ifname, &node}) {
      if (!*r) return corrupt(key, item.key() + ": " + r->error().message);
    }
    if (!at) return corrupt(key, item.key() + ": " + at.error().message);
    out.addresses[*address] = AllocationRecord{*id, *ifname, *node, *at};
  }
  return out;
}

uint64_t usable_addresses(const Prefix& block) { return block.size() - 1; }

uint64_t offset_in_block(const Prefix& block, const IpAddress& address) {
  if (address.is_v4()) return address.v4_host_order() - block.first().v4_host_order();
  // The low 64 bits hold every host bit of a block of /64 or longer; shorter IPv6 blocks are
  // capped at 2^63 addresses anyway (Prefix::size), so the low bits are all a cursor needs.
  uint64_t a = 0, b = 0;
  for (int i = 8; i < 16; ++i) {
    a = (a << 8) | address.bytes()[i];
    b = (b << 8) | block.first().bytes()[i];
  }
  return (a - b) & (~uint64_t{0} >> 1);
}

std::optional<IpAddress> pick_free_address(const Prefix& block, const std::set<IpAddress>& used,
                                           uint64_t start_offset) {
  const uint64_t size = block.size();
  if (size < 2) return std::nullopt;  // a /32 or /128 block has only its reserved first address
  uint64_t offset = start_offset == 0 || start_offset >= size ? 1 : start_offset;
  // At most used.size() + 1 probes find a free address when there is one: each probe that fails
  // hits a distinct used address. Bounded by the usable count, so a full block ends the loop.
  const uint64_t probes = std::min<uint64_t>(size - 1, used.size() + 1);
  for (uint64_t i = 0; i < probes; ++i) {
    IpAddress candidate = block.first().plus(offset);
    if (!used.contains(candidate)) return candidate;
    offset = offset + 1 >= size ? 1 : offset + 1;
  }
  return std::nullopt;
}

}  // namespace weft::ipam
