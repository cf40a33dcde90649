// weft's eBPF IPIP object (ipip.bpf.c) as the C++ side sees it: the object to load, its program
// and map names, and map entries encoded into / decoded from the layouts of ipip_maps.h. Pure
// (the encoding is checked against the BPF side's struct sizes at compile time).
#pragma once

#include <compare>
#include <string>
#include <string_view>

#include "base/ip.h"
#include "base/result.h"
#include "kernel/bpf.h"

namespace weft::dataplane {

inline constexpr std::string_view kIpipObjectName = "weft_ipip";
inline constexpr std::string_view kIpipEgressProgram = "weft_ipip_egress";
inline constexpr std::string_view kIpipIngressProgram = "weft_ipip_ingress";
inline constexpr std::string_view kIpipTunnelMap = "weft_ipip_tun";
inline constexpr std::string_view kIpipPoolMap = "weft_ipip_pool";
inline constexpr std::string_view kIpipNodeMap = "weft_ipip_node";

// The object, pinned under `pin_dir` (its ELF is embedded in weftd at build time).
kernel::BpfObjectSpec ipip_object(const std::string& pin_dir);

// weft_ipip_tun: IPv4 block -> outer destination and source.
struct IpipTunnel {
  Prefix block;
  IpAddress remote;
  IpAddress local;
  friend bool operator==(const IpipTunnel&, const IpipTunnel&) = default;
};
// weft_ipip_node: an underlay address, this node's or a peer's.
struct IpipNode {
  IpAddress address;
  bool self = false;
  friend bool operator==(const IpipNode&, const IpipNode&) = default;
};

kernel::Bytes encode_lpm_key(const Prefix& prefix);  // IPv4 only
kernel::BpfMapEntry encode(const IpipTunnel& tunnel);
kernel::BpfMapEntry encode_pool(const Prefix& pool);
kernel::BpfMapEntry encode(const IpipNode& node);

// invalid_argument when the bytes do not have the map's layout.
Result<IpipTunnel> decode_tunnel(const kernel::BpfMapEntry& entry);
Result<Prefix> decode_pool(const kernel::BpfMapEntry& entry);
Result<IpipNode> decode_node(const kernel::BpfMapEntry& entry);

}  // namespace weft::dataplane
