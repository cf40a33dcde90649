// -o yaml prints what -o json prints: structure kept, and every string still a string when read.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include "cli/yaml_output.h"

namespace weft::cli {
namespace {

TEST(YamlOutput, KeepsStructureAndTypes) {
  const Json value = {{"kind", "Policy"},
                      {"order", 10.5},
                      {"count", 1000},
                      {"selector", "app == \"web\" && has(tier)"},
                      {"types", {"Ingress"}},
                      {"egress", Json::array()},
                      {"ports", {{{"first", 80}, {"last", 81}}}}};
  const YAML::Node read = YAML::Load(to_yaml(value));
  EXPECT_EQ(read["kind"].as<std::string>(), "Policy");
  EXPECT_EQ(read["order"].as<double>(), 10.5);
  EXPECT_EQ(read["count"].as<int>(), 1000);
  EXPECT_EQ(read["selector"].as<std::string>(), "app == \"web\" && has(tier)");
  EXPECT_EQ(read["types"][0].as<std::string>(), "Ingress");
  EXPECT_TRUE(read["egress"].IsSequence());
  EXPECT_EQ(read["egress"].size(), 0u);
  EXPECT_EQ(read["ports"][0]["last"].as<int>(), 81);
}

TEST(YamlOutput, QuotesStringsThatWouldReadAsOtherTypes) {
  for (const char* text : {"1000", "true", "no", "null", "", "-1", ".5", "~"}) {
    const YAML::Node read = YAML::Load(to_yaml(Json{{"v", text}}));
    EXPECT_EQ(read["v"].Tag(), "!") << "'" << text << "' must be quoted: " << to_yaml(Json{{"v", text}});
    EXPECT_EQ(read["v"].as<std::string>(), text);
  }
  const YAML::Node plain = YAML::Load(to_yaml(Json{{"v", 1000}, {"b", true}}));
  EXPECT_EQ(plain["v"].Tag(), "?") << "numbers stay plain";
  EXPECT_EQ(plain["b"].as<bool>(), true);
}

}  // namespace
}  // namespace weft::cli
