// eBPF objects weft owns, as values (no libbpf here): what to load, tc attachments, map entries.
// KernelOps (kernel_ops.h) loads objects, attaches tc programs and edits maps with these; the
// libbpf implementation is bpf_ops.h, the fake keeps them in memory.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace weft::kernel {

// The clsact hook a tc program sits on.
enum class TcDirection { ingress, egress };
std::string_view to_string(TcDirection direction);

// The program attached at weft's slot (handle 1, priority 1) of a device's hook.
struct TcProgram {
  uint32_t id = 0;
  std::string name;
  std::string tag;  // the kernel's program tag, 16 hex digits: equal for equal instructions
};

// An object file to load. Its maps are pinned by name under `pin_dir`/maps (reused when already
// pinned, so their entries survive a restart of weftd) and each of `programs` under
// `pin_dir`/<program>.
struct BpfObjectSpec {
  std::string name;                    // for messages: "weft_ipip"
  std::span<const unsigned char> elf;  // the object file's bytes (embedded in the binary at build time)
  std::string pin_dir;                 // on a bpffs, e.g. /sys/fs/bpf/weft
  std::vector<std::string> programs;   // program (function) names
};

// What bpf_load did: the tag of each loaded program, by name.
struct BpfLoaded {
  std::map<std::string, std::string> tags;
};

using Bytes = std::vector<uint8_t>;

struct BpfMapEntry {
  Bytes key;
  Bytes value;
  friend bool operator==(const BpfMapEntry&, const BpfMapEntry&) = default;
  friend auto operator<=>(const BpfMapEntry&, const BpfMapEntry&) = default;
};

// The pin path of a program or map of an object loaded with `pin_dir`.
std::string bpf_program_pin(const std::string& pin_dir, std::string_view program);
std::string bpf_map_pin(const std::string& pin_dir, std::string_view map);

}  // namespace weft::kernel
