#include "model/labels.h"

#include <gtest/gtest.h>

namespace weft::model {
namespace {

TEST(Labels, KeysFollowKubernetesRules) {
  for (const char* good : {"app", "a", "app.kubernetes.io/name", "kubernetes.io/metadata.name", "x_y-z.1", "A9"}) {
    EXPECT_TRUE(valid_label_key(good)) << good;
  }
  const std::string long_name(64, 'a');
  for (const std::string& bad : std::vector<std::string>{"", "-app", "app-", "a b", "a=b", "/app", "Example.com/app", "ex..com/app", "a/b/c",
                          long_name, "ex.com/"}) {
    EXPECT_FALSE(valid_label_key(bad)) << bad;
  }
  EXPECT_TRUE(valid_label_value(""));
  EXPECT_TRUE(valid_label_value("web-1.v2_x"));
  EXPECT_FALSE(valid_label_value("a/b"));
  EXPECT_FALSE(valid_label_value("-x"));
  EXPECT_FALSE(valid_label_value(std::string(64, 'v')));
}

TEST(Labels, EditSetsAndRemoves) {
  auto edit = parse_label_edit({"app=web", "tier=", "old-", "team=a"});
  ASSERT_TRUE(edit) << edit.error().message;
  EXPECT_EQ(edit->set, (Labels{{"app", "web"}, {"tier", ""}, {"team", "a"}}));
  EXPECT_EQ(edit->remove, (std::set<std::string>{"old"}));
  EXPECT_EQ(apply(*edit, {{"old", "1"}, {"app", "db"}, {"keep", "y"}}),
            (Labels{{"app", "web"}, {"tier", ""}, {"team", "a"}, {"keep", "y"}}));
}

TEST(Labels, BadEditsNameTheArgument) {
  struct Case {
    std::vector<std::string> args;
    const char* message;
  } cases[] = {
      {{"app"}, "'app' is neither"},
      {{"=x"}, "label key ''"},
      {{"a b=c"}, "'a b'"},
      {{"app=we b"}, "'we b'"},
      {{"app=x", "app-"}, "both set and removed"},
      {{"-"}, "'-' is neither"},
  };
  for (const auto& c : cases) {
    auto r = parse_label_edit(c.args);
    ASSERT_FALSE(r) << c.args[0];
    EXPECT_EQ(r.error().code, Errc::invalid_argument);
    EXPECT_NE(r.error().message.find(c.message), std::string::npos) << r.error().message;
  }
  auto removal = parse_label_assignments({"app=x", "old-"});
  ASSERT_FALSE(removal);
  EXPECT_NE(removal.error().message.find("old-"), std::string::npos);
}

TEST(Labels, FormatIsSortedByKey) {
  EXPECT_EQ(format_labels({{"b", "2"}, {"a", "1"}}), "a=1,b=2");
  EXPECT_EQ(format_labels({}), "");
}

}  // namespace
}  // namespace weft::model
