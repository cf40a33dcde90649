// IpamJournal: the IPAM writes weftd owes the store (issue 13). While etcd cannot be reached,
// weftd answers CNI ADD from the blocks it holds and DEL locally, and queues the store writes
// here; the IPAM worker replays them in order once the store answers again.
//
// The queue is kept in a file (JSON, replaced by rename) so that a weftd restarted during the
// outage still owes what its predecessor promised. A DEL of an attachment whose ADD is still
// queued cancels both: the store never needs to hear of it.
#pragma once

#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "model/endpoint.h"

namespace weft::agent {

struct PendingWrite {
  enum class Kind { add, del };
  Kind kind = Kind::add;
  model::Endpoint endpoint;         // add: as answered to the plugin; del: container id and ifname
  std::vector<std::string> pools;   // add: the pools the request named
  friend bool operator==(const PendingWrite&, const PendingWrite&) = default;
};

class IpamJournal {
 public:
  // `path` empty: kept in memory only.
  explicit IpamJournal(std::string path) : path_(std::move(path)) {}

  // Reads the file (absent: nothing owed). corrupt names what is wrong; nothing is dropped
  // silently.
  Result<void> load();
  bool empty() const { return queue_.empty(); }
  size_t size() const { return queue_.size(); }
  const PendingWrite& front() const { return queue_.front(); }
  // The queued ADD of this attachment, if any.
  const PendingWrite* pending_add(std::string_view container_id, std::string_view ifname) const;

  Result<void> push(PendingWrite write);
  // Drops a queued ADD (a DEL came before it was written).
  Result<void> cancel_add(std::string_view container_id, std::string_view ifname);
  Result<void> pop();

 private:
  Result<void> save() const;

  std::string path_;
  std::deque<PendingWrite> queue_;
};

}  // namespace weft::agent
