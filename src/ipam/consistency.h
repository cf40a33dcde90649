// IPAM consistency (issue 13): the checks behind `weft ipam check`, as a pure function from what
// the store holds (already decoded by the model codecs, consistency_read.h) and what hosts'
// kernels show, to a list of findings. No store, no kernel: unit-tested with tables.
//
// The checks, and what each finding means:
// - duplicate addresses: one address in two allocation records (overlapping blocks or pools), or
//   listed by two endpoints;
// - overlapping blocks: two distinct blocks (held, or with allocations) whose prefixes overlap;
// - allocations without endpoint: an allocated address whose attachment has no endpoint record,
//   or one that does not list the address;
// - endpoints without allocation: an endpoint listing an address that no allocation record gives
//   to its attachment, or listing no address at all;
// - endpoints without veth: an endpoint of a node whose kernel was read, whose host-side veth
//   (the IPAM sweeper's witness, ipam_protocol.h host_veth_name) is not there;
// - stale routes: a route of weft's (kernel::kWeftRouteProtocol) on a host whose destination is a
//   block of a pool (inside its CIDR, of its block length) that no affinity holds, or whose
//   holder has no liveness key (its lease is gone). Reservations need no liveness. Routes to
//   other prefixes (an external BGP peer's accepted prefixes) are no block's and not judged.
// - unreadable records: values the codecs refused. They are not guessed at: an address of an
//   unreadable allocation record, an attachment whose endpoint is unreadable and a route to a
//   block whose affinity is unreadable are left out of the other checks.
// The kernel checks cover only the nodes in `kernels`; Report::kernel_nodes says which.
#pragma once

#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/ip.h"
#include "ipam/address_block.h"
#include "kernel/route.h"
#include "model/block.h"
#include "model/endpoint.h"
#include "model/pool.h"

namespace weft::ipam::consistency {

// What the store holds, decoded.
struct StoreState {
  std::vector<model::Pool> pools;
  std::vector<model::BlockAffinity> blocks;
  std::vector<BlockAllocations> allocations;
  std::vector<model::Endpoint> endpoints;
  std::set<std::string> nodes;       // nodes with a node record
  std::set<std::string> live_nodes;  // nodes with a liveness key (it hangs on the node's lease)
  std::map<std::string, std::string> unreadable;  // store key -> why its value was refused
  int64_t revision = 0;
};

// One host's kernel, as read in its network namespace.
struct KernelState {
  std::string node;
  std::map<int, std::string> links;   // every device: ifindex -> name
  std::vector<kernel::Route> routes;  // weft's routes (kWeftRouteProtocol), main table, both families
};

enum class Check {
  duplicate_address,
  overlapping_blocks,
  allocation_without_endpoint,
  endpoint_without_allocation,
  endpoint_without_veth,
  stale_route,
  unreadable_record,
};
inline constexpr std::array kAllChecks = {
    Check::duplicate_address,   Check::overlapping_blocks,    Check::allocation_without_endpoint,
    Check::endpoint_without_allocation, Check::endpoint_without_veth, Check::stale_route,
    Check::unreadable_record,
};
std::string_view title(Check check);     // "duplicate addresses"
std::string_view json_name(Check check);  // "duplicateAddresses"
bool needs_kernel(Check check);           // endpoint_without_veth, stale_route

// The identity allocations and endpoints share: node, container id, interface.
struct Attachment {
  std::string node;
  std::string container_id;
  std::string ifname;
  std::string to_string() const;  // "h1/c1-eth0", as the endpoint key ends
  friend auto operator<=>(const Attachment&, const Attachment&) = default;
  friend bool operator==(const Attachment&, const Attachment&) = default;
};

// One finding. `message` says it in one line; the other fields are what a repair acts on and
// what -o json shows (each set only where it applies).
struct Finding {
  Check check = Check::duplicate_address;
  std::string message;
  std::string node;                       // the host (kernel checks) or the attachment's node
  std::optional<Attachment> attachment;   // the allocation's or endpoint's
  std::vector<IpAddress> addresses;       // the address(es) concerned
  std::string pool;                       // allocation_without_endpoint: the record's pool and block
  std::optional<Prefix> block;
  std::string veth;                       // endpoint_without_veth: the missing device
  int64_t endpoint_created_at_unix = 0;   // endpoint_without_veth
  std::optional<kernel::Route> route;     // stale_route, as read from the host
  std::string route_text;                 // stale_route, with device names
  std::vector<std::string> holders;       // duplicate_address: who holds it; overlapping_blocks: the two blocks
  std::string key;                        // unreadable_record: the store key
};

struct Report {
  std::vector<Finding> findings;  // in kAllChecks order, each check's in a stable order
  std::vector<std::string> kernel_nodes;  // whose kernel the kernel checks covered, sorted
  size_t count(Check check) const;
  bool clean() const { return findings.empty(); }
};

Report check(const StoreState& store, const std::vector<KernelState>& kernels);

// Why `route` is stale against `store` (the stale_route check for one route), nullopt when it is
// not: for a repair to look again, on a fresh read, before it deletes anything.
std::optional<std::string> stale_route_reason(const StoreState& store, const kernel::Route& route);

}  // namespace weft::ipam::consistency
