#include "model/bgp_config.h"

#include <algorithm>

#include "model/node.h"
#include "model/pool.h"

namespace weft::model {
namespace {

Error corrupt(std::string_view what, const Error& e) { return Error{Errc::corrupt, std::string(what) + ": " + e.message}; }

Result<uint32_t> as_field(const Json& j, std::string_view field, int64_t fallback) {
  auto v = json_int_or(j, field, fallback);
  if (!v) return std::unexpected(v.error());
  if (*v == 0 && fallback == 0) return 0u;  // optional and absent
  if (auto r = validate_as_number(*v); !r) return std::unexpected(r.error());
  return static_cast<uint32_t>(*v);
}


bool valid_label_key(std::string_view key) {
  if (key.empty() || key.size() > 253) return false;
  return std::all_of(key.begin(), key.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '/';
  });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

// A session's "lastNotification", if any (records from before it have none).
Result<std::optional<BgpNotificationStatus>> decode_notification_status(const Json& session) {
  auto it = session.find("lastNotification");
  if (it == session.end() || it->is_null()) return std::nullopt;
  if (!it->is_object()) return fail(Errc::corrupt, "'lastNotification' must be an object");
  auto direction = json_string(*it, "direction");
  auto code = json_int(*it, "code");
  auto subcode = json_int_or(*it, "subcode", 0);
  auto text = json_string_or(*it, "text", "");
  auto at = json_int_or(*it, "at", 0);
  for (const Error* e : {direction ? nullptr : &direction.error(), code ? nullptr : &code.error(),
                         subcode ? nullptr : &subcode.error(), text ? nullptr : &text.error(),
                         at ? nullptr : &at.error()}) {
    if (e != nullptr) return std::unexpected(corrupt("lastNotification", *e));
  }
  if (*direction != "sent" && *direction != "received") {
    return fail(Errc::corrupt, "lastNotification: direction '", *direction, "' is neither sent nor received");
  }
  // Both are octets on the wire (RFC 4271 §4.5).
  if (*code < 0 || *code > 255 || *subcode < 0 || *subcode > 255) {
    return fail(Errc::corrupt, "lastNotification: code or subcode out of range 0-255");
  }
  return BgpNotificationStatus{*direction, static_cast<uint8_t>(*code), static_cast<uint8_t>(*subcode), *text, *at};
}

}  // namespace

Result<LabelSelector> parse_selector(std::string_view text) {
  LabelSelector out;
  if (trim(text).empty()) return fail(Errc::invalid_argument, "empty node selector");
  while (true) {
    const auto comma = text.find(',');
    std::string_view term = trim(text.substr(0, comma));
    LabelTerm t;
    if (auto ne = term.find("!="); ne != std::string_view::npos) {
      t = {std::string(trim(term.substr(0, ne))), LabelTerm::Op::not_equals, std::string(trim(term.substr(ne + 2)))};
    } else if (auto eq = term.find('='); eq != std::string_view::npos) {
      t = {std::string(trim(term.substr(0, eq))), LabelTerm::Op::equals, std::string(trim(term.substr(eq + 1)))};
    } else if (term.starts_with('!')) {
      t = {std::string(trim(term.substr(1))), LabelTerm::Op::absent, ""};
    } else {
      t = {std::string(term), LabelTerm::Op::exists, ""};
    }
    if (!valid_label_key(t.key)) {
      return fail(Errc::invalid_argument, "node selector term '", term,
                  "' is not KEY=VALUE, KEY!=VALUE, KEY or !KEY");
    }
    out.push_back(std::move(t));
    if (comma == std::string_view::npos) break;
    text = text.substr(comma + 1);
  }
  return out;
}

bool matches(const LabelSelector& selector, const std::map<std::string, std::string>& labels) {
  return std::all_of(selector.begin(), selector.end(), [&](const LabelTerm& t) {
    auto it = labels.find(t.key);
    switch (t.op) {
      case LabelTerm::Op::equals: return it != labels.end() && it->second == t.value;
      case LabelTerm::Op::not_equals: return it == labels.end() || it->second != t.value;
      case LabelTerm::Op::exists: return it != labels.end();
      case LabelTerm::Op::absent: return it == labels.end();
    }
    return false;
  });
}

std::string_view to_string(ExportMode mode) { return mode == ExportMode::own ? "own" : "pools"; }

Result<ExportMode> parse_export_mode(std::string_view text) {
  if (text == "pools") return ExportMode::pools;
  if (text == "own") return ExportMode::own;
  return fail(Errc::invalid_argument, "export mode '", text, "' (expected pools or own)");
}

std::string default_peer_name(const IpAddress& address) {
  std::string name = address.to_string();
  std::replace_if(name.begin(), name.end(), [](char c) { return c == '.' || c == ':'; }, '-');
  return name;
}

Result<void> validate_as_number(int64_t as_number) {
  if (as_number < 1 || as_number > 4294967295LL) {
    return fail(Errc::invalid_argument, "AS number ", std::to_string(as_number), " is out of range 1-4294967295");
  }
  if (as_number == 23456) return fail(Errc::invalid_argument, "AS number 23456 is AS_TRANS (RFC 6793), not a real AS");
  return {};
}

Result<void> validate(const BgpPeer& peer) {
  if (!valid_name(peer.name)) {
    return fail(Errc::invalid_argument, "peer name '", peer.name, "' must be 1-63 characters of a-z, 0-9 and '-'");
  }
  if (auto r = validate_as_number(peer.as_number); !r) return r;
  if (!peer.node.empty() && !peer.node_selector.empty()) {
    return fail(Errc::invalid_argument, "a peer takes --node or --node-selector, not both");
  }
  if (!peer.node.empty() && !valid_node_name(peer.node)) {
    return fail(Errc::invalid_argument, "node name '", peer.node, "' is not a host name");
  }
  if (!peer.node_selector.empty()) {
    if (auto s = parse_selector(peer.node_selector); !s) return std::unexpected(s.error());
  }
  if (auto r = validate_md5_password(peer.password); !r) return r;
  if (peer.local_address && peer.local_address->is_v4() != peer.address.is_v4()) {
    return fail(Errc::invalid_argument, "local address ", peer.local_address->to_string(),
                " is not of the peer address's family");
  }
  const auto v4_hops = std::count_if(peer.next_hop_self.begin(), peer.next_hop_self.end(),
                                     [](const IpAddress& a) { return a.is_v4(); });
  if (v4_hops > 1 || peer.next_hop_self.size() - static_cast<size_t>(v4_hops) > 1) {
    return fail(Errc::invalid_argument, "at most one next-hop-self address per family");
  }
  return {};
}

Result<void> validate_md5_password(std::string_view password) {
  if (password.size() > 80) return fail(Errc::invalid_argument, "TCP MD5 password longer than 80 bytes");
  if (!std::all_of(password.begin(), password.end(), [](char c) { return c >= 0x20 && c < 0x7f; })) {
    return fail(Errc::invalid_argument, "TCP MD5 password: printable ASCII only");
  }
  return {};
}

Json encode(const BgpGlobal& global) {
  Json j{{"asNumber", global.as_number}, {"nodeMesh", global.node_mesh}};
  if (!global.node_mesh_password.empty()) j["nodeMeshPassword"] = global.node_mesh_password;
  return j;
}

Json encode(const BgpNodeConfig& config) { return {{"node", config.node}, {"asNumber", config.as_number}}; }

Json encode(const BgpPeer& peer) {
  Json j = {{"name", peer.name}, {"peerIp", peer.address.to_string()}, {"asNumber", peer.as_number}};
  if (!peer.node.empty()) j["node"] = peer.node;
  if (!peer.node_selector.empty()) j["nodeSelector"] = peer.node_selector;
  if (!peer.password.empty()) j["password"] = peer.password;
  if (!peer.accept.empty()) {
    Json accept = Json::array();
    for (const auto& p : peer.accept) accept.push_back(p.to_string());
    j["accept"] = accept;
  }
  if (peer.local_address) j["localAddress"] = peer.local_address->to_string();
  if (!peer.next_hop_self.empty()) {
    Json hops = Json::array();
    for (const auto& a : peer.next_hop_self) hops.push_back(a.to_string());
    j["nextHopSelf"] = hops;
  }
  if (peer.ttl != 0) j["ttl"] = peer.ttl;
  if (peer.export_mode != ExportMode::pools) j["exportMode"] = std::string(to_string(peer.export_mode));
  if (!peer.exports.empty()) {
    Json exports = Json::array();
    for (const auto& p : peer.exports) exports.push_back(p.to_string());
    j["export"] = exports;
  }
  return j;
}

Json encode(const BgpNodeStatus& status) {
  Json sessions = Json::array();
  for (const auto& s : status.sessions) {
    Json j = {{"peer", s.peer},           {"kind", s.kind},         {"address", s.address.to_string()},
              {"asNumber", s.as_number},  {"state", s.state},       {"establishedAt", s.established_at_unix},
              {"received", s.received},   {"accepted", s.accepted},  {"advertised", s.advertised}};
    if (!s.last_error.empty()) j["lastError"] = s.last_error;
    if (const auto& n = s.last_notification) {
      j["lastNotification"] = {{"direction", n->direction}, {"code", n->code}, {"subcode", n->subcode},
                               {"text", n->text},           {"at", n->at_unix}};
    }
    sessions.push_back(j);
  }
  return {{"node", status.node},         {"asNumber", status.as_number},
          {"routerId", status.router_id}, {"routeReflector", status.route_reflector},
          {"updatedAt", status.updated_at_unix}, {"sessions", sessions}};
}

Result<BgpGlobal> decode_bgp_global(std::string_view text) {
  auto j = parse_json(text);
  if (!j) return std::unexpected(corrupt("bgp config", j.error()));
  auto as = as_field(*j, "asNumber", kDefaultAsNumber);
  if (!as) return std::unexpected(corrupt("bgp config", as.error()));
  auto mesh = json_bool_or(*j, "nodeMesh", true);
  if (!mesh) return std::unexpected(corrupt("bgp config", mesh.error()));
  auto password = json_string_or(*j, "nodeMeshPassword", "");
  if (!password) return std::unexpected(corrupt("bgp config", password.error()));
  if (auto r = validate_md5_password(*password); !r) return std::unexpected(corrupt("bgp config", r.error()));
  return BgpGlobal{*as, *mesh, *password};
}

Result<BgpNodeConfig> decode_bgp_node_config(std::string_view text) {
  auto j = parse_json(text);
  if (!j) return std::unexpected(corrupt("bgp node config", j.error()));
  auto node = json_string(*j, "node");
  if (!node) return std::unexpected(corrupt("bgp node config", node.error()));
  auto as = as_field(*j, "asNumber", 0);
  if (!as) return std::unexpected(corrupt("bgp node config " + *node, as.error()));
  return BgpNodeConfig{*node, *as};
}

Result<BgpPeer> decode_bgp_peer(std::string_view text) {
  auto j = parse_json(text);
  if (!j) return std::unexpected(corrupt("bgp peer", j.error()));
  BgpPeer peer;
  auto name = json_string(*j, "name");
  auto ip = json_string(*j, "peerIp");
  auto as = json_int(*j, "asNumber");
  auto node = json_string_or(*j, "node", "");
  auto selector = json_string_or(*j, "nodeSelector", "");
  auto password = json_string_or(*j, "password", "");
  auto accept = json_string_list(*j, "accept");
  for (const Error* e : {name ? nullptr : &name.error(), ip ? nullptr : &ip.error(), as ? nullptr : &as.error(),
                         node ? nullptr : &node.error(), selector ? nullptr : &selector.error(),
                         password ? nullptr : &password.error(), accept ? nullptr : &accept.error()}) {
    if (e != nullptr) return std::unexpected(corrupt("bgp peer", *e));
  }
  auto address = IpAddress::parse(*ip);
  if (!address) return std::unexpected(corrupt("bgp peer " + *name, address.error()));
  if (*as < 0 || *as > 4294967295LL) return fail(Errc::corrupt, "bgp peer ", *name, ": asNumber out of range");
  peer.name = *name;
  peer.address = *address;
  peer.as_number = static_cast<uint32_t>(*as);
  peer.node = *node;
  peer.node_selector = *selector;
  peer.password = *password;
  const std::string what = "bgp peer " + *name;
  auto prefixes = [&](const std::vector<std::string>& texts, std::vector<Prefix>& out) -> Result<void> {
    for (const auto& text_prefix : texts) {
      auto p = Prefix::parse(text_prefix);
      if (!p) return std::unexpected(corrupt(what, p.error()));
      out.push_back(*p);
    }
    return {};
  };
  if (auto r = prefixes(*accept, peer.accept); !r) return std::unexpected(r.error());
  auto local = json_string_or(*j, "localAddress", "");
  auto hops = json_string_list(*j, "nextHopSelf");
  auto ttl = json_int_or(*j, "ttl", 0);
  auto mode = json_string_or(*j, "exportMode", "pools");
  auto exports = json_string_list(*j, "export");
  for (const Error* e : {local ? nullptr : &local.error(), hops ? nullptr : &hops.error(), ttl ? nullptr : &ttl.error(),
                         mode ? nullptr : &mode.error(), exports ? nullptr : &exports.error()}) {
    if (e != nullptr) return std::unexpected(corrupt(what, *e));
  }
  if (!local->empty()) {
    auto a = IpAddress::parse(*local);
    if (!a) return std::unexpected(corrupt(what, a.error()));
    peer.local_address = *a;
  }
  for (const auto& text_hop : *hops) {
    auto a = IpAddress::parse(text_hop);
    if (!a) return std::unexpected(corrupt(what, a.error()));
    peer.next_hop_self.push_back(*a);
  }
  if (*ttl < 0 || *ttl > 255) return fail(Errc::corrupt, what, ": ttl out of range 0-255");
  peer.ttl = static_cast<uint8_t>(*ttl);
  auto export_mode = parse_export_mode(*mode);
  if (!export_mode) return std::unexpected(corrupt(what, export_mode.error()));
  peer.export_mode = *export_mode;
  if (auto r = prefixes(*exports, peer.exports); !r) return std::unexpected(r.error());
  if (auto r = validate(peer); !r) return std::unexpected(corrupt("bgp peer " + *name, r.error()));
  return peer;
}

Result<BgpNodeStatus> decode_bgp_status(std::string_view text) {
  auto j = parse_json(text);
  if (!j) return std::unexpected(corrupt("bgp status", j.error()));
  BgpNodeStatus out;
  auto node = json_string(*j, "node");
  auto as = json_int_or(*j, "asNumber", 0);
  auto id = json_string_or(*j, "routerId", "");
  auto rr = json_bool_or(*j, "routeReflector", false);
  auto at = json_int_or(*j, "updatedAt", 0);
  for (const Error* e : {node ? nullptr : &node.error(), as ? nullptr : &as.error(), id ? nullptr : &id.error(),
                         rr ? nullptr : &rr.error(), at ? nullptr : &at.error()}) {
    if (e != nullptr) return std::unexpected(corrupt("bgp status", *e));
  }
  out = BgpNodeStatus{*node, static_cast<uint32_t>(*as), *id, *rr, *at, {}};
  auto it = j->find("sessions");
  if (it == j->end() || it->is_null()) return out;
  if (!it->is_array()) return fail(Errc::corrupt, "bgp status ", *node, ": 'sessions' must be a list");
  for (const auto& s : *it) {
    auto peer = json_string(s, "peer");
    auto kind = json_string_or(s, "kind", "");
    auto address = json_string(s, "address");
    auto peer_as = json_int_or(s, "asNumber", 0);
    auto state = json_string(s, "state");
    auto since = json_int_or(s, "establishedAt", 0);
    auto received = json_int_or(s, "received", 0);
    auto advertised = json_int_or(s, "advertised", 0);
    auto accepted = json_int_or(s, "accepted", received ? *received : 0);
    auto error = json_string_or(s, "lastError", "");
    for (const Error* e : {peer ? nullptr : &peer.error(), kind ? nullptr : &kind.error(),
                           address ? nullptr : &address.error(), peer_as ? nullptr : &peer_as.error(),
                           state ? nullptr : &state.error(), since ? nullptr : &since.error(),
                           received ? nullptr : &received.error(), advertised ? nullptr : &advertised.error(),
                           accepted ? nullptr : &accepted.error(), error ? nullptr : &error.error()}) {
      if (e != nullptr) return std::unexpected(corrupt("bgp status " + *node, *e));
    }
    auto ip = IpAddress::parse(*address);
    if (!ip) return std::unexpected(corrupt("bgp status " + *node, ip.error()));
    auto notification = decode_notification_status(s);
    if (!notification) return std::unexpected(corrupt("bgp status " + *node, notification.error()));
    auto count = [](int64_t n) { return static_cast<uint64_t>(std::max<int64_t>(0, n)); };
    out.sessions.push_back(BgpSessionStatus{.peer = *peer,
                                            .kind = *kind,
                                            .address = *ip,
                                            .as_number = static_cast<uint32_t>(*peer_as),
                                            .state = *state,
                                            .established_at_unix = *since,
                                            .received = count(*received),
                                            .accepted = count(*accepted),
                                            .advertised = count(*advertised),
                                            .last_error = *error,
                                            .last_notification = std::move(*notification)});
  }
  return out;
}

}  // namespace weft::model
