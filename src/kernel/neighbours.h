// Neighbour (ARP/NDP) entries and VXLAN forwarding-database (FDB) entries.
//
// weft's VXLAN dataplane programs, for each remote node, a permanent neighbour entry (remote
// VTEP IP → remote VTEP MAC, on the VXLAN device) and an FDB entry (remote VTEP MAC → remote
// underlay IP, NTF_SELF: the VXLAN device's own table, not a bridge's), so the kernel never has
// to resolve or flood.
//
// Contract:
// - add_* fail with already_exists if the entry exists; replace_* create or overwrite it in one
//   message (NLM_F_REPLACE); delete_* return not_found if it is absent.
// - Entries are installed NUD_PERMANENT (never aged out, never re-resolved).
// - list_neighbours(sock, ifindex) returns the device's IPv4 and IPv6 neighbours that are
//   permanent (what weft owns) unless all_states is true; list_fdb returns the NTF_SELF entries
//   with a remote IP of the VXLAN device (the all-zero default entries included).
// - Errors: "adding neighbour 198.19.0.1 lladdr aa:bb:cc:dd:ee:ff dev weft.1: ... (errno N)".
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/ip.h"
#include "base/result.h"
#include "kernel/mac.h"
#include "kernel/neighbour.h"
#include "kernel/netlink_socket.h"

namespace weft::kernel {

// add/replace need a MAC (invalid_argument without one).
Result<void> add_neighbour(NetlinkSocket& sock, const Neighbour& neighbour);
Result<void> replace_neighbour(NetlinkSocket& sock, const Neighbour& neighbour);
Result<void> delete_neighbour(NetlinkSocket& sock, const Neighbour& neighbour);
Result<std::vector<Neighbour>> list_neighbours(NetlinkSocket& sock, int ifindex, bool all_states = false);

Result<void> add_fdb(NetlinkSocket& sock, const FdbEntry& entry);
Result<void> replace_fdb(NetlinkSocket& sock, const FdbEntry& entry);
Result<void> delete_fdb(NetlinkSocket& sock, const FdbEntry& entry);
Result<std::vector<FdbEntry>> list_fdb(NetlinkSocket& sock, int ifindex);

}  // namespace weft::kernel
