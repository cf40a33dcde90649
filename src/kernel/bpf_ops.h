// The libbpf side of kernel/bpf.h: loading objects with pinned maps and programs, tc clsact
// attachments at weft's slot, and map entries as bytes. NetlinkKernel calls these (tc calls
// inside its namespace); nothing else should.
//
// Contract:
// - ensure_bpffs(dir): `dir` exists on a bpf filesystem afterwards. Under /sys/fs/bpf, a bpffs
//   is mounted on /sys/fs/bpf itself when none is; elsewhere on `dir` (created first).
// - load_bpf_object(): maps are reused from their pins when present and compatible (libbpf
//   pin-by-name), so a restart keeps their entries; a program whose pin already holds a program
//   with the same tag keeps that pin, otherwise the pin is replaced. A verifier rejection is an
//   invalid_argument error whose message ends with the tail of the verifier's log.
// - tc_*: weft's slot is handle 1, priority 1 on the device's clsact hook (created when
//   missing). tc_attach replaces what is at the slot in one netlink request (no window without
//   a program); tc_query answers nullopt for an empty slot; tc_detach of an empty slot is
//   not_found.
// - map calls take the map's pin path; keys and values must have the map's sizes.
#pragma once

#include <optional>
#include <string>

#include "base/result.h"
#include "kernel/bpf.h"

namespace weft::kernel {

Result<void> ensure_bpffs(const std::string& dir);
Result<BpfLoaded> load_bpf_object(const BpfObjectSpec& spec);

Result<std::optional<TcProgram>> tc_query(int ifindex, TcDirection direction);
Result<void> tc_attach(int ifindex, TcDirection direction, const std::string& program_pin);
Result<void> tc_detach(int ifindex, TcDirection direction);

Result<std::vector<BpfMapEntry>> bpf_map_read(const std::string& map_pin);
Result<void> bpf_map_write(const std::string& map_pin, const BpfMapEntry& entry);
Result<void> bpf_map_remove(const std::string& map_pin, const Bytes& key);

}  // namespace weft::kernel
