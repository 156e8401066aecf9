// The exporters' YAML writer: block style, sorted keys, conservative quoting.
#include "export/yaml.hpp"

#include <fmt/core.h>

#include <array>

namespace ls::exporter::yaml {
namespace {

bool isAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    }
  }
  return out;
}

// Could a YAML 1.1 or 1.2 reader see a number, a date or a sexagesimal here?
bool numberLike(std::string_view s) {
  const bool digitStart =
      (s[0] >= '0' && s[0] <= '9') || (s.size() > 1 && s[0] == '.' && s[1] >= '0' && s[1] <= '9');
  if (!digitStart) {
    return false;
  }
  for (char c : s) {
    const bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') ||
                    c == 'x' || c == 'X' || c == 'o' || c == 'O' || c == '_' || c == '.' ||
                    c == '+' || c == '-' || c == ':';
    if (!ok) {
      return false;
    }
  }
  return true;
}

void writeScalar(std::string& out, const Node& n, const WriteOptions& o);
void writeMap(std::string& out, const std::map<std::string, Node>& m, int indent, bool inlineFirst,
              const WriteOptions& o);
void writeSeq(std::string& out, const std::vector<Node>& s, int indent, const WriteOptions& o);

std::string escapeTemplate(std::string text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text.compare(i, 2, "{{") == 0) {
      out += "{{ \"{{\" }}";
      ++i;
    } else {
      out += text[i];
    }
  }
  return out;
}

std::string keyText(const std::string& key, const WriteOptions& o) {
  std::string k = quote(key);
  return o.helm ? escapeTemplate(k) : k;
}

bool isBlock(const Node& n) {
  return (n.type == Node::Type::Map && !n.map.empty()) ||
         (n.type == Node::Type::Seq && !n.seq.empty());
}

void writeScalar(std::string& out, const Node& n, const WriteOptions& o) {
  if (o.helm && !n.helm.empty()) {
    out += n.helm;
    return;
  }
  switch (n.type) {
    case Node::Type::Null: out += "null"; break;
    case Node::Type::String:
      out += o.helm ? escapeTemplate(quote(n.scalar)) : quote(n.scalar);
      break;
    case Node::Type::Int:
    case Node::Type::Bool: out += n.scalar; break;
    case Node::Type::Map: out += "{}"; break;
    case Node::Type::Seq: out += "[]"; break;
  }
}

void writeValueAfterKey(std::string& out, const Node& v, int indent, const WriteOptions& o) {
  if (!isBlock(v)) {
    out += ' ';
    writeScalar(out, v, o);
    out += '\n';
    return;
  }
  out += '\n';
  if (v.type == Node::Type::Map) {
    writeMap(out, v.map, indent + 2, false, o);
  } else {
    writeSeq(out, v.seq, indent + 2, o);
  }
}

void writeMap(std::string& out, const std::map<std::string, Node>& m, int indent, bool inlineFirst,
              const WriteOptions& o) {
  bool first = true;
  for (const auto& [k, v] : m) {
    if (!(first && inlineFirst)) {
      out.append(static_cast<std::size_t>(indent), ' ');
    }
    first = false;
    out += keyText(k, o);
    out += ':';
    writeValueAfterKey(out, v, indent, o);
  }
}

void writeSeq(std::string& out, const std::vector<Node>& s, int indent, const WriteOptions& o) {
  for (const Node& item : s) {
    out.append(static_cast<std::size_t>(indent), ' ');
    out += "- ";
    if (item.type == Node::Type::Map && !item.map.empty()) {
      writeMap(out, item.map, indent + 2, true, o);
    } else if (item.type == Node::Type::Seq && !item.seq.empty()) {
      out.pop_back();
      out += '\n';
      writeSeq(out, item.seq, indent + 2, o);
    } else {
      writeScalar(out, item, o);
      out += '\n';
    }
  }
}

}  // namespace

Node Node::str(std::string s, std::string helm) {
  Node n;
  n.type = Type::String;
  n.scalar = std::move(s);
  n.helm = std::move(helm);
  return n;
}

Node Node::integer(std::int64_t v, std::string helm) {
  Node n;
  n.type = Type::Int;
  n.scalar = std::to_string(v);
  n.helm = std::move(helm);
  return n;
}

Node Node::boolean(bool v) {
  Node n;
  n.type = Type::Bool;
  n.scalar = v ? "true" : "false";
  return n;
}

Node Node::mapping() {
  Node n;
  n.type = Type::Map;
  return n;
}

Node Node::sequence() {
  Node n;
  n.type = Type::Seq;
  return n;
}

Node& Node::operator[](const std::string& key) {
  if (type != Type::Map) {
    type = Type::Map;
  }
  return map[key];
}

Node& Node::push(Node n) {
  if (type != Type::Seq) {
    type = Type::Seq;
  }
  seq.push_back(std::move(n));
  return seq.back();
}

bool isPlainSafe(std::string_view s) {
  if (s.empty() || s.back() == ' ') {
    return false;
  }
  const char c0 = s[0];
  if (!(isAlnum(c0) || c0 == '_' || c0 == '.' || c0 == '/')) {
    return false;
  }
  for (char c : s) {
    const bool ok = isAlnum(c) || c == '_' || c == '.' || c == '/' || c == ' ' || c == '-' ||
                    c == '+' || c == '=' || c == ',' || c == '@' || c == '%' || c == '(' ||
                    c == ')';
    if (!ok) {
      return false;
    }
  }
  static constexpr std::array<std::string_view, 12> kReserved{
      "y", "n", "yes", "no", "true", "false", "on", "off", "null", "~", ".inf", ".nan"};
  const std::string l = lower(s);
  for (std::string_view r : kReserved) {
    if (l == r) {
      return false;
    }
  }
  return !numberLike(s);
}

std::string quote(std::string_view s) {
  if (isPlainSafe(s)) {
    return std::string(s);
  }
  std::string out = "\"";
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (ch) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (c < 0x20 || c == 0x7f) {
          out += fmt::format("\\x{:02x}", c);
        } else {
          out += ch;
        }
    }
  }
  out += '"';
  return out;
}

std::string write(const Node& doc, const WriteOptions& options) {
  std::string out;
  if (doc.type == Node::Type::Map && !doc.map.empty()) {
    writeMap(out, doc.map, 0, false, options);
  } else if (doc.type == Node::Type::Seq && !doc.seq.empty()) {
    writeSeq(out, doc.seq, 0, options);
  } else {
    writeScalar(out, doc, options);
    out += '\n';
  }
  return out;
}

}  // namespace ls::exporter::yaml
