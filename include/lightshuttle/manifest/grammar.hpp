// File: lightshuttle/manifest/grammar.hpp
//
// The small grammars of the manifest, each a pure function from text to a value or an error
// whose message says what is wrong and what is accepted:
//
//   parseDuration("1m30s")                  -> 90s          (units ns us ms s m h, decimals)
//   parseImageReference("127.0.0.1:5000/team/app:1.2@sha256:...")
//   parsePortMapping("[::1]:8080:80/udp")   -> {host "::1", 8080, 80, udp}
//   parseVolumeMapping("./data:/var/lib/x:ro")
//   dnsLabelFromName("api_db")              -> "api-db-1c0f0a4e"
//
// The messages carry no location: the loader attaches file, line, column and field path.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "lightshuttle/core/result.hpp"

namespace ls::manifest {

/// Parses a duration: one or more `<decimal><unit>` segments (`5s`, `1.5h`, `1m30s`, `.5s`),
/// units `ns us ms s m h` (case-sensitive). Rejects signs, missing units, values below 1ns
/// (other than zero) and values above ~292 years. Errors: InvalidArgument.
Result<std::chrono::nanoseconds> parseDuration(std::string_view text);

/// The shortest compound spelling of `d` (`90s` -> "1m30s", `1500ms` -> "1s500ms", 0 -> "0s").
/// parseDuration(formatDuration(d)) == d for every non-negative d.
std::string formatDuration(std::chrono::nanoseconds d);

/// `[registry[:port]/]repository[:tag][@algorithm:hex]`.
struct ImageReference {
  std::string registry;    ///< empty = Docker Hub
  std::string repository;  ///< "library/postgres" is kept as written ("postgres")
  std::string tag;         ///< empty = none written (the engine then uses "latest")
  std::string digest;      ///< "sha256:..." or empty

  /// `registry/repository`, or `repository` when no registry was written.
  std::string qualifiedRepository() const;
  /// The reference as canonical text (what parseImageReference read, trimmed).
  std::string str() const;
};

/// Parses an image reference. Errors: InvalidArgument (the message names the bad component).
Result<ImageReference> parseImageReference(std::string_view text);

enum class PortProtocol { Tcp, Udp };

/// `P`, `H:C`, `ADDR:H:C` or `[IPv6]:H:C`, each optionally followed by `/tcp` or `/udp`.
struct PortMapping {
  std::string hostAddress;  ///< empty = the default bind address (127.0.0.1)
  std::uint16_t hostPort = 0;
  std::uint16_t containerPort = 0;
  PortProtocol protocol = PortProtocol::Tcp;

  /// Canonical text: "8080:80", "0.0.0.0:8080:80/udp", "[::1]:8080:80".
  std::string str() const;
  /// True when the mapping publishes on every interface (0.0.0.0 or ::).
  bool publishesOnAllInterfaces() const;
};

/// Parses a port mapping. Ranges (`8000-8010`) are rejected with a message saying to list each
/// port. Ports are 1..65535; the address must be an IPv4 literal or a bracketed IPv6 literal.
Result<PortMapping> parsePortMapping(std::string_view text);

/// `SOURCE:TARGET[:ro|:rw]` or a bare absolute `TARGET` (an anonymous volume).
struct VolumeMapping {
  enum class Kind { HostPath, Named, Anonymous };
  Kind kind = Kind::Anonymous;
  std::string source;  ///< host path as written (`./data`, `/srv/x`) or a volume name
  std::string target;  ///< absolute path inside the container
  bool readOnly = false;

  std::string str() const;
};

/// Parses a volume mapping. A source starting with `.`, `/` or `~` is a host path; anything else
/// is a named volume (`[A-Za-z0-9][A-Za-z0-9_.-]*`). The target must be absolute.
Result<VolumeMapping> parseVolumeMapping(std::string_view text);

/// True for an RFC 1123 label: 1..63 of [a-z0-9-], starting and ending alphanumeric.
bool isDnsLabel(std::string_view text);

/// A DNS label for a manifest name: the name itself when it already is one, otherwise the name
/// lowercased with every other character turned into `-`, cut to 54 characters, plus `-` and the
/// 8-hex FNV-1a 32 hash of the original bytes (so `foo_bar` and `foo-bar` never collide).
/// Errors: InvalidArgument for an empty name.
Result<std::string> dnsLabelFromName(std::string_view name);

/// Project and resource names: `^[a-z][a-z0-9_-]{0,31}$`.
bool isValidName(std::string_view text);

/// Percent-encodes every byte outside RFC 3986 unreserved characters (for URL user info and
/// path segments), with uppercase hex.
std::string percentEncode(std::string_view text);

}  // namespace ls::manifest
