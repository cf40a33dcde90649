// Finding this node's underlay: the device and address other nodes reach it at.
#pragma once

#include <optional>
#include <string>

#include "base/result.h"
#include "model/node.h"
#include "kernel/kernel_ops.h"

namespace weft::agent {

struct Underlay {
  std::string device;
  int ifindex = 0;
  uint32_t mtu = 1500;
  model::InterfaceAddress address;  // with its on-link prefix length
  std::optional<IpAddress> link_local;  // the device's IPv6 link-local address, if it has one
};

// By device name: its first global IPv4 address. not_found when the device or an address is missing.
Result<Underlay> underlay_by_interface(kernel::KernelOps& kernel, const std::string& device);
// By reachability: the device and source address the kernel would use to reach `address`
// (a route lookup only; nothing is sent).
Result<Underlay> underlay_by_route(kernel::KernelOps& kernel, const std::string& address);

}  // namespace weft::agent
