#include "cni/cni_result.h"

namespace weft::cni {

Json encode_result(const CniOutput& r, std::string_view cni_version) {
  const bool legacy = compare_versions(cni_version, "1.0.0") < 0;  // 0.3.x, 0.4.0: ips carry "version"
  const bool with_mtu = compare_versions(cni_version, "1.1.0") >= 0;
  Json interfaces = Json::array();
  for (const auto& i : r.interfaces) {
    Json j{{"name", i.name}};
    if (!i.mac.empty()) j["mac"] = i.mac;
    if (!i.sandbox.empty()) j["sandbox"] = i.sandbox;
    if (with_mtu && i.mtu != 0) j["mtu"] = i.mtu;
    interfaces.push_back(std::move(j));
  }
  Json ips = Json::array();
  for (const auto& ip : r.ips) {
    Json j{{"address", ip.address.to_string() + "/" + std::to_string(ip.prefix_length)}};
    if (legacy) j["version"] = ip.address.is_v4() ? "4" : "6";
    if (ip.gateway) j["gateway"] = ip.gateway->to_string();
    if (ip.interface >= 0) j["interface"] = ip.interface;
    ips.push_back(std::move(j));
  }
  Json routes = Json::array();
  for (const auto& route : r.routes) {
    Json j{{"dst", route.dst.to_string()}};
    if (route.gw) j["gw"] = route.gw->to_string();
    routes.push_back(std::move(j));
  }
  return Json{{"cniVersion", cni_version},
              {"interfaces", std::move(interfaces)},
              {"ips", std::move(ips)},
              {"routes", std::move(routes)},
              {"dns", Json::object()}};
}

Result<CniOutput> decode_result(const Json& json) {
  if (!json.is_object()) return fail(Errc::invalid_argument, "prevResult is not an object");
  CniOutput out;
  auto list = [&](const char* field) -> const Json* {
    auto it = json.find(field);
    return it == json.end() || !it->is_array() ? nullptr : &*it;
  };
  if (const Json* interfaces = list("interfaces")) {
    for (const auto& i : *interfaces) {
      auto name = json_string(i, "name");
      if (!name) return wrap(name.error(), "prevResult.interfaces");
      ResultInterface ri{*name, json_string_or(i, "mac", "").value_or(""), json_string_or(i, "sandbox", "").value_or("")};
      out.interfaces.push_back(std::move(ri));
    }
  }
  if (const Json* ips = list("ips")) {
    for (const auto& ip : *ips) {
      auto text = json_string(ip, "address");
      if (!text) return wrap(text.error(), "prevResult.ips");
      const auto slash = text->find('/');
      auto address = IpAddress::parse(text->substr(0, slash));
      if (!address || slash == std::string::npos) {
        return fail(Errc::invalid_argument, "prevResult.ips: '", text->substr(0, 64), "' is not ADDRESS/LENGTH");
      }
      auto length = Prefix::parse_lenient(*text);
      if (!length) return wrap(length.error(), "prevResult.ips");
      ResultIp r{*address, length->length()};
      auto index = json_int_or(ip, "interface", -1);
      if (!index) return wrap(index.error(), "prevResult.ips");
      r.interface = static_cast<int>(*index);
      if (auto gw = json_string_or(ip, "gateway", ""); gw && !gw->empty()) {
        auto parsed = IpAddress::parse(*gw);
        if (!parsed) return wrap(parsed.error(), "prevResult.ips gateway");
        r.gateway = *parsed;
      }
      out.ips.push_back(r);
    }
  }
  if (const Json* routes = list("routes")) {
    for (const auto& route : *routes) {
      auto dst = json_string(route, "dst");
      if (!dst) return wrap(dst.error(), "prevResult.routes");
      auto prefix = Prefix::parse_lenient(*dst);
      if (!prefix) return wrap(prefix.error(), "prevResult.routes");
      ResultRoute r{*prefix};
      if (auto gw = json_string_or(route, "gw", ""); gw && !gw->empty()) {
        auto parsed = IpAddress::parse(*gw);
        if (!parsed) return wrap(parsed.error(), "prevResult.routes gw");
        r.gw = *parsed;
      }
      out.routes.push_back(r);
    }
  }
  return out;
}

Json encode_error(const CniError& error, std::string_view cni_version) {
  Json j{{"cniVersion", cni_version.empty() ? std::string_view("1.0.0") : cni_version},
         {"code", error.code},
         {"msg", error.msg}};
  if (!error.details.empty()) j["details"] = error.details;
  return j;
}

Json encode_version_info(std::string_view requested) {
  Json versions = Json::array();
  for (auto v : kSupportedVersions) versions.push_back(v);
  return Json{{"cniVersion", version_supported(requested) ? requested : std::string_view("1.1.0")},
              {"supportedVersions", std::move(versions)}};
}

}  // namespace weft::cni
