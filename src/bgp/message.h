// BGP-4 messages as plain values: what the codec decodes into and encodes from.
//
// RFC 4271 §4 (message formats), RFC 5492 (capabilities), RFC 4760 (multiprotocol), RFC 6793
// (4-octet AS), RFC 2918 (route refresh), RFC 4724 (graceful restart), RFC 1997 (communities),
// RFC 4456 (route reflection attributes).
//
// Values carry no wire details that do not matter to a router: the grouping of capabilities into
// optional parameters, the extended-length flag and the reserved octets are chosen by the
// encoder. So decode(encode(v)) == v for every decoded v, while encode(decode(b)) may differ from
// b in those details. BGP identifiers, ORIGINATOR_ID and CLUSTER_LIST ids are host-order integers.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <variant>
#include <vector>

#include "base/ip.h"
#include "bgp/errors.h"

namespace weft::bgp {

inline constexpr size_t kHeaderSize = 19;
inline constexpr size_t kMaxMessageSize = 4096;  // RFC 4271 §4.1
inline constexpr uint32_t kAsTrans = 23456;      // RFC 6793 §9

enum class MessageType : uint8_t {
  open = 1,
  update = 2,
  notification = 3,
  keepalive = 4,
  route_refresh = 5,  // RFC 2918
};

// An address family, kept as raw numbers so that families this speaker does not handle can still
// be carried in capabilities and logged.
struct AfiSafi {
  uint16_t afi = 0;
  uint8_t safi = 0;
  friend auto operator<=>(const AfiSafi&, const AfiSafi&) = default;
};
inline constexpr uint16_t kAfiIpv4 = 1;
inline constexpr uint16_t kAfiIpv6 = 2;
inline constexpr uint8_t kSafiUnicast = 1;
inline constexpr AfiSafi kIpv4Unicast{kAfiIpv4, kSafiUnicast};
inline constexpr AfiSafi kIpv6Unicast{kAfiIpv6, kSafiUnicast};

// ---- OPEN (RFC 4271 §4.2) and capabilities (RFC 5492) -----------------------------------------

struct MultiprotocolCapability {  // code 1, RFC 4760 §8
  AfiSafi family;
  friend bool operator==(const MultiprotocolCapability&, const MultiprotocolCapability&) = default;
};

struct RouteRefreshCapability {  // code 2, RFC 2918 §2
  friend bool operator==(const RouteRefreshCapability&, const RouteRefreshCapability&) = default;
};

struct GracefulRestartCapability {  // code 64, RFC 4724 §3
  static constexpr uint8_t kRestartState = 0x8;  // R: the sender has restarted
  static constexpr uint8_t kNotification = 0x4;  // N: RFC 8538, kept but not acted upon
  struct Family {
    AfiSafi family;
    bool forwarding_preserved = false;  // the F bit
    friend bool operator==(const Family&, const Family&) = default;
  };
  uint8_t flags = 0;          // the 4 Restart Flags bits
  uint16_t restart_time = 0;  // seconds, 12 bits on the wire (at most 4095)
  std::vector<Family> families;
  bool restarting() const { return (flags & kRestartState) != 0; }
  friend bool operator==(const GracefulRestartCapability&,
                         const GracefulRestartCapability&) = default;
};

struct FourOctetAsCapability {  // code 65, RFC 6793 §3
  uint32_t asn = 0;
  friend bool operator==(const FourOctetAsCapability&, const FourOctetAsCapability&) = default;
};

struct UnknownCapability {  // kept raw so that it can be logged
  uint8_t code = 0;
  std::vector<uint8_t> value;
  friend bool operator==(const UnknownCapability&, const UnknownCapability&) = default;
};

using Capability = std::variant<MultiprotocolCapability, RouteRefreshCapability,
                                GracefulRestartCapability, FourOctetAsCapability,
                                UnknownCapability>;

struct Open {
  // Version is always 4: the decoder rejects anything else (RFC 4271 §6.2).
  uint16_t my_as = 0;  // AS_TRANS when the sender's AS needs 4 octets (RFC 6793 §4.2.1)
  uint16_t hold_time = 0;
  uint32_t bgp_id = 0;
  std::vector<Capability> capabilities;

