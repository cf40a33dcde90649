#include "ipam/ipam_protocol.h"

#include <algorithm>
#include <cctype>

#include "base/json.h"
#include "model/labels.h"

namespace weft::ipam::protocol {
namespace {

constexpr std::string_view kOps[] = {"add", "del", "check", "gc", "status"};

Result<Json> parse_line(std::string_view line) {
  if (line.size() > kMaxMessageBytes) {
    return fail(Errc::invalid_argument, "message of ", std::to_string(line.size()), " bytes exceeds the limit of ",
                std::to_string(kMaxMessageBytes));
  }
  if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
  auto json = parse_json(line);
  if (!json) return std::unexpected(json.error());
  if (!json->is_object()) return fail(Errc::invalid_argument, "message is not a JSON object");
  return json;
}

Result<std::string> required_string(const Json& j, std::string_view field) {
  auto s = json_string(j, field);
  if (!s) return std::unexpected(s.error());
  if (s->empty()) return fail(Errc::invalid_argument, "field '", field, "' is empty");
  return s;
}


Result<std::map<std::string, std::string>> string_map(const Json& j, std::string_view field) {
  std::map<std::string, std::string> out;
  auto it = j.find(field);
  if (it == j.end() || it->is_null()) return out;
  if (!it->is_object()) return fail(Errc::invalid_argument, "field '", field, "' must be an object of strings");
  for (const auto& item : it->items()) {
    if (!item.value().is_string()) {
      return fail(Errc::invalid_argument, "field '", field, "' must be an object of strings");
    }
    out[item.key()] = item.value().get<std::string>();
  }
  return out;
}

Result<Attachment> decode_attachment(const Json& j) {
  auto id = json_string(j, "containerId");
  if (!id) return std::unexpected(id.error());
  auto ifname = json_string(j, "ifname");
  if (!ifname) return std::unexpected(ifname.error());
  if (!valid_container_id(*id)) return fail(Errc::invalid_argument, "invalid container id in attachment list");
  if (!valid_ifname(*ifname)) return fail(Errc::invalid_argument, "invalid interface name in attachment list");
  return Attachment{*id, *ifname};
}

Result<std::vector<Attachment>> attachment_list(const Json& j, std::string_view field) {
  std::vector<Attachment> out;
  auto it = j.find(field);
  if (it == j.end() || it->is_null()) return out;
  if (!it->is_array()) return fail(Errc::invalid_argument, "field '", field, "' must be a list");
  for (const auto& item : *it) {
    auto a = decode_attachment(item);
    if (!a) return wrap(a.error(), std::string(field));
    out.push_back(std::move(*a));
  }
  return out;
}

Json encode_attachments(const std::vector<Attachment>& list) {
  Json out = Json::array();
  for (const auto& a : list) out.push_back({{"containerId", a.container_id}, {"ifname", a.ifname}});
  return out;
}

}  // namespace

std::string_view to_string(Op op) { return kOps[static_cast<size_t>(op)]; }

std::string_view errc_name(Errc code) {
  switch (code) {
    case Errc::invalid_argument: return "invalid_argument";
    case Errc::not_found: return "not_found";
    case Errc::already_exists: return "already_exists";
    case Errc::conflict: return "conflict";
    case Errc::in_use: return "in_use";
    case Errc::exhausted: return "exhausted";
    case Errc::unavailable: return "unavailable";
    case Errc::compacted: return "compacted";
    case Errc::corrupt: return "corrupt";
    case Errc::io: return "io";
    case Errc::internal: return "internal";
  }
  return "internal";
}

std::optional<Errc> parse_errc(std::string_view name) {
  for (int i = 0; i <= static_cast<int>(Errc::internal); ++i) {
    if (errc_name(static_cast<Errc>(i)) == name) return static_cast<Errc>(i);
  }
  return std::nullopt;
}

bool valid_container_id(std::string_view id) {
  if (id.empty() || id.size() > 256 || !std::isalnum(static_cast<unsigned char>(id[0]))) return false;
  for (char c : id) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.' && c != '-') return false;
  }
  return true;
}

