// Typed, path-aware reads of the Engine's JSON objects, shared by the mapping modules. Missing or
// null fields give the default; a field of the wrong type records an InvalidArgument naming its
// path ("engine response: 'container.State.Pid' is not an integer"), and only the first one is
// kept.
//
//   JsonReader r(v, "container");
//   out.id = r.str("Id");
//   JsonReader state = r.child("State");
//   out.pid = static_cast<int>(state.i64("Pid"));
//   r.merge(state);
//   LS_TRY(r.status());
//
// A reader either keeps its first error itself (children hand theirs back through merge()), or
// writes every error, its children's included, into one slot the caller owns.
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/timestamp.hpp"
#include "lightshuttle/core/result.hpp"

namespace ls::engine {

class JsonReader {
 public:
  /// Reads `v` (null reads as an empty object) and keeps its first error itself; status()
  /// reports it.
  JsonReader(const boost::json::value& v, std::string path);
  /// Reads `v` and records the first error into `sink`, which this reader's children and
  /// elements share; `sink` must outlive them all.
  JsonReader(const boost::json::value& v, std::string path, std::optional<Error>& sink);

  /// The field's value; nullptr when absent or null.
  const boost::json::value* raw(std::string_view key) const;

  std::string str(std::string_view key);
  /// An integer field. A uint64 beyond the int64 range saturates; a double is a type error
  /// ("an integer").
  std::int64_t i64(std::string_view key);
  /// Any JSON number as an int64: a double is truncated and a uint64 is cast as is; the type
  /// error says "a number".
  std::int64_t i64Lenient(std::string_view key);
  /// An unsigned integer field; negative values (never meaningful for counters) read as 0.
  std::uint64_t u64(std::string_view key);
  bool boolean(std::string_view key);
  std::vector<std::string> strings(std::string_view key);
  std::map<std::string, std::string> stringMap(std::string_view key);
  /// An RFC 3339 time; empty and the engine's zero time ("0001-01-01...", its "never") give
  /// nullopt.
  std::optional<Timestamp> time(std::string_view key);
  /// The array at `key` (nullptr when absent or null; a type error otherwise).
  const boost::json::array* array(std::string_view key);
  /// The object at `key` (nullptr when absent or null; a type error otherwise).
  const boost::json::object* object(std::string_view key);

  /// The object at `key`, with the path "<path>.<key>". An error it has on construction (not an
  /// object) is recorded here at once; later ones come back through merge().
  JsonReader child(std::string_view key);
  /// A reader of `v` (an array element, a map value) with the path "<path><suffix>". Its errors
  /// come back through merge() (or the shared slot).
  JsonReader element(const boost::json::value& v, std::string_view suffix) const;
  /// Records `other`'s error here unless this reader already has one.
  void merge(const JsonReader& other);
  /// Records "'<path>.<key>' is not <expected>" ("'<path>'" for an empty key) unless an error is
  /// already recorded.
  void fail(std::string_view key, std::string_view expected);

  bool isObject() const { return obj_ != nullptr; }
  const std::string& path() const { return path_; }
  Result<void> status() const;

 private:
  JsonReader(const boost::json::value& v, std::string path, std::optional<Error>* sink);

  std::optional<Error>& slot() { return sink_ != nullptr ? *sink_ : own_; }
  const std::optional<Error>& slot() const { return sink_ != nullptr ? *sink_ : own_; }

  const boost::json::object* obj_ = nullptr;
  std::string path_;
  std::optional<Error> own_;
  std::optional<Error>* sink_ = nullptr;
};

}  // namespace ls::engine
