// Reading what the consistency checks (consistency.h) judge: the store's IPAM records, decoded by
// the model codecs, and one host's kernel through KernelOps.
//
// Contract: read_store_state() reads pools, blocks, allocations, endpoints, node records and
// liveness keys in ONE read-only transaction (one revision, so the records agree with each other
// as the store saw them), retrying transient errors; a value a codec refuses goes to
// StoreState::unreadable, never fails the read. read_kernel_state() lists the devices and weft's
// routes (both families, main table) of the namespace `kernel` acts on; any failed call is the
// call's error naming the node — a host that cannot be read is never reported as clean.
// Read the store before the kernels: an ADD between the two then shows a veth without endpoint
// (not judged) rather than an endpoint without veth.
#pragma once

#include <string>

#include "base/result.h"
#include "ipam/consistency.h"
#include "kernel/kernel_ops.h"
#include "store/store.h"

namespace weft::ipam::consistency {

Result<StoreState> read_store_state(store::Store& store);
Result<KernelState> read_kernel_state(kernel::KernelOps& kernel, const std::string& node);

}  // namespace weft::ipam::consistency
