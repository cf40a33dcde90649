// Kubernetes LabelSelectors become the same Selector as the equivalent expression.
#include "policy/label_selector.h"

#include <gtest/gtest.h>

namespace weft::policy {
namespace {

std::string canonical(const LabelSelector& in) {
  auto s = to_selector(in);
  EXPECT_TRUE(s) << s.error().message;
  return s ? to_string(*s) : "<error>";
}

TEST(LabelSelector, EmptySelectsEverything) {
  auto s = to_selector({});
  ASSERT_TRUE(s);
  EXPECT_EQ(*s, select_all());
  EXPECT_TRUE(matches(*s, {}));
}

TEST(LabelSelector, EachOperatorMapsToItsExpression) {
  EXPECT_EQ(canonical({.match_labels = {{"app", "web"}}}), "app == \"web\"");
  EXPECT_EQ(canonical({.match_expressions = {{"env", "In", {"prod", "dev"}}}}), "env in {\"dev\", \"prod\"}");
  EXPECT_EQ(canonical({.match_expressions = {{"env", "NotIn", {"prod", "dev"}}}}), "env not in {\"dev\", \"prod\"}");
  EXPECT_EQ(canonical({.match_expressions = {{"env", "Exists", {}}}}), "has(env)");
  EXPECT_EQ(canonical({.match_expressions = {{"env", "DoesNotExist", {}}}}), "!has(env)");
}

TEST(LabelSelector, TermsAreAndedAndShareTheExpressionsForm) {
  const LabelSelector k8s{.match_labels = {{"app", "web"}}, .match_expressions = {{"env", "In", {"prod"}}}};
  auto expression = parse_selector("env == 'prod' && app == 'web'");
  ASSERT_TRUE(expression);
  auto converted = to_selector(k8s);
  ASSERT_TRUE(converted);
  EXPECT_EQ(*converted, *expression);
  EXPECT_TRUE(matches(*converted, {{"app", "web"}, {"env", "prod"}}));
  EXPECT_FALSE(matches(*converted, {{"app", "web"}, {"env", "dev"}}));
  EXPECT_FALSE(matches(*converted, {{"app", "web"}}));
}

TEST(LabelSelector, InvalidRequirementsAreRefused) {
  const std::vector<std::pair<LabelSelector, const char*>> bad = {
      {{.match_expressions = {{"env", "In", {}}}}, "matchExpressions[0]: operator In needs values"},
      {{.match_expressions = {{"env", "NotIn", {}}}}, "matchExpressions[0]: operator NotIn needs values"},
      {{.match_expressions = {{"env", "Exists", {"x"}}}}, "matchExpressions[0]: operator Exists takes no values"},
      {{.match_expressions = {{"env", "Equals", {"x"}}}},
       "matchExpressions[0]: unknown operator 'Equals' (In, NotIn, Exists, DoesNotExist)"},
      {{.match_expressions = {{"a b", "Exists", {}}}}, "matchExpressions[0]: 'a b' is not a label key"},
      {{.match_labels = {{"", "x"}}}, "matchLabels: '' is not a label key"},
  };
  for (const auto& [in, message] : bad) {
    auto s = to_selector(in);
    ASSERT_FALSE(s) << message;
    EXPECT_EQ(s.error().code, Errc::invalid_argument);
    EXPECT_EQ(s.error().message, message);
  }
}

}  // namespace
}  // namespace weft::policy