bool valid_ifname(std::string_view name) {
  if (name.empty() || name.size() > 15 || name == "." || name == "..") return false;
  for (char c : name) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '/' || c == ':' || std::isspace(u) || u < 0x20 || u == 0x7f) return false;
  }
  return true;
}

std::string host_veth_name(std::string_view container_id, std::string_view ifname) {
  uint64_t hash = 0xcbf29ce484222325ULL;
  auto mix = [&hash](unsigned char c) {
    hash ^= c;
    hash *= 0x100000001b3ULL;
  };
  for (char c : container_id) mix(static_cast<unsigned char>(c));
  mix(0);
  for (char c : ifname) mix(static_cast<unsigned char>(c));
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "weft";
  for (int i = 0; i < 11; ++i) out += kHex[(hash >> (60 - 4 * i)) & 0xf];
  return out;
}

std::string encode(const Request& r) {
  Json j{{"v", kVersion}, {"op", to_string(r.op)}};
  if (!r.container_id.empty()) j["containerId"] = r.container_id;
  if (!r.ifname.empty()) j["ifname"] = r.ifname;
  if (!r.netns.empty()) j["netns"] = r.netns;
  if (!r.network.empty()) j["network"] = r.network;
  if (!r.pod_namespace.empty()) j["podNamespace"] = r.pod_namespace;
  if (!r.pod_name.empty()) j["podName"] = r.pod_name;
  if (!r.labels.empty()) j["labels"] = r.labels;
  if (!r.ports.empty()) j["ports"] = model::encode_ports(r.ports);
  if (!r.pools.empty()) j["pools"] = r.pools;
  if (r.op == Op::gc) j["validAttachments"] = encode_attachments(r.valid_attachments);
  if (r.grace_seconds >= 0) j["graceSeconds"] = r.grace_seconds;
  return dump_json(j) + "\n";
}

Result<Request> decode_request(std::string_view line) {
  auto j = parse_line(line);
  if (!j) return std::unexpected(j.error());
  auto version = json_int(*j, "v");
  if (!version) return std::unexpected(version.error());
  if (*version != kVersion) return fail(Errc::invalid_argument, "unsupported protocol version ", std::to_string(*version));
  auto op = json_string(*j, "op");
  if (!op) return std::unexpected(op.error());
  Request r;
  auto known = std::find(std::begin(kOps), std::end(kOps), *op);
  if (known == std::end(kOps)) return fail(Errc::invalid_argument, "unknown op '", op->substr(0, 32), "'");
  r.op = static_cast<Op>(known - std::begin(kOps));

  if (r.op == Op::add || r.op == Op::del || r.op == Op::check) {
    auto id = required_string(*j, "containerId");
    if (!id) return std::unexpected(id.error());
    if (!valid_container_id(*id)) return fail(Errc::invalid_argument, "invalid container id");
    auto ifname = required_string(*j, "ifname");
    if (!ifname) return std::unexpected(ifname.error());
    if (!valid_ifname(*ifname)) return fail(Errc::invalid_argument, "invalid interface name");
    r.container_id = std::move(*id);
    r.ifname = std::move(*ifname);
  }
  for (auto [field, into] : {std::pair{"netns", &r.netns}, std::pair{"network", &r.network},
                             std::pair{"podNamespace", &r.pod_namespace}, std::pair{"podName", &r.pod_name}}) {
    auto s = json_string_or(*j, field, "");
    if (!s) return std::unexpected(s.error());
    *into = std::move(*s);
  }
  auto labels = string_map(*j, "labels");
  if (!labels) return std::unexpected(labels.error());
  if (auto valid = model::validate_labels(*labels); !valid) return std::unexpected(valid.error());
  r.labels = std::move(*labels);
  if (auto it = j->find("ports"); it != j->end()) {
    auto ports = model::decode_ports(*it);
    if (!ports) return std::unexpected(ports.error());
    r.ports = std::move(*ports);
  }
  auto pools = json_string_list(*j, "pools");
  if (!pools) return std::unexpected(pools.error());
  r.pools = std::move(*pools);
  auto valid = attachment_list(*j, "validAttachments");
  if (!valid) return std::unexpected(valid.error());
  r.valid_attachments = std::move(*valid);
  auto grace = json_int_or(*j, "graceSeconds", -1);
  if (!grace) return std::unexpected(grace.error());
  if (*grace < -1) return fail(Errc::invalid_argument, "field 'graceSeconds' must not be negative");
  r.grace_seconds = *grace;
  return r;
}

