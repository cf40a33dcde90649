// An nftables table of weft's own as a plain value, with its rendering to an nft script and the
// parsing of nft's listing back into the same value — so that a driver can diff what it wants
// with what the kernel has, and the recording fake can keep tables without nft.
//
// Contract:
// - replace_script(t) is one nft transaction that creates the table if missing, deletes it and
//   defines it again: applied atomically, never a moment without the table.
// - parse_listing(text) reads the output of `nft list table FAMILY NAME` (what libnftables prints
//   without -j): sets with their type, flags and elements, chains with their hook line and rules.
//   Counter values are dropped from rules ("counter packets 5 bytes 300" reads as "counter"), so a
//   table read back compares equal to the one written while packets flow. invalid_argument when
//   the text is not a table listing.
// - Rules are compared as text: write them the way nft prints them (the kernel integration test
//   checks a round trip through the real nft).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace weft::kernel {

// A named set, or a map when is_map (type "ifname : verdict", elements "\"weft1\" : jump in_weft1").
struct NftSet {
  std::string name{};
  std::string type{};                  // "ipv4_addr", "ipv6_addr", "ifname", "ipv4_addr . inet_proto . inet_service", ...
  bool interval = false;               // flags interval (prefixes as elements)
  std::vector<std::string> elements{};  // as nft prints them; compare with your own normalisation
  bool is_map = false;                 // written and read as `map NAME { … }`
  friend bool operator==(const NftSet&, const NftSet&) = default;
};

struct NftChain {
  std::string name{};
  std::string hook{};                // "type nat hook postrouting priority srcnat; policy accept;" ("" for a regular chain)
  std::vector<std::string> rules{};  // one rule per entry, counters written as plain "counter"
  friend bool operator==(const NftChain&, const NftChain&) = default;
};

struct NftTable {
  std::string family{};  // "inet", "ip", "ip6"
  std::string name{};
  std::vector<NftSet> sets{};
  std::vector<NftChain> chains{};
  friend bool operator==(const NftTable&, const NftTable&) = default;
};

// Element edits of one set or map, applied with a table's other edits in one transaction (an
// endpoint joining a selector changes set elements, not rules).
struct NftElementChange {
  std::string set{};
  std::vector<std::string> remove{};  // keys: an element of a set, a map element without ": verdict"
  std::vector<std::string> add{};     // elements as in NftSet::elements
  friend bool operator==(const NftElementChange&, const NftElementChange&) = default;
};

// The edits that turn an existing table into another, as one transaction (patch_script): what a
// policy change or an endpoint joining a selector touches, instead of the whole table. Applied
// in this order, so that nothing is referenced before it exists or deleted while referenced:
// sets added (with their elements), chains added (empty), rewritten chains flushed and given
// their rules, added chains given theirs, element changes (removals, then additions), chains
// deleted (flushed first), sets deleted.
struct NftTablePatch {
  std::vector<NftSet> add_sets{};
  std::vector<NftChain> add_chains{};      // regular chains (no hook), with their rules
  std::vector<NftChain> rewrite_chains{};  // existing chains (the hook unchanged): every rule replaced
  std::vector<NftElementChange> elements{};
  std::vector<std::string> delete_chains{};
  std::vector<NftSet> delete_sets{};  // by name (is_map says `delete map` or `delete set`)
  bool empty() const {
    return add_sets.empty() && add_chains.empty() && rewrite_chains.empty() && elements.empty() &&
           delete_chains.empty() && delete_sets.empty();
  }
  friend bool operator==(const NftTablePatch&, const NftTablePatch&) = default;
};

// The key of a set or map element: "\"weft1\" : jump in_weft1" -> "\"weft1\"".
std::string element_key(std::string_view element);

std::string replace_script(const NftTable& table);
std::string patch_script(std::string_view family, std::string_view table, const NftTablePatch& patch);
std::string delete_script(std::string_view family, std::string_view name);
Result<NftTable> parse_listing(std::string_view text);

}  // namespace weft::kernel
