// Fuzz target: decoders of values read from the store (any etcd client can write garbage under
// /weft/v1/): pools, nodes, block affinities, liveness records, BGP settings, peers and status,
// endpoints, namespaces and a block's address allocations. A decoder must return a value or
// Errc::corrupt, never crash; a decoded value must survive encode -> decode unchanged.
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <string>

#include "ipam/address_block.h"
#include "model/bgp_config.h"
#include "model/block.h"
#include "model/endpoint.h"
#include "model/keys.h"
#include "model/namespace.h"
#include "model/node.h"
#include "model/pool.h"

using namespace weft;
using namespace weft::model;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);

  if (auto pool = model::decode_pool(text)) {
    auto again = model::decode_pool(dump_json(encode(*pool)));
    assert(again && *again == *pool);
  } else {
    assert(pool.error().code == Errc::corrupt);
  }

  if (auto node = model::decode_node(text)) {
    auto again = model::decode_node(dump_json(encode(*node)));
    assert(again && *again == *node);
  } else {
    assert(node.error().code == Errc::corrupt);
  }

  // The block comes from the key; the first line of the input may stand in for the key's last
  // element so that malformed keys are explored too.
  const auto newline = text.find('\n');
  const std::string segment = newline == std::string::npos ? "198.19.1.0-24" : text.substr(0, newline);
  const std::string key = model::keys::pool_blocks_prefix("lab") + segment;
  const std::string value = newline == std::string::npos ? text : text.substr(newline + 1);
  if (auto affinity = model::decode_affinity(key, value)) {
    auto again = model::decode_affinity(model::keys::block("lab", affinity->block), dump_json(encode(*affinity)));
    assert(again && *again == *affinity);
  } else {
    assert(affinity.error().code == Errc::corrupt || affinity.error().code == Errc::invalid_argument);
  }

  // A block's allocations: the same first line stands for the block in the allocation key.
  const std::string alloc_key = model::keys::pool_allocations_prefix("lab") + segment;
  if (auto allocations = ipam::decode_allocations(alloc_key, value)) {
    auto again = ipam::decode_allocations(model::keys::allocation("lab", allocations->block), dump_json(encode(*allocations)));
    assert(again && *again == *allocations);
  } else {
    assert(allocations.error().code == Errc::corrupt);
  }

  if (auto global = model::decode_bgp_global(text)) {
    auto again = model::decode_bgp_global(dump_json(encode(*global)));
    assert(again && *again == *global);
  } else {
    assert(global.error().code == Errc::corrupt);
  }
  if (auto config = model::decode_bgp_node_config(text)) {
    auto again = model::decode_bgp_node_config(dump_json(encode(*config)));
    assert(again && *again == *config);
  } else {
    assert(config.error().code == Errc::corrupt);
  }
  if (auto peer = model::decode_bgp_peer(text)) {
    auto again = model::decode_bgp_peer(dump_json(encode(*peer)));
    assert(again && *again == *peer);
  } else {
    assert(peer.error().code == Errc::corrupt);
  }
  if (auto status = model::decode_bgp_status(text)) {
    auto again = model::decode_bgp_status(dump_json(encode(*status)));
    assert(again && *again == *status);
  } else {
    assert(status.error().code == Errc::corrupt);
  }

  if (auto ns = model::decode_namespace(text)) {
    auto again = model::decode_namespace(dump_json(encode(*ns)));
    assert(again && *again == *ns);
  } else {
    assert(ns.error().code == Errc::corrupt);
  }
  const std::string ep_key = model::keys::endpoint("h1", "c1", "eth0");
  if (auto ep = model::decode_endpoint(ep_key, text)) {
    auto again = model::decode_endpoint(ep_key, dump_json(encode(*ep)));
    assert(again && *again == *ep);
  } else {
    assert(ep.error().code == Errc::corrupt);
  }

  if (auto liveness = model::decode_liveness(text)) {
    auto again = model::decode_liveness(dump_json(encode(*liveness)));
    assert(again && again->lease_id == liveness->lease_id && again->renewed_at_unix == liveness->renewed_at_unix);
  }
  return 0;
}
