// UPDATE packing (see adj_rib_out.h). The size of an UPDATE with its attributes and no NLRI is
// measured once per attribute set by encoding it; prefixes are then added while they fit, each
// taking 1 + ceil(length / 8) octets (RFC 4271 §4.3). One octet more is reserved for MP_REACH,
// whose length field may grow to two octets (extended length) as NLRI are added.
#include "bgp/adj_rib_out.h"

#include <algorithm>
#include <unordered_map>

namespace weft::bgp {
namespace {

size_t nlri_size(const Prefix& p) { return 1 + static_cast<size_t>(p.length() + 7) / 8; }

Update with_nlri(const PathAttributes& attrs, Family family, std::vector<Prefix> nlri) {
  Update u;
  u.attributes = attrs;
  if (family == Family::v4) {
    u.nlri = std::move(nlri);
  } else {
    u.attributes.mp_reach = MpReach{kIpv6Unicast, attrs.next_hop.value_or(IpAddress{}),
                                    std::nullopt, std::move(nlri)};
    u.attributes.next_hop.reset();
  }
  return u;
}

Update withdrawal(Family family, std::vector<Prefix> prefixes) {
  Update u;
  if (family == Family::v4) {
    u.withdrawn = std::move(prefixes);
  } else {
    u.attributes.mp_unreach = MpUnreach{kIpv6Unicast, std::move(prefixes)};
  }
  return u;
}

// Splits `prefixes` into chunks whose NLRI fit in `budget` octets and sends each as make(chunk).
template <class Make>
size_t send_chunks(const std::vector<Prefix>& prefixes, size_t budget, Make&& make,
                   const EncodeOptions& options, const std::function<void(Bytes&&)>& send) {
  size_t messages = 0;
  std::vector<Prefix> chunk;
  size_t used = 0;
  auto emit = [&] {
    if (chunk.empty()) return;
    if (auto bytes = encode(Message(make(std::move(chunk))), options)) {
      send(std::move(*bytes));
      ++messages;
    }
    chunk.clear();
    used = 0;
  };
  for (const Prefix& p : prefixes) {
    if (used + nlri_size(p) > budget) emit();
    chunk.push_back(p);
    used += nlri_size(p);
  }
  emit();
  return messages;
}

}  // namespace

void AdjRibOut::set(const Prefix& prefix, StoredAttrs* attrs) {
  StoredAttrs** slot = sent_.find(prefix);
  const StoredAttrs* now = slot ? *slot : nullptr;
  if (now == attrs) return;
  if (slot) {
    pool_.unref(*slot);
    if (attrs == nullptr) sent_.erase(prefix);
  }
  if (attrs) {
    AttrPool::ref(attrs);
    sent_.at(prefix) = attrs;
  }
  queued_.push_back(prefix);
}

const StoredAttrs* AdjRibOut::find(const Prefix& prefix) const {
  auto* slot = sent_.find(prefix);
  return slot ? *slot : nullptr;
}

void AdjRibOut::requeue_all() {
  sent_.for_each([&](const Prefix& p, StoredAttrs*&) { queued_.push_back(p); });
}

void AdjRibOut::set_memo(const Memo& m) {
  if (m.in) AttrPool::ref(m.in);
  if (m.out) AttrPool::ref(m.out);
  if (memo_.in) pool_.unref(memo_.in);
  if (memo_.out) pool_.unref(memo_.out);
  memo_ = m;
}

void AdjRibOut::clear() {
  set_memo({});
  sent_.for_each([&](const Prefix&, StoredAttrs*& a) { pool_.unref(a); });
  sent_ = {};
  queued_.clear();
}

size_t AdjRibOut::flush(const EncodeOptions& options, const std::function<void(Bytes&&)>& send) {
  if (queued_.empty()) return 0;
  std::vector<Prefix> queued;
  queued.swap(queued_);
  std::sort(queued.begin(), queued.end());
  queued.erase(std::unique(queued.begin(), queued.end()), queued.end());

  std::vector<Prefix> withdrawn[2];
  std::unordered_map<const StoredAttrs*, std::vector<Prefix>> groups[2];
  std::vector<const StoredAttrs*> order[2];  // first-seen order, so output is deterministic
  for (const Prefix& p : queued) {
    const int f = p.family() == Family::v4 ? 0 : 1;
    if (const StoredAttrs* a = find(p)) {
      auto& g = groups[f][a];
      if (g.empty()) order[f].push_back(a);
      g.push_back(p);
    } else {
      withdrawn[f].push_back(p);
    }
  }
  constexpr size_t kRoom = kMaxMessageSize - kHeaderSize - 4;  // minus the two length fields
  size_t messages = 0;
  for (int f = 0; f < 2; ++f) {
    const Family family = f == 0 ? Family::v4 : Family::v6;
    // An MP_UNREACH attribute takes 3 octets (flags, type, extended length) plus AFI/SAFI.
    const size_t budget = f == 0 ? kRoom : kRoom - 7;
    messages += send_chunks(withdrawn[f], budget,
                            [&](std::vector<Prefix> c) { return withdrawal(family, std::move(c)); },
                            options, send);
  }
  for (int f = 0; f < 2; ++f) {
    const Family family = f == 0 ? Family::v4 : Family::v6;
    for (const StoredAttrs* a : order[f]) {
      const PathAttributes attrs = a->attributes();
      auto empty = encode(Message(with_nlri(attrs, family, {})), options);
      if (!empty || empty->size() + 1 >= kMaxMessageSize) continue;  // cannot carry any NLRI
      const size_t budget = kMaxMessageSize - empty->size() - 1;
      messages += send_chunks(
          groups[f][a], budget,
          [&](std::vector<Prefix> c) { return with_nlri(attrs, family, std::move(c)); }, options,
          send);
    }
  }
  return messages;
}

Update end_of_rib_marker(const AfiSafi& family) {
  Update u;
  if (family != kIpv4Unicast) u.attributes.mp_unreach = MpUnreach{family, {}};
  return u;
}

}  // namespace weft::bgp
