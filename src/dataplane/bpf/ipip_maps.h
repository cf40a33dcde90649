/* The maps of weft's eBPF IPIP data path, shared by the BPF C program (ipip.bpf.c) and the C++
 * side (ipip_object.cc encodes entries into these layouts; its static_asserts pin the sizes).
 * Plain C, fixed-width types, addresses in network byte order, no padding.
 *
 *   weft_ipip_tun   LPM trie: remote block (prefix length + IPv4 address) -> the outer header's
 *                   destination (the block's node underlay address) and source (this node's).
 *   weft_ipip_pool  LPM trie: pool CIDR -> 1. A decapsulated packet's inner source must be in one
 *                   (pod-to-pod traffic) ...
 *   weft_ipip_node  hash: underlay IPv4 address -> WEFT_IPIP_NODE_SELF or WEFT_IPIP_NODE_PEER.
 *                   ... or its outer source must be a peer node (host-to-pod traffic). The outer
 *                   destination must be this node (SELF) for anything to be decapsulated.
 */
#ifndef WEFT_DATAPLANE_BPF_IPIP_MAPS_H
#define WEFT_DATAPLANE_BPF_IPIP_MAPS_H

#ifdef __cplusplus
#include <cstdint>
typedef std::uint32_t weft_u32;
#else
typedef __u32 weft_u32;
#endif

#define WEFT_IPIP_MAX_TUNNELS 65536
#define WEFT_IPIP_MAX_POOLS 1024
#define WEFT_IPIP_MAX_NODES 65536

#define WEFT_IPIP_NODE_SELF 1
#define WEFT_IPIP_NODE_PEER 2

/* The kernel's LPM trie key: prefix length first, then the address bytes. */
struct weft_ipip_lpm_key {
  weft_u32 prefixlen;
  weft_u32 addr; /* network byte order */
};

struct weft_ipip_tunnel {
  weft_u32 remote; /* outer destination, network byte order */
  weft_u32 local;  /* outer source, network byte order */
};

#endif
