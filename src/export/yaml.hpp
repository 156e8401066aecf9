// A small YAML document model and a deterministic block-style writer for the exporters.
//
// Keys of a map are written sorted (std::map), scalars are written plain only when no YAML 1.1
// or 1.2 reader could take them for anything but that string (`yes`, `on`, `1e3`, `0x1F`,
// `2001-12-14`, `~`, anything with ':' or '#', leading `*&!%@` ... are double-quoted), so the
// output is byte-identical for equal input and reads back as written.
//
// A scalar may carry a Helm expression: the Kubernetes emitter writes the value, the Helm
// emitter writes the expression instead, from the same tree (so the chart renders to the plain
// export).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace ls::exporter::yaml {

struct Node {
  enum class Type { Null, String, Int, Bool, Map, Seq };
  Type type = Type::Null;
  std::string scalar;  ///< String: the text; Int/Bool: the spelling
  std::string helm;    ///< non-empty: written instead of the scalar when rendering a template
  std::map<std::string, Node> map;
  std::vector<Node> seq;

  static Node str(std::string s, std::string helm = {});
  static Node integer(std::int64_t v, std::string helm = {});
  static Node boolean(bool v);
  static Node mapping();
  static Node sequence();

  /// Map access (turns a Null node into a map).
  Node& operator[](const std::string& key);
  /// Appends to a sequence (turns a Null node into a sequence) and returns the new element.
  Node& push(Node n);
  bool empty() const { return type == Type::Map ? map.empty() : type == Type::Seq && seq.empty(); }
};

/// True when `s` can be written as a plain scalar and reads back as the same string.
bool isPlainSafe(std::string_view s);
/// `s` as a YAML scalar: plain when safe, else double-quoted with escapes.
std::string quote(std::string_view s);

struct WriteOptions {
  /// Write the Helm expression of scalars that have one, and escape `{{` in every other scalar
  /// so the template engine prints it literally.
  bool helm = false;
};

/// One document, ending with a newline.
std::string write(const Node& doc, const WriteOptions& options = {});

}  // namespace ls::exporter::yaml
