#include "model/pool.h"

#include <algorithm>

namespace weft::model {

std::string_view to_string(Encapsulation e) {
  switch (e) {
    case Encapsulation::none: return "none";
    case Encapsulation::vxlan: return "vxlan";
    case Encapsulation::ipip: return "ipip";
  }
  return "?";
}
std::string_view to_string(Encapsulate e) {
  return e == Encapsulate::always ? "always" : "cross-subnet";
}
bool routed_by_bgp(const Pool& pool) {
  return pool.routes == RouteSource::bgp && pool.encapsulation != Encapsulation::vxlan;
}

std::string_view to_string(RouteSource r) { return r == RouteSource::store ? "store" : "bgp"; }

Result<Encapsulation> parse_encapsulation(std::string_view text) {
  if (text == "none") return Encapsulation::none;
  if (text == "vxlan") return Encapsulation::vxlan;
  if (text == "ipip") return Encapsulation::ipip;
  return fail(Errc::invalid_argument, "encapsulation '", text, "' is not one of none, vxlan, ipip");
}
Result<Encapsulate> parse_encapsulate(std::string_view text) {
  if (text == "always") return Encapsulate::always;
  if (text == "cross-subnet") return Encapsulate::cross_subnet;
  return fail(Errc::invalid_argument, "encapsulate '", text, "' is not one of always, cross-subnet");
}
Result<RouteSource> parse_route_source(std::string_view text) {
  if (text == "store") return RouteSource::store;
  if (text == "bgp") return RouteSource::bgp;
  return fail(Errc::invalid_argument, "routes '", text, "' is not one of store, bgp");
}

bool valid_name(std::string_view name) {
  if (name.empty() || name.size() > 63 || name.front() == '-') return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

Result<void> validate(const Pool& pool) {
  if (!valid_name(pool.name)) {
    return fail(Errc::invalid_argument, "pool name '", pool.name,
                "' must be 1-63 characters of a-z, 0-9 and '-'");
  }
  const bool v4 = pool.cidr.family() == Family::v4;
  // The smallest block must still hold a usable address; the largest is the pool itself.
  const int max_length = v4 ? 30 : 126;
  if (pool.block_length < pool.cidr.length() || pool.block_length > max_length) {
    return fail(Errc::invalid_argument, "block size /", std::to_string(pool.block_length),
                " is out of range for pool ", pool.cidr.to_string(), ": it must be between /",
                std::to_string(pool.cidr.length()), " and /", std::to_string(max_length));
  }
  if (pool.encapsulation == Encapsulation::none && pool.encapsulate == Encapsulate::cross_subnet) {
    return fail(Errc::invalid_argument,
                "encapsulate cross-subnet needs an encapsulation (vxlan or ipip)");
  }
  if (pool.encapsulation == Encapsulation::ipip && !v4) {
    return fail(Errc::invalid_argument, "ipip carries IPv4 only; use vxlan for IPv6 pool ",
                pool.cidr.to_string());
  }
  return {};
}

Result<void> validate_against(const Pool& pool, const std::vector<Pool>& existing) {
  if (pool.routes == RouteSource::bgp && pool.encapsulation == Encapsulation::vxlan) {
    return fail(Errc::invalid_argument,
                "routes bgp goes with encapsulation none (or ipip); vxlan pools take their routes from the store");
  }
  for (const auto& other : existing) {
    if (other.name == pool.name) {
      return fail(Errc::already_exists, "pool ", pool.name, " already exists");
    }
    if (other.cidr.overlaps(pool.cidr)) {
      return fail(Errc::invalid_argument, "pool CIDR ", pool.cidr.to_string(), " overlaps pool ",
                  other.name, " (", other.cidr.to_string(), ")");
    }
  }
  return {};
}

Json encode(const Pool& pool) {
  Json j = {
      {"name", pool.name},
      {"cidr", pool.cidr.to_string()},
      {"blockSize", pool.block_length},
      {"encapsulation", to_string(pool.encapsulation)},
      {"encapsulate", to_string(pool.encapsulate)},
      {"routes", to_string(pool.routes)},
      {"natOutgoing", pool.nat_outgoing},
  };
  if (pool.disabled) j["disabled"] = true;
  return j;
}

Result<Pool> decode_pool(std::string_view json_text) {
  auto corrupt = [](const Error& e) { return wrap(Error{Errc::corrupt, e.message}, "pool"); };
  auto j = parse_json(json_text);
  if (!j) return corrupt(j.error());
  Pool pool;
  auto name = json_string(*j, "name");
  auto cidr = json_string(*j, "cidr");
  auto block = json_int(*j, "blockSize");
  auto encap = json_string_or(*j, "encapsulation", "none");
  auto encap_when = json_string_or(*j, "encapsulate", "always");
  auto routes = json_string_or(*j, "routes", "store");
  auto nat = json_bool_or(*j, "natOutgoing", false);
  auto disabled = json_bool_or(*j, "disabled", false);
  for (const Error* e : {name ? nullptr : &name.error(), cidr ? nullptr : &cidr.error(),
                         block ? nullptr : &block.error(), encap ? nullptr : &encap.error(),
                         encap_when ? nullptr : &encap_when.error(),
                         routes ? nullptr : &routes.error(), nat ? nullptr : &nat.error(),
                         disabled ? nullptr : &disabled.error()}) {
    if (e != nullptr) return corrupt(*e);
  }
  auto prefix = Prefix::parse(*cidr);
  if (!prefix) return corrupt(prefix.error());
  auto e1 = parse_encapsulation(*encap);
  if (!e1) return corrupt(e1.error());
  auto e2 = parse_encapsulate(*encap_when);
  if (!e2) return corrupt(e2.error());
  auto r = parse_route_source(*routes);
  if (!r) return corrupt(r.error());
  if (*block < 0 || *block > 128) return fail(Errc::corrupt, "pool: blockSize out of range");
  pool.name = *name;
  pool.cidr = *prefix;
  pool.block_length = static_cast<int>(*block);
  pool.encapsulation = *e1;
  pool.encapsulate = *e2;
  pool.routes = *r;
  pool.nat_outgoing = *nat;
  pool.disabled = *disabled;
  if (auto valid = validate(pool); !valid) return corrupt(valid.error());
  return pool;
}

}  // namespace weft::model
