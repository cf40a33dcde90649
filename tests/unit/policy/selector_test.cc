// Selector expressions: parsing, matching, the canonical form, and errors with their position.
#include "policy/selector.h"

#include <gtest/gtest.h>

namespace weft::policy {
namespace {

struct MatchCase {
  const char* expression;
  Labels labels;
  bool expected;
};

class SelectorMatch : public ::testing::TestWithParam<MatchCase> {};

TEST_P(SelectorMatch, MatchesAsCalicoDefines) {
  const auto& c = GetParam();
  auto s = parse_selector(c.expression);
  ASSERT_TRUE(s) << c.expression << ": " << s.error().message;
  EXPECT_EQ(matches(*s, c.labels), c.expected) << c.expression << " canonical " << to_string(*s);
  // The canonical text means the same.
  auto again = parse_selector(to_string(*s));
  ASSERT_TRUE(again) << to_string(*s) << ": " << again.error().message;
  EXPECT_EQ(*again, *s) << c.expression;
  EXPECT_EQ(matches(*again, c.labels), c.expected);
}

const Labels web{{"app", "web"}, {"tier", "front"}};

INSTANTIATE_TEST_SUITE_P(
    Table, SelectorMatch,
    ::testing::Values(MatchCase{"", web, true}, MatchCase{"   ", {}, true}, MatchCase{"all()", {}, true},
                      MatchCase{"app == 'web'", web, true}, MatchCase{"app == \"db\"", web, false},
                      MatchCase{"app == 'web'", {}, false}, MatchCase{"app != 'db'", web, true},
                      MatchCase{"app != 'web'", web, false}, MatchCase{"app != 'web'", {}, true},
                      MatchCase{"app in {'db', 'web'}", web, true}, MatchCase{"app in {'db'}", web, false},
                      MatchCase{"app in {}", web, false}, MatchCase{"app not in {'db'}", web, true},
                      MatchCase{"app not in {'web','db'}", web, false}, MatchCase{"app not in {'db'}", {}, true},
                      MatchCase{"has(app)", web, true}, MatchCase{"has(role)", web, false},
                      MatchCase{"!has(role)", web, true}, MatchCase{"! has(app)", web, false},
                      MatchCase{"app == 'web' && tier == 'front'", web, true},
                      MatchCase{"app == 'web' && tier == 'back'", web, false},
                      MatchCase{"app == 'db' || tier == 'front'", web, true},
                      MatchCase{"app == 'db' || tier == 'back'", web, false},
                      // && binds tighter than ||.
                      MatchCase{"app == 'db' && tier == 'back' || has(app)", web, true},
                      MatchCase{"app == 'db' && (tier == 'back' || has(app))", web, false},
                      MatchCase{"!(app == 'db' || has(x))", web, true}, MatchCase{"!(app == 'web' && has(tier))", web, false},
                      MatchCase{"!!has(app)", web, true}, MatchCase{"!all()", web, false},
                      MatchCase{"k8s.io/app == 'x'", {{"k8s.io/app", "x"}}, true},
                      MatchCase{"index == 'x'", {{"index", "x"}}, true},  // a key starting with "in"
                      MatchCase{"allow == 'x'", {{"allow", "x"}}, true},  // ... and with "all"
                      // all and has are functions only when called: as keys they are keys (a
                      // matchLabels entry for the key "all" prints as all == "x").
                      MatchCase{"all == 'x'", {{"all", "x"}}, true}, MatchCase{"has ( has ) && all in {'x'}", {{"all", "x"}, {"has", ""}}, true},
                      MatchCase{"all != 'x' && has not in {'y'}", web, true},
                      MatchCase{"v == 'it\"s'", {{"v", "it\"s"}}, true},
                      MatchCase{"v == 'caf\xc3\xa9'", {{"v", "caf\xc3\xa9"}}, true}, MatchCase{"v == ''", {{"v", ""}}, true}));

TEST(Selector, EqualMeaningsShareOneCanonicalForm) {
  const std::vector<std::pair<const char*, const char*>> same = {
      {"a == 'x' && b == 'y'", "b == \"y\" && a == \"x\""},
      {"a == 'x' && (b == 'y' && c == 'z')", "(a == 'x' && b == 'y') && c == 'z'"},
      {"a in {'y', 'x', 'x'}", "a in {'x','y'}"},
      {"a in {'x'}", "a == 'x'"},
      {"!(a == 'x')", "a != 'x'"},
      {"!(a in {'x','y'})", "a not in {'x', 'y'}"},
      {"all() && has(a)", "has(a)"},
      {"", "all()"},
      {"has(a) || all()", "all()"},
      {"has(a) && has(a)", "has(a)"},
      {"!(has(a) || has(b))", "!has(a) && !has(b)"},
  };
  for (const auto& [a, b] : same) {
    auto x = parse_selector(a);
    auto y = parse_selector(b);
    ASSERT_TRUE(x && y) << a << " / " << b;
    EXPECT_EQ(*x, *y) << a << " / " << b;
    EXPECT_EQ(to_string(*x), to_string(*y));
  }
}

TEST(Selector, CanonicalText) {
  auto s = parse_selector("tier == 'front' && (role == 'x' || has(app)) && app in {'b','a'}");
  ASSERT_TRUE(s);
  EXPECT_EQ(to_string(*s), "app in {\"a\", \"b\"} && (has(app) || role == \"x\") && tier == \"front\"");
}

TEST(Selector, DifferentMeaningsDiffer) {
  auto a = parse_selector("a == 'x'");
  auto b = parse_selector("a != 'x'");
  auto c = parse_selector("b == 'x'");
  ASSERT_TRUE(a && b && c);
  EXPECT_NE(to_string(*a), to_string(*b));
  EXPECT_NE(to_string(*a), to_string(*c));
}

struct ErrorCase {
  const char* expression;
  const char* message;
};

TEST(Selector, ErrorsSayWhereAndWhy) {
  const std::vector<ErrorCase> cases = {
      {"app", "selector: at 3: expected an operator after 'app', got the end"},
      {"app = 'x'", "selector: at 4: expected ==, !=, in or not in after 'app'"},
      {"app == web", "selector: at 7: expected a quoted value"},
      {"app == 'web", "selector: at 7: unterminated quoted value"},
      {"has(app", "selector: at 7: expected ')' after the key of has("},
      {"(has(a)", "selector: at 7: expected ')'"},
      {"has(a) &&", "selector: at 9: expected a label key, got the end"},
      {"has(a) has(b)", "selector: at 7: unexpected 'h'"},
      {"a in {'x' 'y'}", "selector: at 10: expected ',' or '}' in a value list"},
      {"a not {'x'}", "selector: at 6: expected 'in' after 'not'"},
      {"all(", "selector: at 4: expected 'all()'"},
      {"all", "selector: at 3: expected an operator after 'all', got the end"},
      {"a == 'x' || || b == 'y'", "selector: at 12: expected a label key, got '|'"},
      {"a == 'x\ty'", "selector: at 5: a value must be UTF-8 text without control characters"},
      {"a == '\xff'", "selector: at 5: a value must be UTF-8 text without control characters"},
  };
  for (const auto& c : cases) {
    auto s = parse_selector(c.expression);
    ASSERT_FALSE(s) << c.expression << " parsed as " << to_string(*s);
    EXPECT_EQ(s.error().code, Errc::invalid_argument);
    EXPECT_EQ(s.error().message, c.message) << c.expression;
  }
}

TEST(Selector, DeepNestingIsAnErrorNotACrash) {
  const std::string deep = std::string(100, '(') + "has(a)" + std::string(100, ')');
  auto s = parse_selector(deep);
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("nested more than 64"), std::string::npos);
  const std::string bangs = std::string(1000, '!') + "has(a)";
  EXPECT_FALSE(parse_selector(bangs));
  const std::string ok = std::string(20, '(') + "has(a)" + std::string(20, ')');
  EXPECT_TRUE(parse_selector(ok));
}

}  // namespace
}  // namespace weft::policy
