// IpamService: weftd's workload IPAM (issue 4), serving the requests of the IPAM socket
// (ipam_protocol.h) with an AddressAllocator (ipam/address_allocator.h) on ONE worker thread.
//
// Why a worker thread and not the event loop: every request is a store round trip or more (etcd
// commits are fsync-bound), and the loop also runs the data plane's reconcile; neither should
// wait for the other. One worker serializes allocations, which is what makes 200 concurrent ADDs
// get 200 distinct addresses without a lost-race storm, and lets the allocator keep its cache
// without locks. Requests are answered in arrival order.
//
// The worker also runs the grace-period sweeper: an endpoint whose host-side veth (named from its
// attachment, ipam_protocol.h host_veth_name) has been missing from this host for longer than
// sweep_grace is released. The veth is the witness because it dies with the container's network
// namespace whatever the runtime does, and weftd sees it in its own namespace; the grace covers
// the moment between an ADD's allocation and its veth.
//
// With the store unreachable (issue 13), an ADD is answered from the blocks the node holds
// (AddressAllocator::assign_cached) and a DEL at once; the store writes they owe wait in the
// IpamJournal (a file in the state directory) and are replayed in order, before any new request,
// as soon as the store answers (the worker looks every second). A replayed ADD whose
// address another node took meanwhile is dropped and reported in problems(): that workload must
// be re-created; it is never given a duplicate silently.
//
// Thread-safety: submit() and set_node_facts() may be called from any thread; `done` runs on the
// worker thread. The destructor stops the worker after the request in progress; queued requests
// are answered with Errc::unavailable, and queued sweeps' `done` run without a sweep.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "agent/ipam_journal.h"
#include "base/clock.h"
#include "ipam/address_allocator.h"
#include "ipam/ipam_protocol.h"
#include "kernel/kernel_ops.h"
#include "store/store.h"

namespace weft::agent {

struct IpamCounters {
  std::atomic<uint64_t> requests{0};
  std::atomic<uint64_t> errors{0};
  std::atomic<uint64_t> assigned{0};
  std::atomic<uint64_t> released{0};
  std::atomic<uint64_t> swept{0};
  std::atomic<uint64_t> answered_offline{0};  // ADDs and DELs answered while the store was unreachable
  std::atomic<uint64_t> pending_writes{0};    // store writes owed (the journal's length)
};

class IpamService {
 public:
  using Done = std::function<void(ipam::protocol::Response)>;

  struct Options {
    std::string node;
    int64_t gc_grace_seconds = 30;                  // CNI GC, when the request names none
    std::chrono::seconds sweep_interval{60};
    std::chrono::seconds sweep_grace{300};          // 0: no sweeper
    const Clock* clock = &system_clock();           // measures the sweep grace
    std::string journal_path;                       // the owed store writes ("": memory only)
    std::chrono::milliseconds replay_interval{1000};  // how often owed writes are retried
  };

  // `kernel` answers whether a host-side veth exists (the sweeper's witness).
  IpamService(store::Store& store, kernel::KernelOps& kernel, Options options);
  ~IpamService();
  IpamService(const IpamService&) = delete;
  IpamService& operator=(const IpamService&) = delete;

  // The node's current lease (for block claims) and workload MTU (told to the plugin).
  void set_node_facts(store::LeaseId lease, uint32_t mtu);
  void submit(ipam::protocol::Request request, Done done);
  // A sweep on the worker after the requests queued before it (the worker also sweeps every
  // sweep_interval); `done` runs on the worker afterwards — or at once, without a sweep, when
  // sweep_grace is 0 (no sweeper) or the service is stopping. Callable from any thread.
  void sweep_now(std::function<void()> done);
  const IpamCounters& counters() const { return counters_; }
  // Workloads whose offline assignment could not be written (their address was taken meanwhile).
  std::vector<std::string> problems() const;

 private:
  struct Job {
    ipam::protocol::Request request;
    Done done;
    std::function<void()> sweep_done;  // set: this job is a sweep, not a request
  };
  void run();
  ipam::protocol::Response handle(const ipam::protocol::Request& request);
  ipam::protocol::Response add(const ipam::protocol::Request& request);
  ipam::protocol::Response gc(const ipam::protocol::Request& request);
  ipam::protocol::Response status();
  void sweep();
  // As the store's own calls last found it (the agent's watch and lease keep-alive notice when it
  // is back): while it is not, owed writes wait instead of blocking requests for a timeout.
  bool store_reachable() const;
  // Writes what the journal owes, in order; stops at the first write the store cannot take yet.
  // False while something is still owed.
  bool replay();
  ipam::protocol::Response add_offline(const ipam::AssignRequest& assign, const Error& why, uint32_t mtu);
  ipam::protocol::Response del_offline(const ipam::protocol::Request& request, const Error& why);
  void note_problem(std::string problem);

  Options options_;
  kernel::KernelOps& kernel_;
  store::Store& store_;  // its reachability only: the allocator makes the calls
  ipam::AddressAllocator allocator_;  // worker thread only
  IpamJournal journal_;               // worker thread only (after the constructor)
  std::map<ipam::protocol::Attachment, Clock::TimePoint> missing_since_;  // worker only
  IpamCounters counters_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Job> queue_;
  bool stopping_ = false;
  store::LeaseId lease_ = 0;
  uint32_t mtu_ = 0;
  std::vector<std::string> problems_;  // guarded by mutex_
  std::thread worker_;  // last: started when everything above exists
};

}  // namespace weft::agent