std::string encode(const Response& r) {
  if (r.error) {
    return dump_json(Json{{"ok", false}, {"error", {{"code", errc_name(r.error->code)}, {"message", r.error->message}}}}) +
           "\n";
  }
  Json j{{"ok", true}};
  if (!r.node.empty()) j["node"] = r.node;
  if (r.mtu != 0) j["mtu"] = r.mtu;
  if (!r.addresses.empty()) {
    Json list = Json::array();
    for (const auto& a : r.addresses) {
      list.push_back({{"address", a.address.to_string()}, {"pool", a.pool}, {"block", a.block.to_string()}});
    }
    j["addresses"] = std::move(list);
  }
  if (!r.released.empty()) j["released"] = encode_attachments(r.released);
  if (r.ready) j["ready"] = true;
  if (!r.detail.empty()) j["detail"] = r.detail;
  return dump_json(j) + "\n";
}

Result<Response> decode_response(std::string_view line) {
  auto j = parse_line(line);
  if (!j) return std::unexpected(j.error());
  auto ok = json_bool(*j, "ok");
  if (!ok) return std::unexpected(ok.error());
  Response r;
  if (!*ok) {
    auto e = j->find("error");
    if (e == j->end() || !e->is_object()) return fail(Errc::invalid_argument, "failed response without an error object");
    auto code = json_string(*e, "code");
    if (!code) return std::unexpected(code.error());
    auto message = json_string_or(*e, "message", "");
    if (!message) return std::unexpected(message.error());
    // An unknown code from a newer peer still fails the request, as an internal error.
    r.error = Error{parse_errc(*code).value_or(Errc::internal), std::move(*message)};
    return r;
  }
  auto node = json_string_or(*j, "node", "");
  if (!node) return std::unexpected(node.error());
  r.node = std::move(*node);
  auto mtu = json_int_or(*j, "mtu", 0);
  if (!mtu) return std::unexpected(mtu.error());
  if (*mtu < 0 || *mtu > 65535) return fail(Errc::invalid_argument, "field 'mtu' is out of range");
  r.mtu = static_cast<uint32_t>(*mtu);
  if (auto it = j->find("addresses"); it != j->end() && !it->is_null()) {
    if (!it->is_array()) return fail(Errc::invalid_argument, "field 'addresses' must be a list");
    for (const auto& item : *it) {
      auto address = json_string(item, "address");
      if (!address) return wrap(address.error(), "addresses");
      auto ip = IpAddress::parse(*address);
      if (!ip) return wrap(ip.error(), "addresses");
      auto pool = json_string_or(item, "pool", "");
      if (!pool) return wrap(pool.error(), "addresses");
      auto block_text = json_string(item, "block");
      if (!block_text) return wrap(block_text.error(), "addresses");
      auto block = Prefix::parse(*block_text);
      if (!block) return wrap(block.error(), "addresses");
      if (!block->contains(*ip)) return fail(Errc::invalid_argument, "address ", *address, " is not in its block");
      r.addresses.push_back({*ip, std::move(*pool), *block});
    }
  }
  auto released = attachment_list(*j, "released");
  if (!released) return std::unexpected(released.error());
  r.released = std::move(*released);
  auto ready = json_bool_or(*j, "ready", false);
  if (!ready) return std::unexpected(ready.error());
  r.ready = *ready;
  auto detail = json_string_or(*j, "detail", "");
  if (!detail) return std::unexpected(detail.error());
  r.detail = std::move(*detail);
  return r;
}

}  // namespace weft::ipam::protocol
