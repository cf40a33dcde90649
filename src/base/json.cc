#include "base/json.h"

#include <cstdint>

namespace weft {
namespace {

Result<const Json*> field_of(const Json& object, std::string_view field) {
  if (!object.is_object()) return fail(Errc::invalid_argument, "expected a JSON object");
  auto it = object.find(field);
  if (it == object.end() || it->is_null()) return nullptr;
  return &*it;
}

std::unexpected<Error> wrong_type(std::string_view field, std::string_view expected) {
  return fail(Errc::invalid_argument, "field '", field, "' must be ", expected);
}

std::unexpected<Error> missing(std::string_view field) {
  return fail(Errc::invalid_argument, "missing field '", field, "'");
}

}  // namespace

Result<Json> parse_json(std::string_view text) {
  // nlohmann reports the position only through an exception; it is caught here, inside base.
  try {
    return Json::parse(text);
  } catch (const Json::parse_error& e) {
    return fail(Errc::invalid_argument, "malformed JSON at byte ", std::to_string(e.byte));
  } catch (const Json::exception& e) {
    // e.g. a number too large for a double (found by the store_values fuzzer)
    return fail(Errc::invalid_argument, "malformed JSON: ", e.what());
  }
}

Result<std::string> json_string_or(const Json& object, std::string_view field, std::string fallback) {
  auto f = field_of(object, field);
  if (!f) return std::unexpected(f.error());
  if (*f == nullptr) return fallback;
  if (!(*f)->is_string()) return wrong_type(field, "a string");
  return (*f)->get<std::string>();
}

Result<int64_t> json_int_or(const Json& object, std::string_view field, int64_t fallback) {
  auto f = field_of(object, field);
  if (!f) return std::unexpected(f.error());
  if (*f == nullptr) return fallback;
  // Unsigned values above INT64_MAX would wrap to negative numbers: reject them.
  if (!(*f)->is_number_integer() || ((*f)->is_number_unsigned() && (*f)->get<uint64_t>() > INT64_MAX)) {
    return wrong_type(field, "an integer");
  }
  return (*f)->get<int64_t>();
}

Result<bool> json_bool_or(const Json& object, std::string_view field, bool fallback) {
  auto f = field_of(object, field);
  if (!f) return std::unexpected(f.error());
  if (*f == nullptr) return fallback;
  if (!(*f)->is_boolean()) return wrong_type(field, "true or false");
  return (*f)->get<bool>();
}

Result<std::vector<std::string>> json_string_list(const Json& object, std::string_view field) {
  auto f = field_of(object, field);
  if (!f) return std::unexpected(f.error());
  std::vector<std::string> out;
  if (*f == nullptr) return out;
  if (!(*f)->is_array()) return wrong_type(field, "a list of strings");
  for (const auto& item : **f) {
    if (!item.is_string()) return wrong_type(field, "a list of strings");
    out.push_back(item.get<std::string>());
  }
  return out;
}

Result<std::string> json_string(const Json& object, std::string_view field) {
  auto f = field_of(object, field);
  if (!f) return std::unexpected(f.error());
  if (*f == nullptr) return missing(field);
  return json_string_or(object, field, {});
}

Result<int64_t> json_int(const Json& object, std::string_view field) {
  auto f = field_of(object, field);
  if (!f) return std::unexpected(f.error());
  if (*f == nullptr) return missing(field);
  return json_int_or(object, field, 0);
}

Result<bool> json_bool(const Json& object, std::string_view field) {
  auto f = field_of(object, field);
  if (!f) return std::unexpected(f.error());
  if (*f == nullptr) return missing(field);
  return json_bool_or(object, field, false);
}

std::string dump_json(const Json& value) {
  return value.dump(-1, ' ', false, Json::error_handler_t::replace);
}

}  // namespace weft
