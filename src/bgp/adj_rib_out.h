// Adj-RIB-Out of one session (RFC 4271 §3.2, §9.2): what this speaker advertises to the peer,
// and the packing of changes into UPDATE messages.
//
// Contract:
// - set(prefix, attrs) records the attributes to advertise (nullptr: none) and queues the prefix
//   only if that differs from what is recorded; it holds a reference on `attrs`.
// - flush() turns the queued prefixes into UPDATE messages, each at most 4096 octets (RFC 4271
//   §4.3): withdrawals first, then one group of NLRI per attribute set, IPv4 in the classic
//   fields and IPv6 in MP_REACH/MP_UNREACH (RFC 4760). Exported attribute sets carry the
//   family's next hop in next_hop (export_policy.h).
// - requeue_all() re-sends everything (route refresh, RFC 2918 §4). clear() forgets everything
//   (the session went down: a new session starts from nothing).
#pragma once

#include <functional>
#include <vector>

#include "bgp/attr_pool.h"
#include "bgp/codec.h"
#include "bgp/path_set.h"
#include "bgp/prefix_map.h"

namespace weft::bgp {

class AdjRibOut {
 public:
  explicit AdjRibOut(AttrPool& pool) : pool_(pool) {}
  AdjRibOut(const AdjRibOut&) = delete;
  AdjRibOut& operator=(const AdjRibOut&) = delete;
  ~AdjRibOut() { clear(); }

  void set(const Prefix& prefix, StoredAttrs* attrs);
  const StoredAttrs* find(const Prefix& prefix) const;
  void requeue_all();
  void clear();
  bool pending() const { return !queued_.empty(); }
  size_t size() const { return sent_.size(); }

  // A one-entry cache of the exporter's rewrite (export_policy.h): prefixes sharing an attribute
  // set arrive together, so the same source set, source peer and family give the same result
  // without decoding the set again. It holds references, so a cached pointer is never reused.
  struct Memo {
    StoredAttrs* in = nullptr;
    PeerId from = 0;
    Family family = Family::v4;
    StoredAttrs* out = nullptr;  // nullptr: not exportable
  };
  const Memo* memo(const StoredAttrs* in, PeerId from, Family family) const {
    return memo_.in == in && memo_.from == from && memo_.family == family && in ? &memo_ : nullptr;
  }
  void set_memo(const Memo& m);

  // Calls `send` with each encoded UPDATE; returns how many.
  size_t flush(const EncodeOptions& options, const std::function<void(Bytes&&)>& send);

 private:
  AttrPool& pool_;
  PrefixMap<StoredAttrs*> sent_;
  Memo memo_;
  std::vector<Prefix> queued_;
};

// The End-of-RIB marker for `family` (RFC 4724 §2).
Update end_of_rib_marker(const AfiSafi& family);

}  // namespace weft::bgp
