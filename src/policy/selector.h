// Label selectors as one value type: Calico-style expressions and Kubernetes LabelSelectors both
// become a Selector, so policies, the evaluator and the compiler know one form.
//
// Expression grammar (parse_selector):
//   expr    := and ( "||" and )*
//   and     := unary ( "&&" unary )*
//   unary   := "!" unary | "(" expr ")" | "all()" | "has(" key ")" | key "==" value
//            | key "!=" value | key "in" "{" values "}" | key "not" "in" "{" values "}"
//   value   := "…" | '…'   (no escapes; a value cannot hold its own quote)
//   key     := [A-Za-z0-9_./-]+  (a Kubernetes label key, with its optional DNS prefix; "all"
//              and "has" too: they are functions only where "(" follows)
// An empty (or blank) expression is all(). Matching, as Calico defines it: `k == v` and
// `k in {…}` need the label; `k != v` and `k not in {…}` also hold when the label is absent.
//
// Contract:
// - parse_selector returns Errc::invalid_argument "selector: at N: reason" (N = 0-based byte
//   offset) for anything the grammar does not accept, and nesting deeper than 64 levels.
// - Every Selector it returns is canonical (normalised): negations pushed into the leaves,
//   &&/|| flattened, operands sorted and deduplicated, all() absorbed, value lists sorted. Two
//   selectors that mean the same by these rules compare equal and have the same to_string(),
//   which is the name equal selectors share (the compiler names nft sets after it).
// - to_string(s) is an expression parse_selector reads back to s.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace weft::policy {

using Labels = std::map<std::string, std::string>;

struct Selector {
  enum class Kind : uint8_t { all, equals, not_equals, in, not_in, has, not_has, all_of, any_of, none };
  Kind kind = Kind::all;
  std::string key{};                   // leaves
  std::vector<std::string> values{};   // equals/not_equals: one; in/not_in: sorted, unique
  std::vector<Selector> operands{};    // all_of/any_of: two or more, sorted by to_string
  friend bool operator==(const Selector&, const Selector&) = default;
};
// Kind::none matches nothing (the negation of all(), or `k in {}`).

Result<Selector> parse_selector(std::string_view text);
bool matches(const Selector& selector, const Labels& labels);
std::string to_string(const Selector& selector);

// Building blocks (each returns a canonical selector).
Selector select_all();
Selector negate(Selector s);
Selector all_of(std::vector<Selector> operands);
Selector any_of(std::vector<Selector> operands);
// A leaf; values are sorted and deduplicated (in/not_in). Keys and values are not validated here.
Selector leaf(Selector::Kind kind, std::string key, std::vector<std::string> values = {});

// Is `key` a label key the grammar accepts, and `value` a value it can quote?
bool valid_label_key(std::string_view key);
bool valid_label_value(std::string_view value);

}  // namespace weft::policy
