#include "cli/container_args.hpp"

#include <fmt/core.h>

namespace ls::cli {

Result<CopyEndpoint> parseCopyEndpoint(std::string_view arg) {
  if (arg.empty()) {
    return Error(Errc::InvalidArgument, "an empty path; expected RESOURCE:/PATH, a host path or -");
  }
  CopyEndpoint out;
  if (arg == "-") {
    out.kind = CopyEndpoint::Kind::Stream;
    return out;
  }
  const std::size_t colon = arg.find(':');
  const std::size_t slash = arg.find('/');
  if (colon == std::string_view::npos || (slash != std::string_view::npos && slash < colon)) {
    out.kind = CopyEndpoint::Kind::Host;
    out.path = std::string(arg);
    return out;
  }
  out.kind = CopyEndpoint::Kind::Container;
  out.resource = std::string(arg.substr(0, colon));
  const std::string_view path = arg.substr(colon + 1);
  if (out.resource.empty()) {
    return Error(Errc::InvalidArgument,
                 fmt::format("'{}' names no resource before ':'; expected RESOURCE:/PATH (write "
                             "./{} for a host path)",
                             arg, arg));
  }
  if (path.empty()) {
    return Error(Errc::InvalidArgument,
                 fmt::format("'{}' has no path after ':'; expected {}:/PATH", arg, out.resource));
  }
  out.path = path.front() == '/' ? std::string(path) : "/" + std::string(path);
  return out;
}

std::string baseName(std::string_view path) {
  if (path.size() > 1 && path.ends_with("/.")) {
    return ".";
  }
  while (path.size() > 1 && path.back() == '/') {
    path.remove_suffix(1);
  }
  const std::size_t slash = path.rfind('/');
  if (path == "/" || slash == std::string_view::npos) {
    return std::string(path);
  }
  return std::string(path.substr(slash + 1));
}

std::string parentPath(std::string_view path) {
  while (path.size() > 1 && path.back() == '/') {
    path.remove_suffix(1);
  }
  const std::size_t slash = path.rfind('/');
  if (slash == std::string_view::npos) {
    return ".";
  }
  if (slash == 0) {
    return "/";
  }
  return std::string(path.substr(0, slash));
}

Result<CopyPlacement> placeCopy(std::string_view source, bool sourceIsDirectory,
                                std::string_view destination, const DestinationState& state) {
  const std::string srcBase = baseName(source);
  const bool contentsOnly = srcBase == ".";
  if (state.exists && state.isDirectory) {
    return CopyPlacement{std::string(destination), contentsOnly ? "" : srcBase};
  }
  if (state.exists) {  // a file (or something else that is not a directory)
    if (sourceIsDirectory) {
      return Error(Errc::FailedPrecondition,
                   fmt::format("cannot copy directory '{}' onto file '{}'", source, destination));
    }
    return CopyPlacement{parentPath(destination), baseName(destination)};
  }
  if (!sourceIsDirectory && destination.ends_with("/")) {
    return Error(Errc::FailedPrecondition,
                 fmt::format("destination directory '{}' does not exist", destination));
  }
  if (!state.parentIsDirectory) {
    return Error(Errc::FailedPrecondition,
                 fmt::format("the directory '{}' (parent of '{}') does not exist",
                             parentPath(destination), destination));
  }
  return CopyPlacement{parentPath(destination), baseName(destination)};
}

Result<PortSpec> parsePortSpec(std::string_view text) {
  PortSpec out;
  std::string_view number = text;
  if (const std::size_t slash = text.find('/'); slash != std::string_view::npos) {
    number = text.substr(0, slash);
    const std::string_view proto = text.substr(slash + 1);
    if (proto == "tcp") {
      out.protocol = runtime::Protocol::Tcp;
    } else if (proto == "udp") {
      out.protocol = runtime::Protocol::Udp;
    } else if (proto == "sctp") {
      out.protocol = runtime::Protocol::Sctp;
    } else {
      return Error(Errc::InvalidArgument,
                   fmt::format("'{}': unknown protocol '{}' (tcp, udp or sctp)", text, proto));
    }
  }
  unsigned long v = 0;
  bool okNumber = !number.empty() && number.size() <= 5;
  for (char c : number) {
    okNumber = okNumber && c >= '0' && c <= '9';
    if (okNumber) {
      v = v * 10 + static_cast<unsigned long>(c - '0');
    }
  }
  if (!okNumber || v < 1 || v > 65535) {
    return Error(
        Errc::InvalidArgument,
        fmt::format("'{}' is not a container port; expected PORT[/PROTO], e.g. 5432 or 53/udp",
                    text));
  }
  out.port = static_cast<std::uint16_t>(v);
  return out;
}

}  // namespace ls::cli
