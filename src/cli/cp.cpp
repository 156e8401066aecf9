// `lightshuttle cp SRC DEST`: copies files and directories between the host and a resource's
// container through the engine's archive API, as `docker compose cp`: `web:/etc/app.conf .`,
// `./seed web:/data`, `db:/var/log/. ./logs` (a directory's contents), and `-` for a tar stream
// on stdin or stdout. Modes and mtimes are kept; a stopped container can be copied from and to.
#include <fmt/core.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "cli/commands.hpp"
#include "cli/container_args.hpp"
#include "cli/container_commands.hpp"
#include "cli/container_lookup.hpp"
#include "cli/flags.hpp"
#include "cli/host_tar.hpp"

namespace ls::cli {
namespace {

namespace fs = std::filesystem;

struct Side {
  EngineSession& session;
  const runtime::ManagedContainer& container;
};

void printSkipped(const std::vector<std::string>& skipped) {
  for (const auto& s : skipped) {
    fmt::print(stderr, "warning: '{}' is not a file, directory or symlink; not copied\n", s);
  }
}

/// What `path` in the container is, or nullopt when it does not exist. Other errors printed.
std::optional<runtime::PathStat> headIn(Side& side, const std::string& path, bool& failed) {
  auto head = runSync(side.session, side.session.runtime->archiveHead(side.container.id, path));
  if (head) {
    return *head;
  }
  if (head.error().code() != Errc::NotFound) {
    fmt::print(stderr, "error: '{}' in resource '{}': {}\n", path, side.container.resource,
               head.error().what());
    failed = true;
  }
  return std::nullopt;
}

Result<void> writeStdout(std::string_view bytes) {
  if (std::fwrite(bytes.data(), 1, bytes.size(), stdout) != bytes.size()) {
    return Error(Errc::Unavailable,
                 std::string("writing the archive to stdout: ") + std::strerror(errno));
  }
  return ok();
}

/// The archive of `path` into `sink` (a TarReader, or stdout).
template <typename Sink>
Result<void> pullArchive(Side& side, const std::string& path, Sink&& sink) {
  auto opened = runSync(side.session, side.session.runtime->archiveGet(side.container.id, path));
  if (!opened) {
    return std::move(opened).error();
  }
  std::unique_ptr<runtime::ByteStream> stream = std::move(opened).value();
  for (;;) {
    auto piece = runSync(side.session, stream->next());
    if (!piece) {
      stream->close();
      return std::move(piece).error();
    }
    if (!*piece) {
      break;
    }
    if (Result<void> r = sink(**piece); !r) {
      stream->close();
      return r;
    }
  }
  stream->close();
  return ok();
}

int copyOut(Side& side, const std::string& source, const CopyEndpoint& destination) {
  bool failed = false;
  std::optional<runtime::PathStat> head = headIn(side, source, failed);
  if (!head) {
    if (!failed) {
      fmt::print(stderr,
                 "error: resource '{}' has no '{}' (no such file or directory in its container)\n",
                 side.container.resource, source);
    }
    return kExitFailure;
  }
  if (destination.kind == CopyEndpoint::Kind::Stream) {
    Result<void> r = pullArchive(side, source, writeStdout);
    std::fflush(stdout);
    if (!r) {
      fmt::print(stderr, "error: copying '{}' from resource '{}': {}\n", source,
                 side.container.resource, r.error().what());
      return kExitFailure;
    }
    return kExitOk;
  }
  const fs::path dest(destination.path);
  std::error_code ec;
  DestinationState state;
  const fs::file_status st = fs::status(dest, ec);
  state.exists = fs::exists(st);
  state.isDirectory = fs::is_directory(st);
  state.parentIsDirectory = fs::is_directory(fs::path(parentPath(destination.path)), ec);
  Result<CopyPlacement> place = placeCopy(source, head->isDirectory(), destination.path, state);
  if (!place) {
    fmt::print(stderr, "error: {}\n", place.error().message());
    return kExitFailure;
  }
  HostExtractor extractor(place->directory, place->name, baseName(source) == ".");
  ls::archive::TarReader reader(extractor);
  Result<void> r =
      pullArchive(side, source, [&reader](std::string_view bytes) { return reader.feed(bytes); });
  if (r) {
    r = reader.finish();
  }
  if (r) {
    r = extractor.finish();
  }
  printSkipped(extractor.skipped());
  if (!r) {
    fmt::print(stderr, "error: copying '{}' from resource '{}' to '{}': {}\n", source,
               side.container.resource, destination.path, r.error().what());
    return kExitFailure;
  }
  return kExitOk;
}

Result<std::string> readStdin() {
  std::string out;
  char buf[64 * 1024];
  for (;;) {
    const ssize_t n = ::read(STDIN_FILENO, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      return Error(Errc::Unavailable,
                   std::string("reading the archive from stdin: ") + std::strerror(errno));
    }
    if (n == 0) {
      return out;
    }
    out.append(buf, static_cast<std::size_t>(n));
  }
}

int copyIn(Side& side, const CopyEndpoint& source, const std::string& destination) {
  bool failed = false;
  std::optional<runtime::PathStat> head = headIn(side, destination, failed);
  if (failed) {
    return kExitFailure;
  }
  std::string tar;
  std::string directory;
  std::vector<std::string> skipped;
  if (source.kind == CopyEndpoint::Kind::Stream) {
    if (!head || !head->isDirectory()) {
      fmt::print(stderr,
                 "error: '{}' in resource '{}' must be an existing directory to extract a tar from "
                 "stdin\n",
                 destination, side.container.resource);
      return kExitFailure;
    }
    Result<std::string> in = readStdin();
    if (!in) {
      fmt::print(stderr, "error: {}\n", in.error().what());
      return kExitFailure;
    }
    tar = std::move(in).value();
    directory = destination;
  } else {
    struct stat st {};
    if (::lstat(source.path.c_str(), &st) != 0) {
      fmt::print(stderr, "error: '{}' does not exist on this machine ({})\n", source.path,
                 std::strerror(errno));
      return kExitFailure;
    }
    DestinationState state;
    state.exists = head.has_value();
    state.isDirectory = head && head->isDirectory();
    if (!head) {
      std::optional<runtime::PathStat> parent = headIn(side, parentPath(destination), failed);
      if (failed) {
        return kExitFailure;
      }
      state.parentIsDirectory = parent && parent->isDirectory();
    }
    Result<CopyPlacement> place = placeCopy(source.path, S_ISDIR(st.st_mode), destination, state);
    if (!place) {
      fmt::print(stderr, "error: in resource '{}': {}\n", side.container.resource,
                 place.error().message());
      return kExitFailure;
    }
    ls::archive::TarWriter writer(tar);
    Result<void> made = tarHostPath(source.path, place->name, writer, skipped);
    if (made) {
      made = writer.finish();
    }
    if (!made) {
      fmt::print(stderr, "error: {}\n", made.error().what());
      return kExitFailure;
    }
    directory = place->directory;
  }
  const runtime::ArchivePutOptions options;
  auto put = runSync(side.session,
                     side.session.runtime->archivePut(side.container.id, directory, tar, options));
  printSkipped(skipped);
  if (!put) {
    fmt::print(stderr, "error: copying to '{}' in resource '{}': {}\n", destination,
               side.container.resource, put.error().what());
    return kExitFailure;
  }
  return kExitOk;
}

}  // namespace

int runCp(const CpOptions& options) {
  Result<CopyEndpoint> source = parseCopyEndpoint(options.source);
  Result<CopyEndpoint> destination = parseCopyEndpoint(options.destination);
  for (const auto* side : {&source, &destination}) {
    if (!*side) {
      fmt::print(stderr, "error: {}\n", side->error().message());
      return kExitUsage;
    }
  }
  const bool fromContainer = source->kind == CopyEndpoint::Kind::Container;
  const bool toContainer = destination->kind == CopyEndpoint::Kind::Container;
  if (fromContainer == toContainer) {
    fmt::print(stderr, "error: {}\n",
               fromContainer
                   ? "copying between two containers is not supported; copy to the host first"
                   : "one side must be RESOURCE:/PATH (e.g. `lightshuttle cp web:/etc/hosts .`)");
    return kExitUsage;
  }
  int exitCode = kExitOk;
  std::optional<StackContainers> targets =
      openStackContainers(options.project, options.file, exitCode);
  if (!targets) {
    return exitCode;
  }
  const std::string& resource = fromContainer ? source->resource : destination->resource;
  const runtime::ManagedContainer* c = findContainer(*targets, resource, /*mustRun=*/false);
  if (c == nullptr) {
    return kExitFailure;
  }
  Side side{*targets->stack.session, *c};
  return fromContainer ? copyOut(side, source->path, *destination)
                       : copyIn(side, *source, destination->path);
}

void registerCp(Registrar& r) {
  auto o = std::make_shared<CpOptions>();
  auto* cmd = projectVerb(
      r, "cp", "Copy files or directories between a resource's container and this machine", o,
      runCp);
  cmd->add_option("source", o->source, "RESOURCE:/PATH, a host path, or - (a tar on stdin)")
      ->required();
  cmd->add_option("destination", o->destination,
                  "RESOURCE:/PATH, a host path, or - (a tar on stdout)")
      ->required();
  cmd->footer(
      "Examples:\n"
      "  lightshuttle cp web:/etc/nginx/nginx.conf .      # a file to this directory\n"
      "  lightshuttle cp ./seed db:/docker-entrypoint-initdb.d\n"
      "  lightshuttle cp db:/var/log/postgresql/. ./logs  # a directory's contents\n"
      "  lightshuttle cp web:/srv - | tar -tv              # a tar on stdout\n"
      "Modes and modification times are kept. Into an existing directory a source keeps its\n"
      "name; otherwise it takes the destination's. A relative container path is taken from /.\n"
      "Stopped containers can be copied from and to, as with docker cp.\n"
      "Exit status: 0 copied, 1 failure (an unknown resource or one without a container, a\n"
      "missing path on either side, an engine error), 2 usage (e.g. no RESOURCE:/PATH side).\n");
}

}  // namespace ls::cli
