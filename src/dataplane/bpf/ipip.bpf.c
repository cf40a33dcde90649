// weft's IPIP encapsulation as tc programs on the underlay interface (clsact), for kernels
// without the ipip module (ipip_maps.h describes the maps; dataplane/ipip.h the backend).
//
// egress:  an IPv4 packet whose destination is in a remote block (weft_ipip_tun) gets an outer
//          IPv4 header (protocol 4, TTL 64, the inner TOS and DF bit) pushed after the Ethernet
//          header. The route that sent it here already chose the outer next hop (the remote node
//          on this segment, or the underlay gateway), so the Ethernet header stays as it is.
//          BPF_F_ADJ_ROOM_ENCAP_L3_IPV4 marks the skb as IPIP so GSO segments it correctly;
//          FIXED_GSO keeps gso_size, which the workload MTU (underlay - 20) already leaves room for.
// ingress: a protocol-4 packet addressed to this node (weft_ipip_node SELF) whose inner source is
//          in a pool or whose outer source is a peer node loses its outer header and goes on up
//          the stack as the inner packet. Other protocol-4 packets for this node are dropped
//          (nothing else here would take them); everything else passes untouched.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "ipip_maps.h"

#ifndef BPF_F_ADJ_ROOM_DECAP_L3_IPV4
#define BPF_F_ADJ_ROOM_DECAP_L3_IPV4 (1ULL << 7) /* kernel 6.3 uapi; older headers lack it */
#endif

#define IP_DF 0x4000
#define OUTER_TTL 64

struct {
  __uint(type, BPF_MAP_TYPE_LPM_TRIE);
  __uint(max_entries, WEFT_IPIP_MAX_TUNNELS);
  __type(key, struct weft_ipip_lpm_key);
  __type(value, struct weft_ipip_tunnel);
  __uint(map_flags, BPF_F_NO_PREALLOC);
  __uint(pinning, LIBBPF_PIN_BY_NAME);
} weft_ipip_tun SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_LPM_TRIE);
  __uint(max_entries, WEFT_IPIP_MAX_POOLS);
  __type(key, struct weft_ipip_lpm_key);
  __type(value, weft_u32);
  __uint(map_flags, BPF_F_NO_PREALLOC);
  __uint(pinning, LIBBPF_PIN_BY_NAME);
} weft_ipip_pool SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, WEFT_IPIP_MAX_NODES);
  __type(key, weft_u32);
  __type(value, weft_u32);
  __uint(pinning, LIBBPF_PIN_BY_NAME);
} weft_ipip_node SEC(".maps");

static __always_inline __u16 ipv4_checksum(const struct iphdr *ip) {
  const __u16 *word = (const __u16 *)ip;
  __u32 sum = 0;
#pragma unroll
  for (int i = 0; i < (int)(sizeof(*ip) / 2); i++) sum += word[i];
  sum = (sum & 0xffff) + (sum >> 16);
  sum = (sum & 0xffff) + (sum >> 16);
  return (__u16)~sum;
}

SEC("tc")
int weft_ipip_egress(struct __sk_buff *skb) {
  if (skb->protocol != bpf_htons(ETH_P_IP)) return TC_ACT_OK;
  struct iphdr inner;
  if (bpf_skb_load_bytes(skb, ETH_HLEN, &inner, sizeof(inner)) < 0) return TC_ACT_OK;
  if (inner.version != 4) return TC_ACT_OK;
  struct weft_ipip_lpm_key key = {.prefixlen = 32, .addr = inner.daddr};
  const struct weft_ipip_tunnel *tunnel = bpf_map_lookup_elem(&weft_ipip_tun, &key);
  if (!tunnel) return TC_ACT_OK;

  struct iphdr outer = {};
  outer.version = 4;
  outer.ihl = sizeof(outer) / 4;
  outer.tos = inner.tos;
  // For a GSO packet this is the super-packet's length; segmentation rewrites it per segment.
  outer.tot_len = bpf_htons(bpf_ntohs(inner.tot_len) + sizeof(outer));
  outer.frag_off = inner.frag_off & bpf_htons(IP_DF);
  outer.ttl = OUTER_TTL;
  outer.protocol = IPPROTO_IPIP;
  outer.saddr = tunnel->local;
  outer.daddr = tunnel->remote;
  outer.check = ipv4_checksum(&outer);

  if (bpf_skb_adjust_room(skb, sizeof(outer), BPF_ADJ_ROOM_MAC,
                          BPF_F_ADJ_ROOM_ENCAP_L3_IPV4 | BPF_F_ADJ_ROOM_FIXED_GSO) < 0) {
    return TC_ACT_SHOT;
  }
  if (bpf_skb_store_bytes(skb, ETH_HLEN, &outer, sizeof(outer), 0) < 0) return TC_ACT_SHOT;
  return TC_ACT_OK;
}

SEC("tc")
int weft_ipip_ingress(struct __sk_buff *skb) {
  if (skb->protocol != bpf_htons(ETH_P_IP)) return TC_ACT_OK;
  struct iphdr outer;
  if (bpf_skb_load_bytes(skb, ETH_HLEN, &outer, sizeof(outer)) < 0) return TC_ACT_OK;
  if (outer.version != 4 || outer.protocol != IPPROTO_IPIP) return TC_ACT_OK;
  weft_u32 daddr = outer.daddr;
  const weft_u32 *self = bpf_map_lookup_elem(&weft_ipip_node, &daddr);
  if (!self || *self != WEFT_IPIP_NODE_SELF) return TC_ACT_OK;  // not ours to take apart
  // Outer options or fragments: weft never sends them; the inner header would not be at 20.
  if (outer.ihl != 5 || (outer.frag_off & bpf_htons(0x3fff)) != 0) return TC_ACT_SHOT;

  struct iphdr inner;
  if (bpf_skb_load_bytes(skb, ETH_HLEN + sizeof(outer), &inner, sizeof(inner)) < 0) return TC_ACT_SHOT;
  struct weft_ipip_lpm_key key = {.prefixlen = 32, .addr = inner.saddr};
  int allowed = bpf_map_lookup_elem(&weft_ipip_pool, &key) != 0;
  if (!allowed) {
    weft_u32 saddr = outer.saddr;
    const weft_u32 *peer = bpf_map_lookup_elem(&weft_ipip_node, &saddr);
    allowed = peer && *peer == WEFT_IPIP_NODE_PEER;
  }
  if (!allowed) return TC_ACT_SHOT;

  if (bpf_skb_adjust_room(skb, -(int)sizeof(outer), BPF_ADJ_ROOM_MAC,
                          BPF_F_ADJ_ROOM_FIXED_GSO | BPF_F_ADJ_ROOM_DECAP_L3_IPV4) < 0) {
    return TC_ACT_SHOT;
  }
  return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "GPL";
