#include "model/namespace.h"

#include <gtest/gtest.h>

#include "model/keys.h"

namespace weft::model {
namespace {

TEST(Namespace, ImplicitLabelIsAddedOnReadAndNotStored) {
  const Namespace ns{"x", {{"team", "a"}}};
  const Json stored = encode(ns);
  EXPECT_EQ(stored["labels"], (Json{{"team", "a"}}));
  auto back = decode_namespace(dump_json(stored));
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->labels, (Labels{{"team", "a"}, {"kubernetes.io/metadata.name", "x"}}));
  // Encoding what was read stores the same value again: the implicit label stays out.
  EXPECT_EQ(encode(*back), stored);
}

TEST(Namespace, AStoredImplicitLabelCannotDisagreeWithTheName) {
  auto ns = decode_namespace(R"({"name":"y","labels":{"kubernetes.io/metadata.name":"other"}})");
  ASSERT_TRUE(ns) << ns.error().message;
  EXPECT_EQ(ns->labels.at("kubernetes.io/metadata.name"), "y");
}

TEST(Namespace, CorruptValuesAreRejected) {
  for (const char* bad : {"", "[]", R"({"labels":{}})", R"({"name":"Upper"})", R"({"name":"x","labels":[]})",
                          R"({"name":"x","labels":{"a":1}})", R"({"name":"x","labels":{"a b":"c"}})",
                          R"({"name":"-x"})"}) {
    auto r = decode_namespace(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, Errc::corrupt) << bad;
  }
}

TEST(Namespace, NamesAreDnsLabels) {
  EXPECT_TRUE(valid_namespace_name("default"));
  EXPECT_TRUE(valid_namespace_name("team-1"));
  for (const std::string& bad : std::vector<std::string>{"", "A", "a_b", "a.b", "-a", "a-", std::string(64, 'a'), "a/b"}) {
    EXPECT_FALSE(valid_namespace_name(bad)) << bad;
  }
}

TEST(Namespace, KeyAndLabelsOfAMissingNamespace) {
  EXPECT_EQ(keys::namespace_key("x"), "/weft/v1/namespaces/x");
  EXPECT_EQ(keys::last_segment(keys::namespace_key("x")), "x");
  EXPECT_EQ(namespace_labels("z"), (Labels{{"kubernetes.io/metadata.name", "z"}}));
}

}  // namespace
}  // namespace weft::model
