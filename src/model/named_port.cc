#include "model/named_port.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <set>

namespace weft::model {

bool valid_port_name(std::string_view name) {
  if (name.empty() || name.size() > 15 || name.front() == '-' || name.back() == '-') return false;
  if (name.find("--") != std::string_view::npos) return false;
  bool letter = false;
  for (char c : name) {
    const auto u = static_cast<unsigned char>(c);
    if (std::islower(u)) letter = true;
    else if (!std::isdigit(u) && c != '-') return false;
  }
  return letter;
}

Result<std::string> parse_protocol(std::string_view text) {
  std::string upper(text);
  std::transform(upper.begin(), upper.end(), upper.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  if (upper == "TCP" || upper == "UDP" || upper == "SCTP") return upper;
  return fail(Errc::invalid_argument, "protocol '", text.substr(0, 32), "' is not TCP, UDP or SCTP");
}

namespace {

Result<uint16_t> port_number(int64_t value) {
  if (value < 1 || value > 65535) return fail(Errc::invalid_argument, "port ", std::to_string(value), " is not 1-65535");
  return static_cast<uint16_t>(value);
}

Result<void> check_name(std::string_view name) {
  if (!valid_port_name(name)) {
    return fail(Errc::invalid_argument, "port name '", name.substr(0, 32),
                "' is not 1-15 of a-z, 0-9 and '-' with a letter");
  }
  return {};
}

}  // namespace

Result<NamedPort> parse_named_port(std::string_view text) {
  const auto eq = text.find('=');
  if (eq == std::string_view::npos) return fail(Errc::invalid_argument, "port '", text, "' is not NAME=PORT[/PROTOCOL]");
  NamedPort p{std::string(text.substr(0, eq)), 0, "TCP"};
  if (auto r = check_name(p.name); !r) return std::unexpected(r.error());
  std::string_view rest = text.substr(eq + 1);
  if (const auto slash = rest.find('/'); slash != std::string_view::npos) {
    auto protocol = parse_protocol(rest.substr(slash + 1));
    if (!protocol) return std::unexpected(protocol.error());
    p.protocol = *protocol;
    rest = rest.substr(0, slash);
  }
  int64_t value = 0;
  const auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), value);
  if (ec != std::errc{} || end != rest.data() + rest.size() || rest.empty()) {
    return fail(Errc::invalid_argument, "port '", text, "' is not NAME=PORT[/PROTOCOL]");
  }
  auto port = port_number(value);
  if (!port) return std::unexpected(port.error());
  p.port = *port;
  return p;
}

Result<void> validate_ports(const std::vector<NamedPort>& ports) {
  std::set<std::string_view> names;
  for (const auto& p : ports) {
    if (auto r = check_name(p.name); !r) return r;
    if (p.port == 0) return fail(Errc::invalid_argument, "port ", p.name, " has no number");
    if (auto r = parse_protocol(p.protocol); !r || *r != p.protocol) return fail(Errc::invalid_argument, "port ", p.name, ": bad protocol");
    if (!names.insert(p.name).second) return fail(Errc::invalid_argument, "port name '", p.name, "' is used twice");
  }
  return {};
}

Json encode_ports(const std::vector<NamedPort>& ports) {
  Json out = Json::array();
  for (const auto& p : ports) out.push_back({{"name", p.name}, {"port", p.port}, {"protocol", p.protocol}});
  return out;
}

Result<std::vector<NamedPort>> decode_ports(const Json& list) {
  std::vector<NamedPort> out;
  if (list.is_null()) return out;
  if (!list.is_array()) return fail(Errc::invalid_argument, "ports must be a list of {name, port, protocol}");
  for (const auto& item : list) {
    auto name = json_string(item, "name");
    if (!name) return wrap(name.error(), "ports");
    auto number = json_int(item, "port");
    if (!number) return wrap(number.error(), "ports");
    auto port = port_number(*number);
    if (!port) return std::unexpected(port.error());
    auto protocol_text = json_string_or(item, "protocol", "TCP");
    if (!protocol_text) return wrap(protocol_text.error(), "ports");
    auto protocol = parse_protocol(*protocol_text);
    if (!protocol) return std::unexpected(protocol.error());
    out.push_back({std::move(*name), *port, std::move(*protocol)});
  }
  if (auto r = validate_ports(out); !r) return std::unexpected(r.error());
  return out;
}

}  // namespace weft::model
