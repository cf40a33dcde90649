#include "cli/yaml_output.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <string_view>

namespace weft::cli {
namespace {

// A plain scalar YAML 1.1 or 1.2 would not read back as a string: empty, null/boolean words, and
// anything that starts like a number. yaml-cpp quotes what is not a valid plain scalar by itself
// (": ", "#", leading indicators), but not these.
bool needs_quotes(std::string_view s) {
  if (s.empty()) return true;
  std::string lower(s);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  static constexpr std::array<std::string_view, 12> words = {"null", "~",   "true", "false", "yes", "no",
                                                             "on",   "off", "y",    "n",     ".inf", ".nan"};
  if (std::find(words.begin(), words.end(), lower) != words.end()) return true;
  const unsigned char first = static_cast<unsigned char>(s.front());
  return std::isdigit(first) || first == '-' || first == '+' || first == '.';
}

std::string number_text(const Json& value) {
  if (value.is_number_integer()) return value.dump();
  std::array<char, 64> buffer{};
  auto [end, ec] = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value.get<double>());
  if (ec != std::errc{}) return value.dump();
  return std::string(buffer.data(), end);
}

void emit(YAML::Emitter& out, const Json& value) {
  switch (value.type()) {
    case Json::value_t::object:
      out << YAML::BeginMap;
      for (const auto& [key, item] : value.items()) {
        out << YAML::Key;
        if (needs_quotes(key)) out << YAML::DoubleQuoted;
        out << key << YAML::Value;
        emit(out, item);
      }
      out << YAML::EndMap;
      return;
    case Json::value_t::array:
      // An empty list as [] (a block sequence cannot be empty).
      if (value.empty()) out << YAML::Flow;
      out << YAML::BeginSeq;
      for (const auto& item : value) emit(out, item);
      out << YAML::EndSeq;
      return;
    case Json::value_t::string: {
      const auto& s = value.get_ref<const std::string&>();
      if (needs_quotes(s)) out << YAML::DoubleQuoted;
      out << s;
      return;
    }
    case Json::value_t::boolean: out << (value.get<bool>() ? "true" : "false"); return;
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
    case Json::value_t::number_float: out << number_text(value); return;
    default: out << YAML::Null; return;
  }
}

}  // namespace

std::string to_yaml(const Json& value) {
  YAML::Emitter out;
  emit(out, value);
  std::string text = out.c_str();
  if (!text.empty() && text.back() != '\n') text += '\n';
  return text;
}

}  // namespace weft::cli
