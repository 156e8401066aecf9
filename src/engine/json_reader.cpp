#include "engine/json_reader.hpp"

#include <limits>

namespace json = boost::json;

namespace ls::engine {

JsonReader::JsonReader(const json::value& v, std::string path)
    : JsonReader(v, std::move(path), nullptr) {}

JsonReader::JsonReader(const json::value& v, std::string path, std::optional<Error>& sink)
    : JsonReader(v, std::move(path), &sink) {}

JsonReader::JsonReader(const json::value& v, std::string path, std::optional<Error>* sink)
    : path_(std::move(path)), sink_(sink) {
  if (v.is_object()) {
    obj_ = &v.as_object();
  } else if (!v.is_null()) {
    fail({}, "an object");
  }
}

const json::value* JsonReader::raw(std::string_view key) const {
  if (obj_ == nullptr) {
    return nullptr;
  }
  const json::value* v = obj_->if_contains(key);
  return (v == nullptr || v->is_null()) ? nullptr : v;
}

namespace {

/// The field at `key` when it has the kind `is` tests; nullptr when absent or null, and when of
/// another kind (recording "is not <expected>").
template <typename Is>
const json::value* typed(JsonReader& r, std::string_view key, Is is, std::string_view expected) {
  const json::value* v = r.raw(key);
  if (v != nullptr && !(v->*is)()) {
    r.fail(key, expected);
    return nullptr;
  }
  return v;
}

}  // namespace

std::string JsonReader::str(std::string_view key) {
  const json::value* v = typed(*this, key, &json::value::is_string, "a string");
  return v != nullptr ? std::string(v->as_string()) : std::string();
}

std::int64_t JsonReader::i64(std::string_view key) {
  const json::value* v = raw(key);
  if (v == nullptr) {
    return 0;
  }
  if (v->is_int64()) {
    return v->as_int64();
  }
  if (v->is_uint64()) {
    const std::uint64_t u = v->as_uint64();
    return u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())
               ? std::numeric_limits<std::int64_t>::max()
               : static_cast<std::int64_t>(u);
  }
  fail(key, "an integer");
  return 0;
}

std::int64_t JsonReader::i64Lenient(std::string_view key) {
  const json::value* v = raw(key);
  if (v == nullptr) {
    return 0;
  }
  if (v->is_int64()) {
    return v->as_int64();
  }
  if (v->is_uint64()) {
    return static_cast<std::int64_t>(v->as_uint64());
  }
  if (v->is_double()) {
    return static_cast<std::int64_t>(v->as_double());
  }
  fail(key, "a number");
  return 0;
}

std::uint64_t JsonReader::u64(std::string_view key) {
  const json::value* v = raw(key);
  if (v == nullptr) {
    return 0;
  }
  if (v->is_uint64()) {
    return v->as_uint64();
  }
  if (v->is_int64()) {
    return v->as_int64() < 0 ? 0 : static_cast<std::uint64_t>(v->as_int64());
  }
  fail(key, "an integer");
  return 0;
}

bool JsonReader::boolean(std::string_view key) {
  const json::value* v = typed(*this, key, &json::value::is_bool, "a boolean");
  return v != nullptr && v->as_bool();
}

std::vector<std::string> JsonReader::strings(std::string_view key) {
  std::vector<std::string> out;
  const json::value* v = typed(*this, key, &json::value::is_array, "an array of strings");
  if (v == nullptr) {
    return out;
  }
  for (const auto& e : v->as_array()) {
    if (!e.is_string()) {
      fail(key, "an array of strings");
      return {};
    }
    out.emplace_back(e.as_string());
  }
  return out;
}

std::map<std::string, std::string> JsonReader::stringMap(std::string_view key) {
  std::map<std::string, std::string> out;
  const json::value* v = typed(*this, key, &json::value::is_object, "an object of strings");
  if (v == nullptr) {
    return out;
  }
  for (const auto& [k, e] : v->as_object()) {
    if (!e.is_string()) {
      fail(key, "an object of strings");
      return {};
    }
    out.emplace(std::string(k), std::string(e.as_string()));
  }
  return out;
}

std::optional<Timestamp> JsonReader::time(std::string_view key) {
  std::string s = str(key);
  if (s.empty() || s.rfind("0001-01-01", 0) == 0) {
    return std::nullopt;
  }
  auto t = parseRfc3339(s);
  if (!t) {
    fail(key, "an RFC 3339 time");
    return std::nullopt;
  }
  return *t;
}

const json::array* JsonReader::array(std::string_view key) {
  const json::value* v = typed(*this, key, &json::value::is_array, "an array");
  return v != nullptr ? &v->as_array() : nullptr;
}

const json::object* JsonReader::object(std::string_view key) {
  const json::value* v = typed(*this, key, &json::value::is_object, "an object");
  return v != nullptr ? &v->as_object() : nullptr;
}

JsonReader JsonReader::child(std::string_view key) {
  static const json::value kNull;
  const json::value* v = raw(key);
  JsonReader r = element(v != nullptr ? *v : kNull, "." + std::string(key));
  merge(r);
  return r;
}

JsonReader JsonReader::element(const json::value& v, std::string_view suffix) const {
  std::string path = path_ + std::string(suffix);
  if (sink_ != nullptr) {
    return JsonReader(v, std::move(path), *sink_);
  }
  return JsonReader(v, std::move(path));
}

void JsonReader::merge(const JsonReader& other) {
  if (other.slot() && !slot()) {
    slot() = other.slot();
  }
}

void JsonReader::fail(std::string_view key, std::string_view expected) {
  std::optional<Error>& err = slot();
  if (!err) {
    const std::string where = key.empty() ? path_ : path_ + "." + std::string(key);
    err = Error(Errc::InvalidArgument,
                "engine response: '" + where + "' is not " + std::string(expected));
  }
}

Result<void> JsonReader::status() const {
  if (const std::optional<Error>& err = slot()) {
    return *err;
  }
  return ok();
}

}  // namespace ls::engine
