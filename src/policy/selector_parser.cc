// A recursive-descent parser for the selector grammar in selector.h. Errors carry the byte
// offset where the input stopped making sense.
#include <cctype>

#include "policy/selector.h"

namespace weft::policy {
namespace {

using Kind = Selector::Kind;
constexpr int kMaxDepth = 64;

class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  Result<Selector> parse() {
    skip_space();
    if (pos_ == text_.size()) return select_all();
    auto s = expression(0);
    if (!s) return s;
    skip_space();
    if (pos_ != text_.size()) return error("unexpected '" + std::string(1, text_[pos_]) + "'");
    return s;
  }

 private:
  std::unexpected<Error> error(const std::string& reason) const {
    return fail(Errc::invalid_argument, "selector: at ", std::to_string(pos_), ": ", reason);
  }

  void skip_space() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }

  // Consumes `token` (after blanks) if it is next.
  bool accept(std::string_view token) {
    skip_space();
    if (text_.substr(pos_, token.size()) != token) return false;
    pos_ += token.size();
    return true;
  }

  // A word ends where a key character does not follow: "in" is not the start of "index".
  bool accept_word(std::string_view word) {
    skip_space();
    if (text_.substr(pos_, word.size()) != word) return false;
    const size_t end = pos_ + word.size();
    if (end < text_.size() && valid_label_key(text_.substr(end, 1))) return false;
    pos_ = end;
    return true;
  }

  // `word(` as one token: all and has are functions only when called, so that "all" and "has"
  // stay label keys ("all == 'x'" is how to_string prints a matchLabels entry for the key all;
  // found by policy_file_fuzz).
  bool accept_call(std::string_view word) {
    const size_t start = pos_;
    if (accept_word(word) && accept("(")) return true;
    pos_ = start;
    return false;
  }

  Result<Selector> expression(int depth) {
    if (depth > kMaxDepth) return error("nested more than " + std::to_string(kMaxDepth) + " levels");
    std::vector<Selector> alternatives;
    do {
      auto a = conjunction(depth);
      if (!a) return a;
      alternatives.push_back(std::move(*a));
    } while (accept("||"));
    return any_of(std::move(alternatives));
  }

  Result<Selector> conjunction(int depth) {
    std::vector<Selector> terms;
    do {
      auto t = unary(depth);
      if (!t) return t;
      terms.push_back(std::move(*t));
    } while (accept("&&"));
    return all_of(std::move(terms));
  }

  Result<Selector> unary(int depth) {
    if (depth > kMaxDepth) return error("nested more than " + std::to_string(kMaxDepth) + " levels");
    skip_space();
    if (accept("!")) {
      auto inner = unary(depth + 1);
      if (!inner) return inner;
      return negate(std::move(*inner));
    }
    if (accept("(")) {
      auto inner = expression(depth + 1);
      if (!inner) return inner;
      if (!accept(")")) return error("expected ')'");
      return inner;
    }
    if (accept_call("all")) {
      if (!accept(")")) return error("expected 'all()'");
      return select_all();
    }
    if (accept_call("has")) {
      auto k = key();
      if (!k) return std::unexpected(k.error());
      if (!accept(")")) return error("expected ')' after the key of has(");
      return leaf(Kind::has, std::move(*k));
    }
    auto k = key();
    if (!k) return std::unexpected(k.error());
    if (accept("==")) return single(Kind::equals, std::move(*k));
    if (accept("!=")) return single(Kind::not_equals, std::move(*k));
    if (accept_word("in")) return list(Kind::in, std::move(*k));
    if (accept_word("not")) {
      if (!accept_word("in")) return error("expected 'in' after 'not'");
      return list(Kind::not_in, std::move(*k));
    }
    return pos_ == text_.size() ? error("expected an operator after '" + *k + "', got the end")
                                : error("expected ==, !=, in or not in after '" + *k + "'");
  }

  Result<std::string> key() {
    skip_space();
    const size_t start = pos_;
    while (pos_ < text_.size() && valid_label_key(text_.substr(pos_, 1))) ++pos_;
    if (pos_ == start) {
      if (pos_ == text_.size()) return error("expected a label key, got the end");
      return error("expected a label key, got '" + std::string(1, text_[pos_]) + "'");
    }
    return std::string(text_.substr(start, pos_ - start));
  }

  Result<std::string> value() {
    skip_space();
    if (pos_ == text_.size() || (text_[pos_] != '"' && text_[pos_] != '\'')) return error("expected a quoted value");
    const char quote = text_[pos_];
    const size_t end = text_.find(quote, pos_ + 1);
    if (end == std::string_view::npos) return error("unterminated quoted value");
    std::string v(text_.substr(pos_ + 1, end - pos_ - 1));
    if (!valid_label_value(v)) return error("a value must be UTF-8 text without control characters");
    pos_ = end + 1;
    return v;
  }

  Result<Selector> single(Kind kind, std::string k) {
    auto v = value();
    if (!v) return std::unexpected(v.error());
    return leaf(kind, std::move(k), {std::move(*v)});
  }

  Result<Selector> list(Kind kind, std::string k) {
    if (!accept("{")) return error("expected '{' after in");
    std::vector<std::string> values;
    if (!accept("}")) {
      do {
        auto v = value();
        if (!v) return std::unexpected(v.error());
        values.push_back(std::move(*v));
      } while (accept(","));
      if (!accept("}")) return error("expected ',' or '}' in a value list");
    }
    return leaf(kind, std::move(k), std::move(values));
  }

  std::string_view text_;
  size_t pos_ = 0;
};

}  // namespace

Result<Selector> parse_selector(std::string_view text) { return Parser(text).parse(); }

}  // namespace weft::policy
