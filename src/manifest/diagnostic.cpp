#include "lightshuttle/manifest/diagnostic.hpp"

#include <fmt/core.h>

namespace ls::manifest {
namespace {

// The `line`th line (1-based) of `source`, without its line terminator; nullopt past the end.
std::optional<std::string_view> sourceLine(std::string_view source, int line) {
  std::size_t start = 0;
  for (int i = 1; i < line; ++i) {
    const std::size_t nl = source.find('\n', start);
    if (nl == std::string_view::npos) {
      return std::nullopt;
    }
    start = nl + 1;
  }
  if (start > source.size() || (start == source.size() && line > 1)) {
    return std::nullopt;
  }
  std::size_t end = source.find('\n', start);
  if (end == std::string_view::npos) {
    end = source.size();
  }
  std::string_view out = source.substr(start, end - start);
  if (!out.empty() && out.back() == '\r') {
    out.remove_suffix(1);
  }
  return out;
}

}  // namespace

Error Diagnostic::toError() const {
  std::string msg = location.field.empty() ? message : location.field + ": " + message;
  return Error(Errc::InvalidArgument, std::move(msg)).withLocation(location);
}

std::string renderDiagnostic(const Diagnostic& d, std::string_view source, bool color) {
  const bool isError = d.severity == Severity::Error;
  std::string where = d.location.file;
  if (d.location.line > 0) {
    where += fmt::format(":{}:{}", d.location.line, d.location.column);
  }
  const char* label = isError ? "error" : "warning";
  std::string out;
  if (color) {
    out = fmt::format("\x1b[1m{}:\x1b[0m {}{}:\x1b[0m ", where,
                      isError ? "\x1b[1;31m" : "\x1b[1;35m", label);
  } else {
    out = fmt::format("{}: {}: ", where, label);
  }
  if (!d.location.field.empty()) {
    out += d.location.field + ": ";
  }
  out += d.message + "\n";
  if (d.location.line > 0) {
    if (std::optional<std::string_view> text = sourceLine(source, d.location.line)) {
      const std::string number = std::to_string(d.location.line);
      const std::string gutter(number.size(), ' ');
      out += fmt::format(" {} | {}\n", number, *text);
      // Pad to the column: keep tabs, count one space per character (not per UTF-8 byte).
      std::string pad;
      const std::size_t col = static_cast<std::size_t>(std::max(d.location.column, 1)) - 1;
      for (std::size_t i = 0; i < col && i < text->size(); ++i) {
        const auto c = static_cast<unsigned char>((*text)[i]);
        if (c == '\t') {
          pad += '\t';
        } else if ((c & 0xC0) != 0x80) {
          pad += ' ';
        }
      }
      out += fmt::format(" {} | {}^\n", gutter, pad);
    }
  }
  if (!d.help.empty()) {
    out += fmt::format("  help: {}\n", d.help);
  }
  return out;
}

std::size_t countSeverity(const std::vector<Diagnostic>& ds, Severity s) {
  std::size_t n = 0;
  for (const Diagnostic& d : ds) {
    n += d.severity == s ? 1 : 0;
  }
  return n;
}

}  // namespace ls::manifest
