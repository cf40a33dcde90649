#include "cni/cni_config.h"

#include <algorithm>
#include <charconv>

#include "model/labels.h"
#include "model/namespace.h"

namespace weft::cni {
namespace {

std::unexpected<CniError> error(int code, std::string msg, std::string details = {}) {
  return std::unexpected(CniError{code, std::move(msg), std::move(details)});
}

std::unexpected<CniError> bad_config(const Error& e) { return error(code::kInvalidConfig, "invalid network configuration", e.message); }

CniResult<Command> parse_command(std::string_view text) {
  static constexpr std::pair<std::string_view, Command> kCommands[] = {
      {"ADD", Command::add}, {"DEL", Command::del}, {"CHECK", Command::check},
      {"VERSION", Command::version}, {"GC", Command::gc}, {"STATUS", Command::status}};
  for (const auto& [name, command] : kCommands) {
    if (name == text) return command;
  }
  return error(code::kInvalidEnvironment, "CNI_COMMAND '" + std::string(text.substr(0, 32)) + "' is not a CNI command");
}

CniResult<std::map<std::string, std::string>> parse_args(std::string_view text) {
  std::map<std::string, std::string> out;
  while (!text.empty()) {
    const auto semi = text.find(';');
    const std::string_view pair = text.substr(0, semi);
    text = semi == std::string_view::npos ? std::string_view{} : text.substr(semi + 1);
    if (pair.empty()) continue;
    const auto eq = pair.find('=');
    if (eq == std::string_view::npos || eq == 0) {
      return error(code::kInvalidEnvironment, "CNI_ARGS: '" + std::string(pair.substr(0, 64)) + "' is not KEY=VALUE");
    }
    out[std::string(pair.substr(0, eq))] = std::string(pair.substr(eq + 1));
  }
  return out;
}

// Labels as the conventions pass them: a list of {"key","value"} or (runtimeConfig) an object.
Result<void> read_labels(const Json& labels, std::map<std::string, std::string>& into) {
  if (labels.is_null()) return {};
  if (labels.is_object()) {
    for (const auto& item : labels.items()) {
      if (!item.value().is_string()) return fail(Errc::invalid_argument, "label '", item.key(), "' must be a string");
      into[item.key()] = item.value().get<std::string>();
    }
    return {};
  }
  if (!labels.is_array()) return fail(Errc::invalid_argument, "labels must be a list of {key, value}");
  for (const auto& item : labels) {
    auto key = json_string(item, "key");
    if (!key) return wrap(key.error(), "labels");
    auto value = json_string_or(item, "value", "");
    if (!value) return wrap(value.error(), "labels");
    into[*key] = *value;
  }
  return {};
}

// Named ports: args.cni.ports as they are; of runtimeConfig.portMappings (whose other fields the
// portmap plugin reads) only the entries with a name. The same port named in both counts once.
Result<void> add_ports(std::vector<model::NamedPort> ports, std::vector<model::NamedPort>& into) {
  for (auto& p : ports) {
    if (std::find(into.begin(), into.end(), p) == into.end()) into.push_back(std::move(p));
  }
  return model::validate_ports(into);
}

Result<std::vector<model::NamedPort>> named_port_mappings(const Json& mappings) {
  if (mappings.is_null()) return std::vector<model::NamedPort>{};
  if (!mappings.is_array()) return fail(Errc::invalid_argument, "runtimeConfig.portMappings must be a list");
  Json named = Json::array();
  for (const auto& m : mappings) {
    if (!m.is_object() || !m.contains("name")) continue;
    auto port = json_int(m, "containerPort");
    if (!port) return wrap(port.error(), "runtimeConfig.portMappings");
    named.push_back({{"name", m["name"]}, {"port", *port}, {"protocol", m.value("protocol", Json("tcp"))}});
  }
  auto ports = model::decode_ports(named);
  if (!ports) return wrap(ports.error(), "runtimeConfig.portMappings");
  return ports;
}

Result<void> read_attachments(const Json& conf, std::vector<ipam::protocol::Attachment>& into) {
  for (const char* field : {"cni.dev/valid-attachments", "cni.dev/attachments"}) {
    auto it = conf.find(field);
    if (it == conf.end() || it->is_null()) continue;
    if (!it->is_array()) return fail(Errc::invalid_argument, "'", field, "' must be a list");
    into.clear();
    for (const auto& item : *it) {
      auto id = json_string(item, "containerID");
      if (!id) return wrap(id.error(), field);
      auto ifname = json_string(item, "ifname");
      if (!ifname) return wrap(ifname.error(), field);
      if (!ipam::protocol::valid_container_id(*id) || !ipam::protocol::valid_ifname(*ifname)) {
        return fail(Errc::invalid_argument, "'", field, "' holds an invalid container id or interface name");
      }
      into.push_back({*id, *ifname});
    }
    return {};  // the spec's name wins when both are present
  }
  return {};
}

}  // namespace

bool version_supported(std::string_view version) {
  return std::find(std::begin(kSupportedVersions), std::end(kSupportedVersions), version) != std::end(kSupportedVersions);
}

int compare_versions(std::string_view a, std::string_view b) {
  for (int part = 0; part < 3; ++part) {
    auto next = [](std::string_view& s) {
      int value = 0;
      const auto dot = s.find('.');
      const std::string_view head = s.substr(0, dot);
      std::from_chars(head.data(), head.data() + head.size(), value);
      s = dot == std::string_view::npos ? std::string_view{} : s.substr(dot + 1);
      return value;
    };
    const int x = next(a), y = next(b);
    if (x != y) return x < y ? -1 : 1;
  }
  return 0;
}

CniResult<Environment> parse_environment(const Getenv& getenv) {
  auto command_text = getenv("CNI_COMMAND");
  if (!command_text || command_text->empty()) return error(code::kInvalidEnvironment, "CNI_COMMAND is not set");
  auto command = parse_command(*command_text);
  if (!command) return std::unexpected(command.error());
  Environment env;
  env.command = *command;
  env.container_id = getenv("CNI_CONTAINERID").value_or("");
  env.netns = getenv("CNI_NETNS").value_or("");
  env.ifname = getenv("CNI_IFNAME").value_or("");
  auto args = parse_args(getenv("CNI_ARGS").value_or(""));
  if (!args) return std::unexpected(args.error());
  env.args = std::move(*args);
  if (auto it = env.args.find("K8S_POD_NAMESPACE"); it != env.args.end() && !it->second.empty()) env.pod_namespace = it->second;
  if (auto it = env.args.find("K8S_POD_NAME"); it != env.args.end()) env.pod_name = it->second;
  if (env.command == Command::add) {
    if (!model::valid_namespace_name(env.pod_namespace)) {
      return error(code::kInvalidEnvironment, "CNI_ARGS: K8S_POD_NAMESPACE '" + env.pod_namespace.substr(0, 64) + "' is not a DNS label");
    }
    // Not only Kubernetes sets it: podman passes its container names ("elated_benz"), so any
    // name is taken that can be part of an endpoint's "namespace/name": no '/', no control
    // characters, at most 253 bytes.
    const bool bad_name = env.pod_name.size() > 253 || std::any_of(env.pod_name.begin(), env.pod_name.end(), [](char c) {
                            return c == '/' || static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
                          });
    if (bad_name) {
      return error(code::kInvalidEnvironment,
                   "CNI_ARGS: K8S_POD_NAME '" + env.pod_name.substr(0, 64) + "' has a '/' or a control character, or is over 253 bytes");
    }
  }

  const bool attachment = env.command == Command::add || env.command == Command::del || env.command == Command::check;
  if (!attachment) return env;
  if (env.container_id.empty()) return error(code::kInvalidEnvironment, "CNI_CONTAINERID is not set");
  if (!ipam::protocol::valid_container_id(env.container_id)) {
    return error(code::kInvalidEnvironment, "CNI_CONTAINERID is not a valid container id");
  }
  if (env.ifname.empty()) return error(code::kInvalidEnvironment, "CNI_IFNAME is not set");
  if (!ipam::protocol::valid_ifname(env.ifname)) return error(code::kInvalidEnvironment, "CNI_IFNAME is not a valid interface name");
  if (env.command != Command::del && env.netns.empty()) return error(code::kInvalidEnvironment, "CNI_NETNS is not set");
  return env;
}

std::string requested_version(std::string_view stdin_text) {
  auto json = parse_json(stdin_text);
  if (!json || !json->is_object()) return {};
  return json_string_or(*json, "cniVersion", "").value_or("");
}

CniResult<NetConf> parse_netconf(std::string_view stdin_text) {
  auto json = parse_json(stdin_text);
  if (!json) return error(code::kDecodeFailure, "network configuration is not JSON", json.error().message);
  if (!json->is_object()) return error(code::kDecodeFailure, "network configuration is not a JSON object");
  NetConf conf;
  auto version = json_string(*json, "cniVersion");
  if (!version) return bad_config(version.error());
  if (!version_supported(*version)) {
    return error(code::kIncompatibleVersion, "cniVersion '" + version->substr(0, 32) + "' is not supported",
                 "supported: 0.3.0, 0.3.1, 0.4.0, 1.0.0, 1.1.0");
  }
  conf.cni_version = *version;
  for (auto [field, into] : {std::pair{"name", &conf.name}, std::pair{"type", &conf.type}}) {
    auto s = json_string(*json, field);
    if (!s) return bad_config(s.error());
    if (s->empty()) return bad_config(Error{Errc::invalid_argument, std::string("field '") + field + "' is empty"});
    *into = std::move(*s);
  }
  auto socket = json_string_or(*json, "socket", conf.socket);
  if (!socket) return bad_config(socket.error());
  if (socket->empty() || socket->front() != '/') return bad_config(Error{Errc::invalid_argument, "field 'socket' must be an absolute path"});
  conf.socket = std::move(*socket);
  auto mtu = json_int_or(*json, "mtu", 0);
  if (!mtu) return bad_config(mtu.error());
  if (*mtu != 0 && (*mtu < 68 || *mtu > 65535)) return bad_config(Error{Errc::invalid_argument, "field 'mtu' must be 68..65535"});
  conf.mtu = static_cast<uint32_t>(*mtu);
  auto timeout = json_int_or(*json, "timeoutSeconds", conf.timeout_seconds);
  if (!timeout) return bad_config(timeout.error());
  if (*timeout < 1 || *timeout > 3600) return bad_config(Error{Errc::invalid_argument, "field 'timeoutSeconds' must be 1..3600"});
  conf.timeout_seconds = static_cast<int>(*timeout);
  auto grace = json_int_or(*json, "gcGraceSeconds", -1);
  if (!grace) return bad_config(grace.error());
  if (*grace < -1) return bad_config(Error{Errc::invalid_argument, "field 'gcGraceSeconds' must not be negative"});
  conf.gc_grace_seconds = *grace;

  if (auto it = json->find("pools"); it != json->end() && !it->is_null()) {
    if (!it->is_array()) return bad_config(Error{Errc::invalid_argument, "field 'pools' must be a list of pool names"});
    for (const auto& p : *it) {
      if (!p.is_string()) return bad_config(Error{Errc::invalid_argument, "field 'pools' must be a list of pool names"});
      conf.pools.push_back(p.get<std::string>());
    }
  }
  if (auto args = json->find("args"); args != json->end() && args->is_object()) {
    if (auto cni = args->find("cni"); cni != args->end() && cni->is_object()) {
      if (auto labels = cni->find("labels"); labels != cni->end()) {
        if (auto r = read_labels(*labels, conf.labels); !r) return bad_config(r.error());
      }
      if (auto ports = cni->find("ports"); ports != cni->end()) {
        auto decoded = model::decode_ports(*ports);
        if (!decoded) return bad_config(wrap(decoded.error(), "args.cni.ports").error());
        if (auto r = add_ports(std::move(*decoded), conf.ports); !r) return bad_config(r.error());
      }
    }
  }
  if (auto rc = json->find("runtimeConfig"); rc != json->end() && rc->is_object()) {
    if (auto labels = rc->find("labels"); labels != rc->end()) {
      if (auto r = read_labels(*labels, conf.labels); !r) return bad_config(r.error());
    }
    if (auto mappings = rc->find("portMappings"); mappings != rc->end()) {
      auto named = named_port_mappings(*mappings);
      if (!named) return bad_config(named.error());
      if (auto r = add_ports(std::move(*named), conf.ports); !r) return bad_config(r.error());
    }
  }
  if (auto r = model::validate_labels(conf.labels); !r) return bad_config(r.error());
  if (auto prev = json->find("prevResult"); prev != json->end() && !prev->is_null()) {
    if (!prev->is_object()) return bad_config(Error{Errc::invalid_argument, "field 'prevResult' must be an object"});
    conf.prev_result = std::move(*prev);  // moved, not copied: untrusted depth
  }
  if (auto r = read_attachments(*json, conf.valid_attachments); !r) return bad_config(r.error());
  return conf;
}

}  // namespace weft::cni
