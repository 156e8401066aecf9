// The manifest's grammars: durations, image references, port and volume mappings, DNS labels.
#include "lightshuttle/manifest/grammar.hpp"

#include <arpa/inet.h>
#include <fmt/core.h>

#include <array>
#include <cstdint>
#include <limits>

#include "lightshuttle/core/text.hpp"

namespace ls::manifest {
namespace {

// 128-bit intermediate so that digits * unit never overflows before the range check.
__extension__ typedef unsigned __int128 U128;

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

bool isDigit(char c) { return c >= '0' && c <= '9'; }
bool isLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || isDigit(c); }
bool isAlnum(char c) { return isLowerAlnum(c) || (c >= 'A' && c <= 'Z'); }
bool isHex(char c) { return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

Error invalid(std::string message) { return Error(Errc::InvalidArgument, std::move(message)); }

// ---------------------------------------------------------------------------------------------
// durations

constexpr const char* kDurationHint =
    "expected a value like 5s, 200ms, 1.5m or 1m30s (units ns, us, "
    "ms, s, m, h)";

struct Unit {
  std::string_view name;
  std::int64_t nanos;
};
constexpr std::array<Unit, 6> kUnits{{{"ns", 1},
                                      {"us", 1'000},
                                      {"ms", 1'000'000},
                                      {"s", 1'000'000'000},
                                      {"m", 60'000'000'000},
                                      {"h", 3'600'000'000'000}}};

Error badDuration(std::string_view text, std::string_view why) {
  return invalid(fmt::format("invalid duration '{}': {}; {}", text, why, kDurationHint));
}

// Parses an unsigned decimal integer of up to 19 digits into a 64-bit value. Returns false on
// overflow.
bool accumulate(std::string_view digits, U128& out) {
  out = 0;
  for (char c : digits) {
    out = out * 10 + static_cast<unsigned>(c - '0');
    if (out > static_cast<U128>(std::numeric_limits<std::int64_t>::max())) {
      return false;
    }
  }
  return true;
}

}  // namespace

Result<std::chrono::nanoseconds> parseDuration(std::string_view raw) {
  const std::string_view text = trim(raw);
  if (text.empty()) {
    return badDuration(raw, "empty value");
  }
  if (text.front() == '-' || text.front() == '+') {
    return badDuration(text, "a sign is not allowed");
  }
  U128 total = 0;
  bool nonZeroDigit = false;
  std::size_t i = 0;
  while (i < text.size()) {
    const std::size_t start = i;
    while (i < text.size() && isDigit(text[i])) {
      ++i;
    }
    const std::string_view whole = text.substr(start, i - start);
    std::string_view frac;
    if (i < text.size() && text[i] == '.') {
      ++i;
      const std::size_t fs = i;
      while (i < text.size() && isDigit(text[i])) {
        ++i;
      }
      frac = text.substr(fs, i - fs);
      if (whole.empty() && frac.empty()) {
        return badDuration(text, "a number needs at least one digit");
      }
    } else if (whole.empty()) {
      return badDuration(text, fmt::format("expected a number before '{}'", text.substr(start)));
    }
    const std::size_t us = i;
    while (i < text.size() && !isDigit(text[i]) && text[i] != '.') {
      ++i;
    }
    const std::string_view unitText = text.substr(us, i - us);
    if (unitText.empty()) {
      return badDuration(text, "missing unit");
    }
    const Unit* unit = nullptr;
    for (const Unit& u : kUnits) {
      if (u.name == unitText) {
        unit = &u;
      }
    }
    if (unit == nullptr) {
      return badDuration(text, fmt::format("unknown unit '{}'", unitText));
    }
    U128 w = 0;
    if (!accumulate(whole, w)) {
      return badDuration(text, "value too large");
    }
    for (char c : whole) {
      nonZeroDigit = nonZeroDigit || c != '0';
    }
    U128 value = w * static_cast<U128>(unit->nanos);
    // Fractional digits beyond 18 are below any unit's nanosecond resolution.
    const std::string_view f = frac.substr(0, 18);
    for (char c : frac) {
      nonZeroDigit = nonZeroDigit || c != '0';
    }
    U128 fnum = 0;
    U128 fden = 1;
    for (char c : f) {
      fnum = fnum * 10 + static_cast<unsigned>(c - '0');
      fden *= 10;
    }
    value += fnum * static_cast<U128>(unit->nanos) / fden;
    total += value;
    if (total > static_cast<U128>(std::numeric_limits<std::int64_t>::max())) {
      return badDuration(text, "value too large (at most about 292 years)");
    }
  }
  if (total == 0 && nonZeroDigit) {
    return badDuration(text, "below the 1ns resolution");
  }
  return std::chrono::nanoseconds(static_cast<std::int64_t>(total));
}

std::string formatDuration(std::chrono::nanoseconds d) {
  std::int64_t n = d.count();
  if (n <= 0) {
    return "0s";
  }
  std::string out;
  for (auto it = kUnits.rbegin(); it != kUnits.rend(); ++it) {
    const std::int64_t q = n / it->nanos;
    if (q > 0) {
      out += fmt::format("{}{}", q, it->name);
      n -= q * it->nanos;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// image references

namespace {

// One repository path component: [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*
bool isPathComponent(std::string_view c) {
  if (c.empty() || !isLowerAlnum(c.front()) || !isLowerAlnum(c.back())) {
    return false;
  }
  for (std::size_t i = 0; i < c.size(); ++i) {
    const char ch = c[i];
    if (isLowerAlnum(ch)) {
      continue;
    }
    if (ch == '.') {
      if (!isLowerAlnum(c[i + 1])) {
        return false;
      }
    } else if (ch == '_') {
      if (c[i + 1] == '_') {
        ++i;
      }
      if (!isLowerAlnum(c[i + 1])) {
        return false;
      }
    } else if (ch == '-') {
      while (c[i + 1] == '-') {
        ++i;
      }
      if (!isLowerAlnum(c[i + 1])) {
        return false;
      }
    } else {
      return false;
    }
  }
  return true;
}

bool isRegistryHost(std::string_view host) {
  if (host.empty()) {
    return false;
  }
  std::size_t start = 0;
  while (start <= host.size()) {
    const std::size_t dot = host.find('.', start);
    const std::string_view label =
        host.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (label.empty() || label.front() == '-' || label.back() == '-') {
      return false;
    }
    for (char c : label) {
      if (!isAlnum(c) && c != '-') {
        return false;
      }
    }
    if (dot == std::string_view::npos) {
      break;
    }
    start = dot + 1;
  }
  return true;
}

bool isPort(std::string_view s) {
  if (s.empty() || s.size() > 5) {
    return false;
  }
  unsigned v = 0;
  for (char c : s) {
    if (!isDigit(c)) {
      return false;
    }
    v = v * 10 + static_cast<unsigned>(c - '0');
  }
  return v >= 1 && v <= 65535;
}

constexpr const char* kImageHint =
    "expected [registry[:port]/]name[:tag][@sha256:digest], e.g. postgres:16 or "
    "127.0.0.1:5000/team/app:1.2";

Error badImage(std::string_view text, std::string_view why) {
  return invalid(fmt::format("invalid image reference '{}': {}; {}", text, why, kImageHint));
}

}  // namespace

std::string ImageReference::qualifiedRepository() const {
  return registry.empty() ? repository : registry + "/" + repository;
}

std::string ImageReference::str() const {
  std::string out = qualifiedRepository();
  if (!tag.empty()) {
    out += ":" + tag;
  }
  if (!digest.empty()) {
    out += "@" + digest;
  }
  return out;
}

Result<ImageReference> parseImageReference(std::string_view raw) {
  const std::string_view text = trim(raw);
  if (text.empty()) {
    return badImage(raw, "empty value");
  }
  ImageReference ref;
  std::string_view rest = text;
  if (const std::size_t at = rest.find('@'); at != std::string_view::npos) {
    const std::string_view digest = rest.substr(at + 1);
    rest = rest.substr(0, at);
    const std::size_t colon = digest.find(':');
    if (colon == std::string_view::npos || colon == 0) {
      return badImage(text, "a digest is written algorithm:hex, e.g. sha256:<64 hex digits>");
    }
    const std::string_view algo = digest.substr(0, colon);
    const std::string_view hex = digest.substr(colon + 1);
    for (char c : algo) {
      if (!isLowerAlnum(c) && c != '.' && c != '+' && c != '_' && c != '-') {
        return badImage(text, fmt::format("invalid digest algorithm '{}'", algo));
      }
    }
    if (hex.size() < 32) {
      return badImage(text, "a digest needs at least 32 hex digits");
    }
    for (char c : hex) {
      if (!isHex(c)) {
        return badImage(text, "a digest is hexadecimal");
      }
    }
    ref.digest = std::string(digest);
  }
  if (rest.empty()) {
    return badImage(text, "missing repository name");
  }
  // A tag follows the last ':' when that part contains no '/'.
  if (const std::size_t colon = rest.rfind(':'); colon != std::string_view::npos) {
    const std::string_view tag = rest.substr(colon + 1);
    if (tag.find('/') == std::string_view::npos) {
      if (tag.empty()) {
        return badImage(text, "empty tag after ':'");
      }
      if (tag.size() > 128) {
        return badImage(text, "a tag has at most 128 characters");
      }
      if (!isAlnum(tag.front()) && tag.front() != '_') {
        return badImage(text, fmt::format("tag '{}' must start with a letter, digit or '_'", tag));
      }
      for (char c : tag) {
        if (!isAlnum(c) && c != '_' && c != '.' && c != '-') {
          return badImage(text, fmt::format("tag '{}' may only hold letters, digits, '_', '.' "
                                            "and '-'",
                                            tag));
        }
      }
      ref.tag = std::string(tag);
      rest = rest.substr(0, colon);
    }
  }
  // The first component is a registry when it holds '.' or ':' or is "localhost".
  if (const std::size_t slash = rest.find('/'); slash != std::string_view::npos) {
    const std::string_view first = rest.substr(0, slash);
    if (first.find('.') != std::string_view::npos || first.find(':') != std::string_view::npos ||
        first == "localhost") {
      const std::size_t colon = first.find(':');
      const std::string_view host = first.substr(0, colon);
      if (!isRegistryHost(host)) {
        return badImage(text, fmt::format("invalid registry host '{}'", host));
      }
      if (colon != std::string_view::npos && !isPort(first.substr(colon + 1))) {
        return badImage(text, fmt::format("invalid registry port '{}'", first.substr(colon + 1)));
      }
      ref.registry = std::string(first);
      rest = rest.substr(slash + 1);
    }
  }
  if (rest.empty()) {
    return badImage(text, "missing repository name");
  }
  std::size_t start = 0;
  while (true) {
    const std::size_t slash = rest.find('/', start);
    const std::string_view comp = rest.substr(
        start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    if (!isPathComponent(comp)) {
      bool upper = false;
      for (char c : comp) {
        upper = upper || (c >= 'A' && c <= 'Z');
      }
      return badImage(text, upper ? fmt::format("repository '{}' must be lowercase", rest)
                                  : fmt::format("invalid repository component '{}'", comp));
    }
    if (slash == std::string_view::npos) {
      break;
    }
    start = slash + 1;
  }
  ref.repository = std::string(rest);
  return ref;
}

// ---------------------------------------------------------------------------------------------
// port mappings

namespace {

constexpr const char* kPortHint =
    "expected PORT, HOST:CONTAINER, ADDR:HOST:CONTAINER or "
    "[IPV6]:HOST:CONTAINER, optionally followed by /tcp or /udp";

Error badPort(std::string_view text, std::string_view why) {
  return invalid(fmt::format("invalid port mapping '{}': {}; {}", text, why, kPortHint));
}

Result<std::uint16_t> portNumber(std::string_view whole, std::string_view s, const char* what) {
  if (s.find('-') != std::string_view::npos && !s.empty() && isDigit(s.front())) {
    return badPort(whole, "port ranges are not supported, list each port on its own");
  }
  if (s.empty()) {
    return badPort(whole, fmt::format("missing {} port", what));
  }
  unsigned long v = 0;
  for (char c : s) {
    if (!isDigit(c)) {
      return badPort(whole, fmt::format("{} port '{}' is not a number", what, s));
    }
    v = v * 10 + static_cast<unsigned>(c - '0');
    if (v > 65535) {
      break;
    }
  }
  if (v < 1 || v > 65535) {
    return badPort(whole, fmt::format("{} port {} is out of range 1-65535", what, s));
  }
  return static_cast<std::uint16_t>(v);
}

}  // namespace

std::string PortMapping::str() const {
  std::string out;
  if (!hostAddress.empty()) {
    out = hostAddress.find(':') != std::string::npos ? "[" + hostAddress + "]:" : hostAddress + ":";
  }
  out += fmt::format("{}:{}", hostPort, containerPort);
  if (protocol == PortProtocol::Udp) {
    out += "/udp";
  }
  return out;
}

bool PortMapping::publishesOnAllInterfaces() const {
  return hostAddress == "0.0.0.0" || hostAddress == "::";
}

Result<PortMapping> parsePortMapping(std::string_view raw) {
  const std::string_view text = trim(raw);
  if (text.empty()) {
    return badPort(raw, "empty value");
  }
  PortMapping m;
  std::string_view rest = text;
  if (const std::size_t slash = rest.rfind('/'); slash != std::string_view::npos) {
    const std::string_view proto = rest.substr(slash + 1);
    if (proto == "udp") {
      m.protocol = PortProtocol::Udp;
    } else if (proto != "tcp") {
      return badPort(text, fmt::format("unknown protocol '{}' (tcp or udp)", proto));
    }
    rest = rest.substr(0, slash);
  }
  std::string_view addr;
  bool haveAddr = false;
  if (!rest.empty() && rest.front() == '[') {
    const std::size_t close = rest.find(']');
    if (close == std::string_view::npos || close + 1 >= rest.size() || rest[close + 1] != ':') {
      return badPort(text, "an IPv6 address is written [ADDR]:HOST:CONTAINER");
    }
    addr = rest.substr(1, close - 1);
    rest = rest.substr(close + 2);
    in6_addr a6{};
    if (!inet_pton(AF_INET6, std::string(addr).c_str(), &a6)) {
      return badPort(text, fmt::format("'{}' is not an IPv6 address", addr));
    }
    haveAddr = true;
    if (rest.find(':') == std::string_view::npos) {
      return badPort(text, "an address needs both a host and a container port");
    }
  }
  std::array<std::string_view, 4> parts{};
  std::size_t count = 0;
  std::size_t start = 0;
  while (true) {
    const std::size_t colon = rest.find(':', start);
    if (count == parts.size()) {
      return badPort(text, "too many ':' separators");
    }
    parts[count++] = rest.substr(
        start, colon == std::string_view::npos ? std::string_view::npos : colon - start);
    if (colon == std::string_view::npos) {
      break;
    }
    start = colon + 1;
  }
  if (count == 4 || (haveAddr && count != 2)) {
    return badPort(text, "too many ':' separators (write IPv6 addresses in brackets)");
  }
  if (count == 3) {
    addr = parts[0];
    in_addr a4{};
    if (!inet_pton(AF_INET, std::string(addr).c_str(), &a4)) {
      return badPort(text, fmt::format("'{}' is not an IPv4 address", addr));
    }
    haveAddr = true;
    parts[0] = parts[1];
    parts[1] = parts[2];
    count = 2;
  }
  if (count == 1) {
    LS_ASSIGN_OR_RETURN(m.containerPort, portNumber(text, parts[0], "container"));
    m.hostPort = m.containerPort;
  } else {
    LS_ASSIGN_OR_RETURN(m.hostPort, portNumber(text, parts[0], "host"));
    LS_ASSIGN_OR_RETURN(m.containerPort, portNumber(text, parts[1], "container"));
  }
  if (haveAddr) {
    m.hostAddress = std::string(addr);
  }
  return m;
}

// ---------------------------------------------------------------------------------------------
// volume mappings

namespace {

constexpr const char* kVolumeHint =
    "expected SOURCE:TARGET[:ro|:rw] where SOURCE is a host path "
    "(./data, /srv/data) or a volume name, and TARGET an absolute "
    "path, or a bare absolute TARGET";

Error badVolume(std::string_view text, std::string_view why) {
  return invalid(fmt::format("invalid volume mapping '{}': {}; {}", text, why, kVolumeHint));
}

bool isVolumeName(std::string_view s) {
  if (s.empty() || !isAlnum(s.front())) {
    return false;
  }
  for (char c : s) {
    if (!isAlnum(c) && c != '_' && c != '.' && c != '-') {
      return false;
    }
  }
  return true;
}

}  // namespace

std::string VolumeMapping::str() const {
  std::string out = kind == Kind::Anonymous ? target : source + ":" + target;
  if (readOnly) {
    out += ":ro";
  }
  return out;
}

Result<VolumeMapping> parseVolumeMapping(std::string_view raw) {
  const std::string_view text = trim(raw);
  if (text.empty()) {
    return badVolume(raw, "empty value");
  }
  VolumeMapping v;
  std::string_view rest = text;
  const std::size_t last = rest.rfind(':');
  if (last != std::string_view::npos) {
    const std::string_view mode = rest.substr(last + 1);
    if (mode == "ro" || mode == "rw") {
      v.readOnly = mode == "ro";
      rest = rest.substr(0, last);
    }
  }
  const std::size_t colon = rest.find(':');
  if (colon == std::string_view::npos) {
    if (rest.front() != '/') {
      return badVolume(text, "missing ':TARGET'");
    }
    v.kind = VolumeMapping::Kind::Anonymous;
    v.target = std::string(rest);
    return v;
  }
  const std::string_view source = rest.substr(0, colon);
  const std::string_view target = rest.substr(colon + 1);
  if (source.empty()) {
    return badVolume(text, "empty source");
  }
  if (target.empty()) {
    return badVolume(text, "empty target");
  }
  if (target.find(':') != std::string_view::npos) {
    return badVolume(
        text, fmt::format("unknown mode '{}' (ro or rw)", target.substr(target.find(':') + 1)));
  }
  if (target.front() != '/') {
    return badVolume(text, fmt::format("target '{}' is not an absolute path", target));
  }
  if (source.front() == '.' || source.front() == '/' || source.front() == '~') {
    v.kind = VolumeMapping::Kind::HostPath;
  } else {
    if (!isVolumeName(source)) {
      return badVolume(text, fmt::format("'{}' is neither a host path (start it with ./ or /) "
                                         "nor a volume name ([A-Za-z0-9][A-Za-z0-9_.-]*)",
                                         source));
    }
    v.kind = VolumeMapping::Kind::Named;
  }
  v.source = std::string(source);
  v.target = std::string(target);
  return v;
}

// ---------------------------------------------------------------------------------------------
// names

bool isDnsLabel(std::string_view s) {
  if (s.empty() || s.size() > 63 || !isLowerAlnum(s.front()) || !isLowerAlnum(s.back())) {
    return false;
  }
  for (char c : s) {
    if (!isLowerAlnum(c) && c != '-') {
      return false;
    }
  }
  return true;
}

Result<std::string> dnsLabelFromName(std::string_view name) {
  if (name.empty()) {
    return invalid("cannot derive a DNS label from an empty name");
  }
  if (isDnsLabel(name)) {
    return std::string(name);
  }
  std::uint32_t hash = 0x811c9dc5U;
  for (unsigned char c : name) {
    hash ^= c;
    hash *= 0x01000193U;
  }
  std::string base;
  for (char c : name) {
    const char lower = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    base += isLowerAlnum(lower) ? lower : '-';
  }
  const std::size_t first = base.find_first_not_of('-');
  base = first == std::string::npos ? std::string() : base.substr(first);
  if (base.size() > 54) {
    base.resize(54);
  }
  while (!base.empty() && base.back() == '-') {
    base.pop_back();
  }
  const std::string suffix = fmt::format("{:08x}", hash);
  return base.empty() ? suffix : base + "-" + suffix;
}

bool isValidName(std::string_view s) {
  if (s.empty() || s.size() > 32 || !(s.front() >= 'a' && s.front() <= 'z')) {
    return false;
  }
  for (char c : s) {
    if (!isLowerAlnum(c) && c != '_' && c != '-') {
      return false;
    }
  }
  return true;
}

std::string percentEncode(std::string_view text) { return ls::percentEncode(text); }

}  // namespace ls::manifest
