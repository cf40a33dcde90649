#include "kernel/bpf_ops.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/magic.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <mutex>

#include "base/unique_fd.h"
#include "kernel/errors.h"

namespace weft::kernel {
namespace {

constexpr uint32_t kTcHandle = 1;
constexpr uint32_t kTcPriority = 1;
constexpr size_t kLogTail = 1500;

Error wrap_errno(int err, const std::string& what) {
  Error e = errno_error(err);
  e.message = what + ": " + e.message;
  return e;
}

// libbpf prints the verifier's log through its print callback: keep the tail of what it said
// during a load, for the error message.
std::mutex log_mutex;
std::string* log_sink = nullptr;

int capture_print(enum libbpf_print_level level, const char* format, va_list args) {
  if (level == LIBBPF_DEBUG || log_sink == nullptr) return 0;
  char line[1024];
  const int n = std::vsnprintf(line, sizeof line, format, args);
  if (n > 0) log_sink->append(line, std::min<size_t>(static_cast<size_t>(n), sizeof line - 1));
  if (log_sink->size() > 4 * kLogTail) log_sink->erase(0, log_sink->size() - kLogTail);
  return 0;
}

bool is_bpffs(const std::string& path) {
  struct statfs fs {};
  return ::statfs(path.c_str(), &fs) == 0 && static_cast<unsigned long>(fs.f_type) == BPF_FS_MAGIC;
}

Result<void> mount_bpffs(const std::string& dir) {
  if (::mount("bpf", dir.c_str(), "bpf", 0, "mode=0700") != 0) {
    return std::unexpected(wrap_errno(errno, "mounting a bpf filesystem on " + dir));
  }
  return {};
}

Result<void> make_dirs(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return std::unexpected(wrap_errno(ec.value(), "creating " + dir));
  return {};
}

Result<std::string> program_tag(int fd) {
  bpf_prog_info info{};
  uint32_t len = sizeof info;
  if (bpf_obj_get_info_by_fd(fd, &info, &len) != 0) return std::unexpected(wrap_errno(errno, "reading a BPF program's info"));
  char hex[2 * BPF_TAG_SIZE + 1];
  for (int i = 0; i < BPF_TAG_SIZE; ++i) std::snprintf(hex + 2 * i, 3, "%02x", info.tag[i]);
  return std::string(hex);
}

Result<TcProgram> program_by_id(uint32_t id) {
  UniqueFd fd(bpf_prog_get_fd_by_id(id));
  if (!fd.ok()) return std::unexpected(wrap_errno(errno, "opening BPF program " + std::to_string(id)));
  bpf_prog_info info{};
  uint32_t len = sizeof info;
  if (bpf_obj_get_info_by_fd(fd.get(), &info, &len) != 0) {
    return std::unexpected(wrap_errno(errno, "reading BPF program " + std::to_string(id)));
  }
  auto tag = program_tag(fd.get());
  if (!tag) return std::unexpected(tag.error());
  return TcProgram{.id = id, .name = info.name, .tag = *tag};
}

// Replaces the pin at `path` with the program `fd` unless it already holds one with `tag`.
Result<void> pin_program(int fd, const std::string& tag, const std::string& path) {
  UniqueFd pinned(bpf_obj_get(path.c_str()));
  if (pinned.ok()) {
    auto old = program_tag(pinned.get());
    if (old && *old == tag) return {};
    ::unlink(path.c_str());
  }
  if (bpf_obj_pin(fd, path.c_str()) != 0) return std::unexpected(wrap_errno(errno, "pinning a BPF program at " + path));
  return {};
}

bpf_tc_hook hook_for(int ifindex, TcDirection direction) {
  bpf_tc_hook hook{};
  hook.sz = sizeof hook;
  hook.ifindex = ifindex;
  hook.attach_point = direction == TcDirection::ingress ? BPF_TC_INGRESS : BPF_TC_EGRESS;
  return hook;
}

bpf_tc_opts slot_opts() {
  bpf_tc_opts opts{};
  opts.sz = sizeof opts;
  opts.handle = kTcHandle;
  opts.priority = kTcPriority;
  return opts;
}

std::string slot_text(int ifindex, TcDirection direction) {
  return "tc " + std::string(to_string(direction)) + " slot of device #" + std::to_string(ifindex);
}

struct MapShape {
  UniqueFd fd;
  uint32_t key_size = 0;
  uint32_t value_size = 0;
};

Result<MapShape> open_map(const std::string& pin) {
  MapShape m{.fd = UniqueFd(bpf_obj_get(pin.c_str()))};
  if (!m.fd.ok()) return std::unexpected(wrap_errno(errno, "opening BPF map " + pin));
  bpf_map_info info{};
  uint32_t len = sizeof info;
  if (bpf_obj_get_info_by_fd(m.fd.get(), &info, &len) != 0) return std::unexpected(wrap_errno(errno, "reading BPF map " + pin));
  m.key_size = info.key_size;
  m.value_size = info.value_size;
  return m;
}

}  // namespace

Result<void> ensure_bpffs(const std::string& dir) {
  const std::string root = "/sys/fs/bpf";
  if (dir == root || dir.starts_with(root + "/")) {
    if (!is_bpffs(root)) {
      if (auto r = mount_bpffs(root); !r) return r;
    }
    return make_dirs(dir);
  }
  if (auto r = make_dirs(dir); !r) return r;
  if (!is_bpffs(dir)) return mount_bpffs(dir);
  return {};
}

Result<BpfLoaded> load_bpf_object(const BpfObjectSpec& spec) {
  const std::string maps_dir = spec.pin_dir + "/maps";
  if (auto r = ensure_bpffs(spec.pin_dir); !r) return std::unexpected(r.error());
  if (auto r = make_dirs(maps_dir); !r) return std::unexpected(r.error());

  bpf_object_open_opts opts{};
  opts.sz = sizeof opts;
  opts.object_name = spec.name.c_str();
  opts.pin_root_path = maps_dir.c_str();
  std::unique_ptr<bpf_object, decltype(&bpf_object__close)> object(
      bpf_object__open_mem(spec.elf.data(), spec.elf.size(), &opts), &bpf_object__close);
  if (!object) return std::unexpected(wrap_errno(errno, "opening BPF object " + spec.name));

  std::string log;
  int loaded = 0;
  {
    std::lock_guard lock(log_mutex);
    log_sink = &log;
    auto previous = libbpf_set_print(capture_print);
    loaded = bpf_object__load(object.get());
    const int err = errno;
    libbpf_set_print(previous);
    log_sink = nullptr;
    errno = err;
  }
  if (loaded != 0) {
    Error e = wrap_errno(-loaded, "loading BPF object " + spec.name);
    e.code = Errc::invalid_argument;
    if (!log.empty()) e.message += "; libbpf: " + (log.size() > kLogTail ? log.substr(log.size() - kLogTail) : log);
    return std::unexpected(e);
  }

  BpfLoaded out;
  for (const auto& name : spec.programs) {
    bpf_program* program = bpf_object__find_program_by_name(object.get(), name.c_str());
    if (program == nullptr) return fail(Errc::not_found, "BPF object ", spec.name, " has no program ", name);
    const int fd = bpf_program__fd(program);
    auto tag = program_tag(fd);
    if (!tag) return std::unexpected(tag.error());
    if (auto r = pin_program(fd, *tag, bpf_program_pin(spec.pin_dir, name)); !r) return std::unexpected(r.error());
    out.tags[name] = *tag;
  }
  return out;
}

Result<std::optional<TcProgram>> tc_query(int ifindex, TcDirection direction) {
  auto hook = hook_for(ifindex, direction);
  auto opts = slot_opts();
  const int r = bpf_tc_query(&hook, &opts);
  if (r == -ENOENT || r == -EINVAL) return std::optional<TcProgram>{};  // no clsact or empty slot
  if (r != 0) return std::unexpected(wrap_errno(-r, "querying the " + slot_text(ifindex, direction)));
  auto program = program_by_id(opts.prog_id);
  if (!program) return std::unexpected(program.error());
  return std::optional<TcProgram>(std::move(*program));
}

Result<void> tc_attach(int ifindex, TcDirection direction, const std::string& program_pin) {
  UniqueFd program(bpf_obj_get(program_pin.c_str()));
  if (!program.ok()) return std::unexpected(wrap_errno(errno, "opening the BPF program pinned at " + program_pin));
  auto hook = hook_for(ifindex, direction);
  // clsact serves both directions: create it once, an existing one is fine.
  if (const int r = bpf_tc_hook_create(&hook); r != 0 && r != -EEXIST) {
    return std::unexpected(wrap_errno(-r, "creating the clsact qdisc of device #" + std::to_string(ifindex)));
  }
  auto opts = slot_opts();
  opts.prog_fd = program.get();
  opts.flags = BPF_TC_F_REPLACE;
  if (const int r = bpf_tc_attach(&hook, &opts); r != 0) {
    return std::unexpected(wrap_errno(-r, "attaching " + program_pin + " to the " + slot_text(ifindex, direction)));
  }
  return {};
}

Result<void> tc_detach(int ifindex, TcDirection direction) {
  auto hook = hook_for(ifindex, direction);
  auto opts = slot_opts();
  if (const int r = bpf_tc_detach(&hook, &opts); r != 0) {
    return std::unexpected(wrap_errno(r == -EINVAL ? ENOENT : -r, "detaching the " + slot_text(ifindex, direction)));
  }
  return {};
}

Result<std::vector<BpfMapEntry>> bpf_map_read(const std::string& map_pin) {
  auto map = open_map(map_pin);
  if (!map) return std::unexpected(map.error());
  std::vector<BpfMapEntry> out;
  Bytes key(map->key_size), next(map->key_size), value(map->value_size);
  const void* previous = nullptr;
  while (bpf_map_get_next_key(map->fd.get(), previous, next.data()) == 0) {
    if (bpf_map_lookup_elem(map->fd.get(), next.data(), value.data()) == 0) out.push_back({next, value});
    key = next;
    previous = key.data();
  }
  if (errno != ENOENT) return std::unexpected(wrap_errno(errno, "reading BPF map " + map_pin));
  return out;
}

Result<void> bpf_map_write(const std::string& map_pin, const BpfMapEntry& entry) {
  auto map = open_map(map_pin);
  if (!map) return std::unexpected(map.error());
  if (entry.key.size() != map->key_size || entry.value.size() != map->value_size) {
    return fail(Errc::invalid_argument, "BPF map ", map_pin, " takes ", std::to_string(map->key_size), "-byte keys and ",
                std::to_string(map->value_size), "-byte values");
  }
  if (bpf_map_update_elem(map->fd.get(), entry.key.data(), entry.value.data(), BPF_ANY) != 0) {
    return std::unexpected(wrap_errno(errno, "updating BPF map " + map_pin));
  }
  return {};
}

Result<void> bpf_map_remove(const std::string& map_pin, const Bytes& key) {
  auto map = open_map(map_pin);
  if (!map) return std::unexpected(map.error());
  if (key.size() != map->key_size) return fail(Errc::invalid_argument, "BPF map ", map_pin, " takes ", std::to_string(map->key_size), "-byte keys");
  if (bpf_map_delete_elem(map->fd.get(), key.data()) != 0) return std::unexpected(wrap_errno(errno, "deleting from BPF map " + map_pin));
  return {};
}

}  // namespace weft::kernel
