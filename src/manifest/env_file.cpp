#include "lightshuttle/manifest/env_file.hpp"

#include <fmt/core.h>

#include "lightshuttle/core/file.hpp"

extern char** environ;  // NOLINT: POSIX

namespace ls::manifest {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

}  // namespace

Result<EnvMap> parseEnvFile(std::string_view text, const std::string& file) {
  if (text.starts_with("\xEF\xBB\xBF")) {
    text.remove_prefix(3);
  }
  EnvMap out;
  int lineNo = 0;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t nl = text.find('\n', start);
    if (nl == std::string_view::npos) {
      nl = text.size();
    }
    ++lineNo;
    std::string_view line = trim(text.substr(start, nl - start));
    start = nl + 1;
    if (line.empty() || line.front() == '#') {
      continue;
    }
    if (line.starts_with("export ") || line.starts_with("export\t")) {
      line = trim(line.substr(7));
    }
    const std::size_t eq = line.find('=');
    const auto fail = [&](std::string message) {
      return Error(Errc::InvalidArgument, std::move(message))
          .withLocation(SourceLocation{file, lineNo, 1, ""});
    };
    if (eq == std::string_view::npos) {
      return fail(fmt::format("{}:{}: expected KEY=VALUE", file, lineNo));
    }
    const std::string_view key = trim(line.substr(0, eq));
    if (key.empty() || key.find_first_of(" \t") != std::string_view::npos) {
      return fail(fmt::format("{}:{}: invalid key '{}'; expected KEY=VALUE", file, lineNo, key));
    }
    std::string_view value = trim(line.substr(eq + 1));
    if (!value.empty() && (value.front() == '"' || value.front() == '\'')) {
      const std::size_t close = value.find(value.front(), 1);
      if (close != std::string_view::npos) {
        value = value.substr(1, close - 1);
      }
    } else if (const std::size_t hash = value.find(" #"); hash != std::string_view::npos) {
      value = trim(value.substr(0, hash));
    }
    out[std::string(key)] = std::string(value);
  }
  return out;
}

Result<EnvMap> loadEnvFile(const std::filesystem::path& path) {
  LS_ASSIGN_OR_RETURN(std::string text, readFile(path));
  return parseEnvFile(text, path.string());
}

EnvMap processEnvironment() {
  EnvMap out;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    const std::string_view entry(*e);
    const std::size_t eq = entry.find('=');
    if (eq != std::string_view::npos && eq > 0) {
      out.emplace(std::string(entry.substr(0, eq)), std::string(entry.substr(eq + 1)));
    }
  }
  return out;
}

EnvMap overlayEnvironment(const EnvMap& process, const EnvMap& dotenv) {
  EnvMap out = process;
  for (const auto& [k, v] : dotenv) {
    out[k] = v;
  }
  return out;
}

}  // namespace ls::manifest
