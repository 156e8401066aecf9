// File: lightshuttle/manifest/env_file.hpp
//
// `.env` files: `KEY=VALUE` lines read next to the manifest (or from `--env-file`), laid over the
// process environment when `${env.X}` is resolved.
//
//   # comment             blank lines and comments are skipped
//   export KEY=value      an `export ` prefix is allowed
//   KEY="quoted # kept"   quotes (" or ') keep everything up to the closing quote
//   KEY=value # comment   an unquoted value ends at " #"
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "lightshuttle/core/result.hpp"

namespace ls::manifest {

using EnvMap = std::map<std::string, std::string, std::less<>>;

/// Parses .env text. Errors: InvalidArgument with the location (file, 1-based line) attached;
/// values never appear in messages.
Result<EnvMap> parseEnvFile(std::string_view text, const std::string& file);

/// Reads and parses a file. A missing file is NotFound.
Result<EnvMap> loadEnvFile(const std::filesystem::path& path);

/// The process environment (`environ`) as a map.
EnvMap processEnvironment();

/// `dotenv` laid over `process`: a key in `dotenv` wins, even when its value is empty.
EnvMap overlayEnvironment(const EnvMap& process, const EnvMap& dotenv);

}  // namespace ls::manifest