  // The sender's AS: the 4-octet AS capability's value if present, else my_as (RFC 6793 §4.1).
  uint32_t peer_as() const;
  template <class T>
  const T* find() const {
    for (const auto& c : capabilities) {
      if (const T* p = std::get_if<T>(&c)) return p;
    }
    return nullptr;
  }
  friend bool operator==(const Open&, const Open&) = default;
};

// ---- UPDATE (RFC 4271 §4.3) ------------------------------------------------------------------

enum class Origin : uint8_t { igp = 0, egp = 1, incomplete = 2 };

enum class SegmentType : uint8_t {
  as_set = 1,
  as_sequence = 2,
  confed_sequence = 3,  // RFC 5065
  confed_set = 4,       // RFC 5065
};

struct AsSegment {
  SegmentType type = SegmentType::as_sequence;
  std::vector<uint32_t> asns;
  friend bool operator==(const AsSegment&, const AsSegment&) = default;
};
using AsPath = std::vector<AsSegment>;

struct Aggregator {  // AGGREGATOR and AS4_AGGREGATOR
  uint32_t asn = 0;
  IpAddress address;
  friend bool operator==(const Aggregator&, const Aggregator&) = default;
};

struct MpReach {  // RFC 4760 §3; IPv4 or IPv6 unicast only
  AfiSafi family;
  IpAddress next_hop;
  std::optional<IpAddress> link_local_next_hop;  // IPv6 only: RFC 2545 §3, 32-octet next hop
  std::vector<Prefix> nlri;
  friend bool operator==(const MpReach&, const MpReach&) = default;
};

struct MpUnreach {  // RFC 4760 §4; with no prefixes it is an End-of-RIB marker (RFC 4724 §2)
  AfiSafi family;
  std::vector<Prefix> withdrawn;
  friend bool operator==(const MpUnreach&, const MpUnreach&) = default;
};

// An attribute this speaker does not recognize. Only optional transitive ones are kept (RFC 4271
// §5: others are quietly ignored), and they are passed on with the Partial bit set (§5), which
// the decoder sets at once so that what is stored is what will be re-sent.
struct RawAttribute {
  uint8_t flags = 0;  // Optional | Transitive | Partial; Extended Length is the encoder's choice
  uint8_t type = 0;
  std::vector<uint8_t> value;
  friend bool operator==(const RawAttribute&, const RawAttribute&) = default;
};

// Attribute flag bits (RFC 4271 §4.3).
inline constexpr uint8_t kFlagOptional = 0x80;
inline constexpr uint8_t kFlagTransitive = 0x40;
inline constexpr uint8_t kFlagPartial = 0x20;
inline constexpr uint8_t kFlagExtendedLength = 0x10;

// Path attribute type codes.
namespace attr {
inline constexpr uint8_t kOrigin = 1;
inline constexpr uint8_t kAsPath = 2;
inline constexpr uint8_t kNextHop = 3;
inline constexpr uint8_t kMed = 4;
inline constexpr uint8_t kLocalPref = 5;
inline constexpr uint8_t kAtomicAggregate = 6;
inline constexpr uint8_t kAggregator = 7;
inline constexpr uint8_t kCommunities = 8;    // RFC 1997
inline constexpr uint8_t kOriginatorId = 9;   // RFC 4456
inline constexpr uint8_t kClusterList = 10;   // RFC 4456
inline constexpr uint8_t kMpReach = 14;       // RFC 4760
inline constexpr uint8_t kMpUnreach = 15;     // RFC 4760
inline constexpr uint8_t kAs4Path = 17;       // RFC 6793
inline constexpr uint8_t kAs4Aggregator = 18; // RFC 6793
}  // namespace attr

struct PathAttributes {
  std::optional<Origin> origin;
  std::optional<AsPath> as_path;  // may be present and empty (iBGP, RFC 4271 §5.1.2)
  std::optional<IpAddress> next_hop;
  std::optional<uint32_t> med;
  std::optional<uint32_t> local_pref;
  bool atomic_aggregate = false;
  std::optional<Aggregator> aggregator;
  std::vector<uint32_t> communities;  // empty: absent (an empty attribute is malformed)
  std::optional<uint32_t> originator_id;
  std::vector<uint32_t> cluster_list;  // empty: absent
  std::optional<MpReach> mp_reach;
  std::optional<MpUnreach> mp_unreach;
  // Only on sessions without 4-octet AS (RFC 6793 §4.2); see as_path.h to merge with as_path.
  std::optional<AsPath> as4_path;
  std::optional<Aggregator> as4_aggregator;
  std::vector<RawAttribute> unknown;  // decoded in type order, one per type
  friend bool operator==(const PathAttributes&, const PathAttributes&) = default;
};

struct Update {
  std::vector<Prefix> withdrawn;  // IPv4 unicast; IPv6 withdrawals are in mp_unreach
  PathAttributes attributes;
  std::vector<Prefix> nlri;  // IPv4 unicast; IPv6 routes are in mp_reach
  // Attributes dropped while decoding (RFC 7606 attribute discard, repeated attributes, AS4_PATH
  // between 4-octet speakers...), for logs. Not encoded.
  std::vector<DecodeError> discarded;
  friend bool operator==(const Update&, const Update&) = default;
};

// The family whose End-of-RIB marker this UPDATE is (RFC 4724 §2), if it is one.
std::optional<AfiSafi> end_of_rib(const Update& update);

// ---- NOTIFICATION is in errors.h; KEEPALIVE and ROUTE-REFRESH ---------------------------------

struct Keepalive {
  friend bool operator==(const Keepalive&, const Keepalive&) = default;
};

struct RouteRefresh {  // RFC 2918 §3
  AfiSafi family;
  uint8_t subtype = 0;  // "Reserved" in RFC 2918; the subtype of RFC 7313, kept raw
  friend bool operator==(const RouteRefresh&, const RouteRefresh&) = default;
};

using Message = std::variant<Open, Update, Notification, Keepalive, RouteRefresh>;

MessageType type_of(const Message& message);

}  // namespace weft::bgp
