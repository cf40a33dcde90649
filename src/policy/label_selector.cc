#include "policy/label_selector.h"

namespace weft::policy {
namespace {

Result<void> check_key(std::string_view key, std::string_view where) {
  if (!valid_label_key(key)) return fail(Errc::invalid_argument, where, ": '", key, "' is not a label key");
  return {};
}

Result<void> check_values(const std::vector<std::string>& values, std::string_view where) {
  for (const auto& v : values) {
    if (!valid_label_value(v)) return fail(Errc::invalid_argument, where, ": value '", v, "' holds both quote characters");
  }
  return {};
}

}  // namespace

Result<Selector> to_selector(const LabelSelector& in) {
  using Kind = Selector::Kind;
  std::vector<Selector> terms;
  for (const auto& [key, value] : in.match_labels) {
    if (auto r = check_key(key, "matchLabels"); !r) return std::unexpected(r.error());
    if (auto r = check_values({value}, "matchLabels"); !r) return std::unexpected(r.error());
    terms.push_back(leaf(Kind::equals, key, {value}));
  }
  for (size_t i = 0; i < in.match_expressions.size(); ++i) {
    const auto& e = in.match_expressions[i];
    const std::string where = "matchExpressions[" + std::to_string(i) + "]";
    if (auto r = check_key(e.key, where); !r) return std::unexpected(r.error());
    if (auto r = check_values(e.values, where); !r) return std::unexpected(r.error());
    if (e.op == "In" || e.op == "NotIn") {
      if (e.values.empty()) return fail(Errc::invalid_argument, where, ": operator ", e.op, " needs values");
      terms.push_back(leaf(e.op == "In" ? Kind::in : Kind::not_in, e.key, e.values));
    } else if (e.op == "Exists" || e.op == "DoesNotExist") {
      if (!e.values.empty()) return fail(Errc::invalid_argument, where, ": operator ", e.op, " takes no values");
      terms.push_back(leaf(e.op == "Exists" ? Kind::has : Kind::not_has, e.key));
    } else {
      return fail(Errc::invalid_argument, where, ": unknown operator '", e.op, "' (In, NotIn, Exists, DoesNotExist)");
    }
  }
  return all_of(std::move(terms));
}

}  // namespace weft::policy
