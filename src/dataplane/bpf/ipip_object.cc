#include "dataplane/bpf/ipip_object.h"

#include <cstddef>
#include <cstring>

#include "dataplane/bpf/ipip_maps.h"

namespace weft::dataplane {
namespace {

// The C++ encoding below writes these layouts byte by byte: keep them in step with the BPF side.
static_assert(sizeof(weft_ipip_lpm_key) == 8);
static_assert(offsetof(weft_ipip_lpm_key, addr) == 4);
static_assert(sizeof(weft_ipip_tunnel) == 8);
static_assert(offsetof(weft_ipip_tunnel, local) == 4);
static_assert(sizeof(weft_u32) == 4);

template <class T>
kernel::Bytes bytes_of(const T& value) {
  kernel::Bytes out(sizeof value);
  std::memcpy(out.data(), &value, sizeof value);
  return out;
}

template <class T>
Result<T> value_of(const kernel::Bytes& bytes, std::string_view what) {
  if (bytes.size() != sizeof(T)) {
    return fail(Errc::invalid_argument, "BPF map ", what, ": expected ", std::to_string(sizeof(T)), " bytes, got ",
                std::to_string(bytes.size()));
  }
  T out;
  std::memcpy(&out, bytes.data(), sizeof out);
  return out;
}

// Addresses are kept in network byte order, as the packet carries them.
weft_u32 wire_address(const IpAddress& a) {
  weft_u32 out;
  std::memcpy(&out, a.bytes().data(), 4);
  return out;
}

IpAddress address_of(weft_u32 wire) {
  uint8_t b[4];
  std::memcpy(b, &wire, 4);
  return IpAddress::v4(uint32_t{b[0]} << 24 | uint32_t{b[1]} << 16 | uint32_t{b[2]} << 8 | b[3]);
}

Result<Prefix> prefix_of(const kernel::Bytes& key, std::string_view map) {
  auto k = value_of<weft_ipip_lpm_key>(key, map);
  if (!k) return std::unexpected(k.error());
  if (k->prefixlen > 32) return fail(Errc::invalid_argument, "BPF map ", map, ": prefix length ", std::to_string(k->prefixlen));
  return Prefix(address_of(k->addr), static_cast<int>(k->prefixlen));
}

}  // namespace

kernel::Bytes encode_lpm_key(const Prefix& prefix) {
  const weft_ipip_lpm_key key{.prefixlen = static_cast<weft_u32>(prefix.length()), .addr = wire_address(prefix.address())};
  return bytes_of(key);
}

kernel::BpfMapEntry encode(const IpipTunnel& tunnel) {
  const weft_ipip_tunnel value{.remote = wire_address(tunnel.remote), .local = wire_address(tunnel.local)};
  return {encode_lpm_key(tunnel.block), bytes_of(value)};
}

kernel::BpfMapEntry encode_pool(const Prefix& pool) { return {encode_lpm_key(pool), bytes_of(weft_u32{1})}; }

kernel::BpfMapEntry encode(const IpipNode& node) {
  const weft_u32 kind = node.self ? WEFT_IPIP_NODE_SELF : WEFT_IPIP_NODE_PEER;
  return {bytes_of(wire_address(node.address)), bytes_of(kind)};
}

Result<IpipTunnel> decode_tunnel(const kernel::BpfMapEntry& entry) {
  auto block = prefix_of(entry.key, kIpipTunnelMap);
  if (!block) return std::unexpected(block.error());
  auto value = value_of<weft_ipip_tunnel>(entry.value, kIpipTunnelMap);
  if (!value) return std::unexpected(value.error());
  return IpipTunnel{*block, address_of(value->remote), address_of(value->local)};
}

Result<Prefix> decode_pool(const kernel::BpfMapEntry& entry) { return prefix_of(entry.key, kIpipPoolMap); }

Result<IpipNode> decode_node(const kernel::BpfMapEntry& entry) {
  auto address = value_of<weft_u32>(entry.key, kIpipNodeMap);
  if (!address) return std::unexpected(address.error());
  auto kind = value_of<weft_u32>(entry.value, kIpipNodeMap);
  if (!kind) return std::unexpected(kind.error());
  if (*kind != WEFT_IPIP_NODE_SELF && *kind != WEFT_IPIP_NODE_PEER) {
    return fail(Errc::invalid_argument, "BPF map ", kIpipNodeMap, ": unknown node kind ", std::to_string(*kind));
  }
  return IpipNode{address_of(*address), *kind == WEFT_IPIP_NODE_SELF};
}

}  // namespace weft::dataplane
