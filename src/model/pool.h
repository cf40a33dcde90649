// Pool: a range of workload addresses cut into blocks that nodes lease, and the way packets reach
// a remote block (DESIGN.md, "The model"). Pure values and their JSON codec; no store access.
//
// validate() returns Errc::invalid_argument with a message an operator can act on; decode()
// returns Errc::corrupt for a stored value that cannot be read (naming what is wrong).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/ip.h"
#include "base/json.h"
#include "base/result.h"

namespace weft::model {

enum class Encapsulation { none, vxlan, ipip };
enum class Encapsulate { always, cross_subnet };
enum class RouteSource { store, bgp };

std::string_view to_string(Encapsulation e);
std::string_view to_string(Encapsulate e);
std::string_view to_string(RouteSource r);
Result<Encapsulation> parse_encapsulation(std::string_view text);
Result<Encapsulate> parse_encapsulate(std::string_view text);
Result<RouteSource> parse_route_source(std::string_view text);

struct Pool {
  static constexpr int default_v4_block_length = 26;
  static constexpr int default_v6_block_length = 122;

  std::string name;
  Prefix cidr;
  int block_length = default_v4_block_length;
  Encapsulation encapsulation = Encapsulation::none;
  Encapsulate encapsulate = Encapsulate::always;
  RouteSource routes = RouteSource::store;
  bool nat_outgoing = false;
  // Set while the pool is being deleted: no block may be claimed from it.
  bool disabled = false;

  uint64_t block_count() const { return cidr.subnet_count(block_length); }
  friend bool operator==(const Pool&, const Pool&) = default;
};

// Whether remote blocks of the pool are routed by BGP: routes bgp, unless the pool tunnels with
// VXLAN (VXLAN routes always come from the store).
bool routed_by_bgp(const Pool& pool);

// Checks one pool on its own: name, block length range, settings that make sense together.
Result<void> validate(const Pool& pool);
// Checks a pool about to be added: unique name, no overlapping CIDR against the existing ones;
// and settings refused since pools could already hold them (vxlan with routes bgp), which stored
// pools are therefore not held to (decode_pool accepts them, see routed_by_bgp).
Result<void> validate_against(const Pool& pool, const std::vector<Pool>& existing);

Json encode(const Pool& pool);
Result<Pool> decode_pool(std::string_view json_text);

// A name usable in keys and on the command line: 1-63 of [a-z0-9-], not starting with '-'.
bool valid_name(std::string_view name);

}  // namespace weft::model
