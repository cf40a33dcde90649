// Interned path attributes: every distinct attribute set is stored once and shared by all the
// prefixes and peers that carry it, as BIRD's attribute cache (rta) does; a path then costs one
// pointer to its attributes.
//
// Memory: a set is kept in its wire encoding (RFC 4271 §4.3 path attributes, 4-octet AS form),
// in one allocation with the decision inputs (RFC 4271 §9.1.2.2, RFC 4456 §9) and the next hop
// computed at intern time: about 100 octets for a typical eBGP set, against ~500 for a decoded
// PathAttributes. attributes() decodes on demand (export, the CLI); the decision process and
// kernel hand-off read only the precomputed fields.
//
// Contract:
// - intern() returns the one StoredAttrs equal to the given set (next_hop compared apart, the
//   rest by its encoding), creating it with a reference count of zero; nullptr if the set cannot
//   be encoded (over 4096 octets). ref()/unref() count holders, and the last unref() frees the
//   set. Holders are stored paths and Adj-RIB-Out entries; they count explicitly so that a path
//   stays 16 octets (see path_set.h).
// - The RIB interns normalized sets: no NLRI, the effective AS_PATH, no AS4_* attributes.
// - Not thread-safe: the speaker runs on one io_context thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <unordered_map>

#include "bgp/message.h"
#include "bgp/wire.h"

namespace weft::bgp {

struct StoredAttrs {
  size_t hash = 0;
  uint32_t refs = 0;
  // Decision inputs.
  uint32_t local_pref = 100;  // absent: the default degree of preference
  uint32_t med = 0;           // absent: the lowest value (RFC 4271 §9.1.2.2 c)
  uint32_t neighbor_as = 0;   // first AS of the path; 0 when the path is empty
  uint32_t path_length = 0;
  std::optional<uint32_t> originator_id;
  std::optional<IpAddress> next_hop;  // the family's next hop (NEXT_HOP or MP_REACH's)
  uint16_t wire_size = 0;
  uint8_t origin = 0;
  uint8_t cluster_list_length = 0;

  ByteView wire() const { return {reinterpret_cast<const uint8_t*>(this + 1), wire_size}; }
  // The full set, decoded (with next_hop set).
  PathAttributes attributes() const;
};

class AttrPool {
 public:
  AttrPool() = default;
  AttrPool(const AttrPool&) = delete;
  AttrPool& operator=(const AttrPool&) = delete;
  ~AttrPool();

  StoredAttrs* intern(const PathAttributes& attrs);
  static void ref(StoredAttrs* a) { ++a->refs; }
  void unref(StoredAttrs* a);

  size_t size() const { return sets_.size(); }

 private:
  static void destroy(StoredAttrs* a);
  std::unordered_multimap<size_t, StoredAttrs*> sets_;
};

}  // namespace weft::bgp
