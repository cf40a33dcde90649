#include "kernel/nft_table.h"

#include <regex>
#include <sstream>

namespace weft::kernel {
namespace {

std::string trim(std::string_view s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return {};
  const auto e = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(b, e - b + 1));
}

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

// "counter packets 12 bytes 3400" -> "counter"
std::string without_counter_values(const std::string& rule) {
  static const std::regex values(R"(counter packets \d+ bytes \d+)");
  return std::regex_replace(rule, values, "counter");
}

void add_elements(std::string_view text, std::vector<std::string>& out) {
  std::string item;
  std::istringstream in{std::string(text)};
  while (std::getline(in, item, ',')) {
    auto t = trim(item);
    if (!t.empty()) out.push_back(t);
  }
}

// "map NAME { type …; flags interval; elements = { … } }" (or "set …"), one line.
std::string set_definition(const NftSet& set) {
  std::string s = std::string(set.is_map ? "map " : "set ") + set.name + " { type " + set.type + "; ";
  if (set.interval) s += "flags interval; ";
  if (!set.elements.empty()) {
    s += "elements = { ";
    for (size_t i = 0; i < set.elements.size(); ++i) s += (i ? ", " : "") + set.elements[i];
    s += " } ";
  }
  return s + "}\n";
}

}  // namespace

std::string replace_script(const NftTable& t) {
  const std::string id = t.family + " " + t.name;
  std::string s = "table " + id + "\ndelete table " + id + "\ntable " + id + " {\n";
  for (const auto& set : t.sets) s += "  " + set_definition(set);
  for (const auto& chain : t.chains) {
    s += "  chain " + chain.name + " {\n";
    if (!chain.hook.empty()) s += "    " + chain.hook + "\n";
    for (const auto& rule : chain.rules) s += "    " + rule + "\n";
    s += "  }\n";
  }
  return s + "}\n";
}

std::string element_key(std::string_view element) {
  const auto colon = element.find(" : ");
  return std::string(colon == std::string_view::npos ? element : element.substr(0, colon));
}

std::string patch_script(std::string_view family, std::string_view table, const NftTablePatch& patch) {
  const std::string id = std::string(family) + " " + std::string(table);
  const auto list = [](const std::vector<std::string>& items) {
    std::string out;
    for (size_t i = 0; i < items.size(); ++i) out += (i ? ", " : "") + items[i];
    return out;
  };
  const auto rules = [&](const NftChain& chain) {
    std::string out;
    for (const auto& rule : chain.rules) out += "add rule " + id + " " + chain.name + " " + rule + "\n";
    return out;
  };
  std::string s;
  // "add map inet t NAME { … }": the definition with the table named before the set's name.
  for (const auto& set : patch.add_sets) {
    const auto definition = set_definition(set);
    const auto kind_end = definition.find(' ');
    s += "add " + definition.substr(0, kind_end) + " " + id + definition.substr(kind_end);
  }
  for (const auto& chain : patch.add_chains) s += "add chain " + id + " " + chain.name + "\n";
  for (const auto& chain : patch.rewrite_chains) s += "flush chain " + id + " " + chain.name + "\n" + rules(chain);
  for (const auto& chain : patch.add_chains) s += rules(chain);
  for (const auto& c : patch.elements) {
    if (!c.remove.empty()) s += "delete element " + id + " " + c.set + " { " + list(c.remove) + " }\n";
  }
  for (const auto& c : patch.elements) {
    if (!c.add.empty()) s += "add element " + id + " " + c.set + " { " + list(c.add) + " }\n";
  }
  for (const auto& chain : patch.delete_chains) s += "flush chain " + id + " " + chain + "\ndelete chain " + id + " " + chain + "\n";
  for (const auto& set : patch.delete_sets) s += std::string(set.is_map ? "delete map " : "delete set ") + id + " " + set.name + "\n";
  return s;
}

std::string delete_script(std::string_view family, std::string_view name) {
  return "delete table " + std::string(family) + " " + std::string(name) + "\n";
}

Result<NftTable> parse_listing(std::string_view text) {
  NftTable table;
  std::istringstream in{std::string(text)};
  std::string raw;
  enum class In { nothing, in_table, set, chain, elements } where = In::nothing;
  bool seen_table = false;
  while (std::getline(in, raw)) {
    const std::string line = trim(raw);
    if (line.empty()) continue;
    switch (where) {
      case In::nothing: {
        std::smatch m;
        static const std::regex head(R"(^table (\S+) (\S+) \{$)");
        if (!std::regex_match(line, m, head)) return fail(Errc::invalid_argument, "nft listing: expected a table, got '", line, "'");
        table.family = m[1];
        table.name = m[2];
        seen_table = true;
        where = In::in_table;
        break;
      }
      case In::in_table:
        if (line == "}") {
          where = In::nothing;
        } else if (starts_with(line, "set ") && line.back() == '{') {
          table.sets.push_back(NftSet{.name = trim(line.substr(4, line.size() - 5))});
          where = In::set;
        } else if (starts_with(line, "map ") && line.back() == '{') {
          table.sets.push_back(NftSet{.name = trim(line.substr(4, line.size() - 5)), .is_map = true});
          where = In::set;
        } else if (starts_with(line, "chain ") && line.back() == '{') {
          table.chains.push_back(NftChain{.name = trim(line.substr(6, line.size() - 7))});
          where = In::chain;
        } else {
          return fail(Errc::invalid_argument, "nft listing: unexpected '", line, "' in table ", table.name);
        }
        break;
      case In::set: {
        auto& set = table.sets.back();
        if (line == "}") {
          where = In::in_table;
        } else if (starts_with(line, "type ")) {
          set.type = trim(line.substr(5));
        } else if (starts_with(line, "flags ")) {
          set.interval = line.find("interval") != std::string::npos;
        } else if (starts_with(line, "elements = {")) {
          std::string rest = line.substr(std::string_view("elements = {").size());
          const bool closed = !rest.empty() && rest.back() == '}';
          if (closed) rest.pop_back();
          add_elements(rest, set.elements);
          if (!closed) where = In::elements;
        }  // other set properties (size, timeout, policy) are not part of weft's tables
        break;
      }
      case In::elements: {
        std::string rest = line;
        const bool closed = rest.back() == '}';
        if (closed) rest.pop_back();
        add_elements(rest, table.sets.back().elements);
        if (closed) where = In::set;
        break;
      }
      case In::chain: {
        auto& chain = table.chains.back();
        if (line == "}") {
          where = In::in_table;
        } else if (starts_with(line, "type ") && chain.rules.empty() && chain.hook.empty()) {
          chain.hook = line;
        } else {
          chain.rules.push_back(without_counter_values(line));
        }
        break;
      }
    }
  }
  if (!seen_table || where != In::nothing) return fail(Errc::invalid_argument, "nft listing: incomplete table");
  return table;
}

}  // namespace weft::kernel
