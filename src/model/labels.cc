#include "model/labels.h"

#include <cctype>

namespace weft::model {
namespace {

bool alnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }

// NAME: 1-63 of [A-Za-z0-9-_.], alphanumeric at both ends.
bool valid_name_part(std::string_view s) {
  if (s.empty() || s.size() > 63 || !alnum(s.front()) || !alnum(s.back())) return false;
  for (char c : s) {
    if (!alnum(c) && c != '-' && c != '_' && c != '.') return false;
  }
  return true;
}

}  // namespace

bool valid_dns_label(std::string_view s) {
  if (s.empty() || s.size() > 63 || s.front() == '-' || s.back() == '-') return false;
  for (char c : s) {
    if (!(std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '-')) return false;
  }
  return true;
}

bool valid_dns_subdomain(std::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  size_t start = 0;
  while (start <= s.size()) {
    const size_t dot = s.find('.', start);
    if (!valid_dns_label(s.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start))) return false;
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return true;
}

bool valid_label_key(std::string_view key) {
  const auto slash = key.find('/');
  if (slash == std::string_view::npos) return valid_name_part(key);
  return valid_dns_subdomain(key.substr(0, slash)) && valid_name_part(key.substr(slash + 1));
}

bool valid_label_value(std::string_view value) { return value.empty() || valid_name_part(value); }

Result<void> validate_labels(const Labels& labels) {
  for (const auto& [k, v] : labels) {
    if (!valid_label_key(k)) return fail(Errc::invalid_argument, "label key '", k, "' is not a valid label key");
    if (!valid_label_value(v)) return fail(Errc::invalid_argument, "label value '", v, "' of '", k, "' is not a valid label value");
  }
  return {};
}

Result<LabelEdit> parse_label_edit(const std::vector<std::string>& args) {
  LabelEdit edit;
  for (const auto& arg : args) {
    const auto eq = arg.find('=');
    if (eq == std::string::npos && arg.size() > 1 && arg.back() == '-') {
      const std::string key = arg.substr(0, arg.size() - 1);
      if (!valid_label_key(key)) return fail(Errc::invalid_argument, "label key '", key, "' is not a valid label key");
      edit.remove.insert(key);
      continue;
    }
    if (eq == std::string::npos) return fail(Errc::invalid_argument, "'", arg, "' is neither KEY=VALUE nor KEY-");
    const std::string key = arg.substr(0, eq), value = arg.substr(eq + 1);
    if (!valid_label_key(key)) return fail(Errc::invalid_argument, "label key '", key, "' is not a valid label key");
    if (!valid_label_value(value)) return fail(Errc::invalid_argument, "label value '", value, "' is not a valid label value");
    edit.set[key] = value;
  }
  for (const auto& key : edit.remove) {
    if (edit.set.contains(key)) return fail(Errc::invalid_argument, "label '", key, "' is both set and removed");
  }
  return edit;
}

Result<Labels> parse_label_assignments(const std::vector<std::string>& args) {
  auto edit = parse_label_edit(args);
  if (!edit) return std::unexpected(edit.error());
  if (!edit->remove.empty()) return fail(Errc::invalid_argument, "'", *edit->remove.begin(), "-' removes a label; expected KEY=VALUE");
  return std::move(edit->set);
}

Labels apply(const LabelEdit& edit, Labels labels) {
  for (const auto& key : edit.remove) labels.erase(key);
  for (const auto& [k, v] : edit.set) labels[k] = v;
  return labels;
}

std::string format_labels(const Labels& labels) {
  std::string out;
  for (const auto& [k, v] : labels) out += (out.empty() ? "" : ",") + k + "=" + v;
  return out;
}

}  // namespace weft::model
