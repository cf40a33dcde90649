// ClusterModel: what an agent knows of the cluster, rebuilt from the store and kept current by a
// watch on /weft/v1/ (DESIGN.md "Inside weftd"). Pure data: applying a store change never fails;
// a value that cannot be decoded is dropped from the model (it is no longer trustworthy) and
// recorded in `skipped` with its key, so that status and logs can show it. The one exception is
// the cluster's BGP settings: an unreadable value keeps the last good one (see `bgp`).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "model/bgp_config.h"
#include "model/block.h"
#include "model/endpoint.h"
#include "model/namespace.h"
#include "model/node.h"
#include "model/pool.h"
#include "store/store.h"

namespace weft::model {

struct ClusterModel {
  std::map<std::string, Pool> pools;                   // by pool name
  std::map<std::string, Node> nodes;                   // by node name
  std::map<std::string, BlockAffinity> blocks;         // by store key
  BgpGlobal bgp;                                       // defaults while /weft/v1/bgp/config is absent;
                                                       // the last good value while it is unreadable
  std::map<std::string, BgpNodeConfig> bgp_nodes;      // by node name
  std::map<std::string, BgpPeer> bgp_peers;            // by peer name
  // What network policy selects by and what it says (issue 11): every endpoint (by store key),
  // namespace (by name, with the implicit label) and policy record (store key -> its JSON, as the
  // policy codec reads it: the model does not interpret policies). They do not shape routes or
  // BGP, so apply() does not report their changes; it bumps `policy_generation` instead, for the
  // policy driver to compare.
  std::map<std::string, Endpoint> endpoints;
  std::map<std::string, Namespace> namespaces;
  std::map<std::string, std::string> policy_records;
  uint64_t policy_generation = 0;
  std::map<std::string, std::string> skipped;          // store key -> why it was dropped
  int64_t revision = 0;

  // Replaces the whole model with a listing of /weft/v1/ (a start or a watch resync).
  void reset(const std::vector<store::KeyValue>& kvs, int64_t at_revision);
  // Applies one watch batch. Returns true if anything the data plane or BGP depends on changed
  // (BGP status keys do not count: they are output, not input).
  bool apply(const store::WatchBatch& batch);

  // The blocks held by `node`, in key order.
  std::vector<BlockAffinity> blocks_of(const std::string& node) const;
  // The pool a block belongs to, or nullptr.
  const Pool* pool_of(const BlockAffinity& block) const;
  // The endpoints on `node` (its workloads: host_veth is the interface policy hooks on), in key
  // order.
  std::vector<const Endpoint*> endpoints_of(const std::string& node) const;
  // The labels of namespace `name`: its record's, or only the implicit one when it has none.
  Labels labels_of_namespace(const std::string& name) const;
  // The AS number `node` speaks BGP with: its own setting, or the cluster's.
  uint32_t as_number_of(const std::string& node) const;

 private:
  bool put(const store::KeyValue& kv);
  bool remove(const std::string& key);
};

}  // namespace weft::model
