#include "cli/lab/lab_state.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <iostream>
#include <cstring>
#include <fstream>
#include <sstream>
#include <utility>

namespace weft::cli::lab {
namespace {

Json encode_host(const Host& h) {
  return Json{{"name", h.name},         {"netns", h.netns},       {"index", h.index},
              {"segment", h.segment},   {"switchPort", h.switch_port},
              {"underlay", h.underlay}, {"gateway", h.gateway}};
}

Json encode_process(const ProcessRecord& p) {
  Json j{{"role", p.role},          {"netns", p.netns},     {"pid", p.pid},
         {"startTime", p.start_time}, {"cmdline", p.cmdline}, {"log", p.log}};
  if (!p.host.empty()) j["host"] = p.host;
  return j;
}

Json encode_pod(const PodRecord& p) {
  return Json{{"name", p.name},           {"netns", p.netns},
              {"host", p.host},           {"hostVeth", p.host_veth},
              {"addresses", p.addresses}, {"namespace", p.pod_namespace},
              {"containerId", p.container_id}};
}

Json encode_fault(const FaultRecord& f) {
  return Json{{"kind", f.kind}, {"target", f.target}, {"sinceMs", f.since_ms}, {"detail", f.detail}};
}

const Json& array_or_empty(const Json& object, std::string_view field) {
  static const Json empty = Json::array();
  auto it = object.find(field);
  return it != object.end() && it->is_array() ? *it : empty;
}

#define LAB_TRY(var, expr)                                          \
  auto var##_r = (expr);                                            \
  if (!var##_r) return fail(Errc::corrupt, var##_r.error().message); \
  auto var = std::move(*var##_r)

Result<Host> decode_host(const Json& j) {
  LAB_TRY(name, json_string(j, "name"));
  LAB_TRY(netns, json_string(j, "netns"));
  LAB_TRY(index, json_int(j, "index"));
  LAB_TRY(segment, json_int(j, "segment"));
  LAB_TRY(port, json_string_or(j, "switchPort", name));
  LAB_TRY(underlay, json_string(j, "underlay"));
  LAB_TRY(gateway, json_string_or(j, "gateway", ""));
  return Host{.index = static_cast<int>(index), .name = name, .netns = netns,
              .segment = static_cast<int>(segment), .switch_port = port, .underlay = underlay,
              .gateway = gateway};
}

Result<ProcessRecord> decode_process(const Json& j) {
  LAB_TRY(role, json_string(j, "role"));
  LAB_TRY(host, json_string_or(j, "host", ""));
  LAB_TRY(netns, json_string_or(j, "netns", ""));
  LAB_TRY(pid, json_int(j, "pid"));
  LAB_TRY(start, json_int_or(j, "startTime", 0));
  LAB_TRY(cmdline, json_string_list(j, "cmdline"));
  LAB_TRY(log, json_string_or(j, "log", ""));
  if (pid <= 1) return fail(Errc::corrupt, "process record with pid ", std::to_string(pid));
  return ProcessRecord{.role = role, .host = host, .netns = netns, .pid = static_cast<pid_t>(pid),
                       .start_time = static_cast<uint64_t>(start), .cmdline = cmdline, .log = log};
}

Result<PodRecord> decode_pod(const Json& j) {
  LAB_TRY(name, json_string(j, "name"));
  LAB_TRY(netns, json_string(j, "netns"));
  LAB_TRY(host, json_string(j, "host"));
  LAB_TRY(veth, json_string_or(j, "hostVeth", ""));
  LAB_TRY(addresses, json_string_list(j, "addresses"));
  LAB_TRY(pod_namespace, json_string_or(j, "namespace", "default"));
  LAB_TRY(container_id, json_string_or(j, "containerId", name));
  return PodRecord{.name = name, .netns = netns, .host = host, .host_veth = veth, .addresses = addresses,
                   .pod_namespace = pod_namespace, .container_id = container_id};
}

Result<FaultRecord> decode_fault(const Json& j) {
  LAB_TRY(kind, json_string(j, "kind"));
  LAB_TRY(target, json_string(j, "target"));
  LAB_TRY(since, json_int_or(j, "sinceMs", 0));
  LAB_TRY(detail, json_string_or(j, "detail", ""));
  return FaultRecord{.kind = kind, .target = target, .since_ms = since, .detail = detail};
}

}  // namespace

const Host* LabState::host(std::string_view name) const {
  for (const auto& h : hosts) {
    if (h.name == name) return &h;
  }
  return nullptr;
}

const ProcessRecord* LabState::agent(std::string_view host_name) const {
  for (const auto& p : processes) {
    if (p.role == "weftd" && p.host == host_name) return &p;
  }
  return nullptr;
}

ProcessRecord* LabState::agent(std::string_view host_name) {
  return const_cast<ProcessRecord*>(std::as_const(*this).agent(host_name));
}

const ProcessRecord* LabState::etcd() const {
  for (const auto& p : processes) {
    if (p.role == "etcd") return &p;
  }
  return nullptr;
}

LabLock::LabLock() {
  fd_ = ::open("/run/weft-lab.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd_ < 0) return;  // not root: the command itself says what is wrong
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    std::cerr << "weft: another command is changing the lab; waiting for it\n";
    ::flock(fd_, LOCK_EX);
  }
}

LabLock::~LabLock() {
  if (fd_ >= 0) ::close(fd_);  // releases the lock
}

std::string state_file(const std::string& state_dir) { return state_dir + "/lab.json"; }

Json encode(const LabState& s) {
  Json j{{"version", LabState::kVersion},
         {"stateDir", s.state_dir},
         {"store", s.store},
         {"mode", std::string(to_string(s.mode))},
         {"hostCount", s.options.hosts},
         {"segments", s.options.segments},
         {"podsPerHost", s.options.pods_per_host},
         {"router", std::string(to_string(s.options.router))},
         {"etcdMembers", s.options.etcd_members},
         {"agents", s.agents},
         {"weftd", s.weftd},
         {"phase", s.phase},
         {"namespaces", s.namespaces},
         {"processes", Json::array()},
         {"hosts", Json::array()},
         {"pods", Json::array()},
         {"faults", Json::array()}};
  for (const auto& p : s.processes) j["processes"].push_back(encode_process(p));
  for (const auto& h : s.hosts) j["hosts"].push_back(encode_host(h));
  for (const auto& p : s.pods) j["pods"].push_back(encode_pod(p));
  for (const auto& f : s.faults) j["faults"].push_back(encode_fault(f));
  return j;
}

Result<LabState> decode_state(const Json& j) {
  if (!j.is_object()) return fail(Errc::corrupt, "lab state is not a JSON object");
  LAB_TRY(version, json_int(j, "version"));
  if (version != LabState::kVersion) {
    return fail(Errc::corrupt, "lab state version ", std::to_string(version), " is not ",
                std::to_string(LabState::kVersion));
  }
  LabState s;
  LAB_TRY(dir, json_string(j, "stateDir"));
  LAB_TRY(store, json_string_or(j, "store", std::string(kStoreUrl)));
  LAB_TRY(mode_text, json_string(j, "mode"));
  LAB_TRY(mode, parse_mode(mode_text));
  LAB_TRY(hosts, json_int_or(j, "hostCount", 0));
  LAB_TRY(segments, json_int_or(j, "segments", 1));
  LAB_TRY(pods, json_int_or(j, "podsPerHost", 0));
  LAB_TRY(router_text, json_string_or(j, "router", "plain"));
  LAB_TRY(router, parse_router(router_text));
  LAB_TRY(etcd_members, json_int_or(j, "etcdMembers", 1));
  LAB_TRY(agents, json_bool_or(j, "agents", true));
  LAB_TRY(weftd, json_string_or(j, "weftd", ""));
  LAB_TRY(phase, json_string_or(j, "phase", ""));
  LAB_TRY(namespaces, json_string_list(j, "namespaces"));
  s.state_dir = dir;
  s.store = store;
  s.mode = mode;
  s.options = {.hosts = static_cast<int>(hosts), .segments = static_cast<int>(segments),
               .pods_per_host = static_cast<int>(pods), .router = router,
               .etcd_members = static_cast<int>(etcd_members)};
  s.agents = agents;
  s.weftd = weftd;
  s.phase = phase;
  s.namespaces = namespaces;
  for (const auto& p : array_or_empty(j, "processes")) {
    LAB_TRY(record, decode_process(p));
    s.processes.push_back(std::move(record));
  }
  for (const auto& h : array_or_empty(j, "hosts")) {
    LAB_TRY(host, decode_host(h));
    s.hosts.push_back(std::move(host));
  }
  for (const auto& p : array_or_empty(j, "pods")) {
    LAB_TRY(pod, decode_pod(p));
    s.pods.push_back(std::move(pod));
  }
  for (const auto& f : array_or_empty(j, "faults")) {
    LAB_TRY(fault, decode_fault(f));
    s.faults.push_back(std::move(fault));
  }
  return s;
}

#undef LAB_TRY

Result<LabState> load_state(const std::string& state_dir) {
  const std::string path = state_file(state_dir);
  std::ifstream in(path);
  if (!in) {
    if (errno == ENOENT) return fail(Errc::not_found, "no lab state at ", path);
    return fail(Errc::io, "cannot read ", path, ": ", std::strerror(errno));
  }
  std::stringstream text;
  text << in.rdbuf();
  auto json = parse_json(text.str());
  if (!json) return fail(Errc::corrupt, path, ": ", json.error().message);
  auto state = decode_state(*json);
  if (!state) return fail(Errc::corrupt, path, ": ", state.error().message);
  return state;
}

Result<LabState> load_existing_lab(const std::string& state_dir) {
  auto state = load_state(state_dir);
  if (!state && state.error().code == Errc::not_found) {
    return fail(Errc::not_found, "no lab at ", state_dir, " (start one with `weft lab up`)");
  }
  return state;
}

Result<void> save_state(const LabState& state) {
  const std::string path = state_file(state.state_dir);
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    if (!out) return fail(Errc::io, "cannot write ", tmp, ": ", std::strerror(errno));
    out << encode(state).dump(2) << '\n';
    if (!out.flush()) return fail(Errc::io, "cannot write ", tmp, ": ", std::strerror(errno));
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    return fail(Errc::io, "cannot rename ", tmp, " to ", path, ": ", std::strerror(errno));
  }
  return {};
}

}  // namespace weft::cli::lab
