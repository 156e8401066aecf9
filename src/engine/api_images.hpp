// Engine API calls of the archive and image operations of the wider runtime surface: `docker cp`
// (archive HEAD/GET/PUT), container export and commit, and the images endpoints (list, inspect,
// history, tag, remove, prune, save, load, import, pull as a stream). Private to the library:
// DockerRuntime (src/runtime/docker/docker_images.cpp) maps these values to operations.hpp.
//
//   ls::engine::ImagesApi images(client);
//   auto ids = co_await images.removeImage("lightshuttle-test/it-1:x", /*force=*/false);
//
// Errors are classified by status once (engine/errors.hpp); the exceptions are named per call.
// Raw JSON stays in api_images.cpp: the decode* functions take the body text.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lightshuttle/core/result.hpp"
#include "lightshuttle/engine/client.hpp"

namespace ls::engine {

/// PUT /containers/{id}/archive flags.
struct ArchivePutParams {
  bool noOverwriteDirNonDir = false;
  bool copyUidGid = false;
};

/// POST /commit parameters. Empty strings are not sent.
struct CommitParams {
  std::string container;  ///< name or id
  std::string repo;
  std::string tag;  ///< empty with a repo: "latest"
  std::string comment;
  std::string author;
  bool pause = true;                 ///< Docker's default: freeze the container while committing
  std::vector<std::string> changes;  ///< one `changes=` per Dockerfile instruction
  /// Sends `{}` (no config of its own) as the body: podman 4.3 decodes the body as JSON and
  /// answers an empty one with 500 "Decode(): EOF"; Docker takes either.
  bool emptyConfigBody = false;
};

/// One entry of GET /images/json.
struct ImageListItem {
  std::string id;
  std::string parentId;
  std::vector<std::string> repoTags;     ///< without "<none>:<none>"
  std::vector<std::string> repoDigests;  ///< without "<none>@<none>"
  std::int64_t created = 0;              ///< unix seconds
  std::int64_t size = 0;
  std::map<std::string, std::string> labels;
};

/// GET /images/{name}/json (the fields the runtime reports).
struct ImageInspect {
  std::string id;
  std::vector<std::string> repoTags;
  std::vector<std::string> repoDigests;
  std::string parent;
  std::string comment;
  std::string created;  ///< RFC 3339 as sent
  std::string author;
  std::string architecture;
  std::string os;
  std::int64_t size = 0;
  std::vector<std::string> env;
  std::vector<std::string> cmd;
  std::vector<std::string> entrypoint;
  std::string workingDir;
  std::string user;
  std::map<std::string, std::string> labels;
  std::vector<std::string> layers;  ///< RootFS.Layers
};

/// One entry of GET /images/{name}/history, newest first as the engine sends them.
struct ImageHistoryItem {
  std::string id;            ///< "<missing>" for layers built elsewhere
  std::int64_t created = 0;  ///< unix seconds
  std::string createdBy;
  std::vector<std::string> tags;
  std::int64_t size = 0;
  std::string comment;
};

/// One entry of DELETE /images/{name} and of prune: exactly one field is set.
struct ImageDeleteItem {
  std::string untagged;
  std::string deleted;
  friend bool operator==(const ImageDeleteItem&, const ImageDeleteItem&) = default;
};

struct ImagePruneResult {
  std::vector<ImageDeleteItem> items;
  std::uint64_t spaceReclaimed = 0;
};

/// `repo` and `tag` of POST /images/{name}/tag and of import.
struct TagTarget {
  std::string repo;
  std::string tag;
  friend bool operator==(const TagTarget&, const TagTarget&) = default;
};

/// Splits "repo[:tag]" at the last ':' only when it comes after the last '/' (so a registry
/// port stays in the repo: "host:5000/app" is repo "host:5000/app", tag "latest"). No tag:
/// "latest". InvalidArgument for an empty target, an empty repo or tag, and digest targets
/// ("repo@sha256:..." cannot be a tag).
Result<TagTarget> splitTagTarget(std::string_view target);

/// One message of a progress stream (pull, load, import).
struct ProgressMessage {
  std::string id;      ///< layer id, or the tag on summary lines
  std::string status;  ///< "Downloading", "Digest: sha256:...", an image id (import), ...
  std::string stream;  ///< output text ("Loaded image: busybox:latest\n")
  std::int64_t current = 0;
  std::int64_t total = 0;
};

/// "Digest: sha256:..." (a pull's status line) -> "sha256:..."; nullopt for other lines.
std::optional<std::string> digestFromStatus(std::string_view status);
/// "dev: digest: sha256:... size: 527" (a push's last status line) -> "sha256:..."; nullopt for
/// other lines.
std::optional<std::string> digestFromPushStatus(std::string_view status);
/// "Loaded image: x:tag" -> "x:tag", "Loaded image ID: sha256:..." -> "sha256:..." (a line of
/// a load's output, trailing newline allowed); nullopt for other lines.
std::optional<std::string> loadedImageFromLine(std::string_view line);

// Decoders of the answers' bodies. InvalidArgument naming the field on a wrong type or when
// the body is not JSON; missing fields are empty.
Result<std::vector<ImageListItem>> decodeImageList(std::string_view body);
Result<ImageInspect> decodeImageInspect(std::string_view body);
Result<std::vector<ImageHistoryItem>> decodeImageHistory(std::string_view body);
Result<std::vector<ImageDeleteItem>> decodeImageDelete(std::string_view body);
Result<ImagePruneResult> decodeImagePrune(std::string_view body);
/// The "Id" of a commit answer.
Result<std::string> decodeCommitId(std::string_view body);
/// The "Tag" of every entry of an image search with listTags (podman's compat search: one
/// entry per tag the registry lists for the repository).
Result<std::vector<std::string>> decodeSearchTags(std::string_view body);

/// A JSON progress stream (pull, load, import): messages in order until the end. An error
/// inside the stream (`errorDetail`) is returned as an Error, classified by its code.
class ProgressStream {
 public:
  /// `what` prefixes errors ("pull image 'x'").
  ProgressStream(std::unique_ptr<ResponseStream> body, std::string what);
  ~ProgressStream();
  ProgressStream(const ProgressStream&) = delete;
  ProgressStream& operator=(const ProgressStream&) = delete;

  /// The next message, or nullopt at the clean end of the stream.
  boost::asio::awaitable<Result<std::optional<ProgressMessage>>> next();
  void close();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// The calls. Container and image names go into the request path: names with characters no
/// engine accepts there (whitespace, '?', '#', '%') are InvalidArgument before any I/O.
class ImagesApi {
 public:
  explicit ImagesApi(Client& client) : client_(client) {}

  /// HEAD /containers/{id}/archive?path=: the X-Docker-Container-Path-Stat value as sent
  /// (decode with runtime::decodePathStat). NotFound for a missing container or path.
  boost::asio::awaitable<Result<std::string>> archiveHead(const std::string& container,
                                                          const std::string& path);
  /// GET /containers/{id}/archive?path=: the tar, streamed.
  boost::asio::awaitable<Result<std::unique_ptr<ResponseStream>>> archiveGet(
      const std::string& container, const std::string& path);
  /// PUT /containers/{id}/archive?path=&noOverwriteDirNonDir=&copyUIDGID= with the tar.
  /// NotFound (container or path), InvalidArgument for 400 and 403 (not a directory,
  /// read-only filesystem) with the engine's message.
  boost::asio::awaitable<Result<void>> archivePut(const std::string& container,
                                                  const std::string& path, std::string tar,
                                                  const ArchivePutParams& params);
  /// GET /containers/{id}/export: the filesystem tar, streamed.
  boost::asio::awaitable<Result<std::unique_ptr<ResponseStream>>> exportContainer(
      const std::string& container);
  /// POST /commit: the new image's id.
  boost::asio::awaitable<Result<std::string>> commit(const CommitParams& params);

  /// GET /images/json (top-level images).
  boost::asio::awaitable<Result<std::vector<ImageListItem>>> listImages();
  boost::asio::awaitable<Result<ImageInspect>> inspectImage(const std::string& reference);
  boost::asio::awaitable<Result<std::vector<ImageHistoryItem>>> imageHistory(
      const std::string& reference);
  /// POST /images/{source}/tag?repo=&tag=. NotFound when the source is missing.
  boost::asio::awaitable<Result<void>> tagImage(const std::string& source, const TagTarget& target);
  /// DELETE /images/{name}?force=: what was untagged and deleted, in the engine's order.
  /// NotFound when missing; Conflict when in use (without force) or referenced by several
  /// repositories.
  boost::asio::awaitable<Result<std::vector<ImageDeleteItem>>> removeImage(
      const std::string& reference, bool force);
  /// POST /images/prune?filters={"dangling":["true"]}.
  boost::asio::awaitable<Result<ImagePruneResult>> pruneImages();
  /// GET /images/get?names=a&names=b: a `docker save` tar, streamed. InvalidArgument for an
  /// empty list.
  boost::asio::awaitable<Result<std::unique_ptr<ResponseStream>>> saveImages(
      const std::vector<std::string>& references);
  /// POST /images/load?quiet=0 with the tar: the references (or "sha256:" ids) it loaded, from
  /// the "Loaded image: ..." lines. Every message goes to `onProgress` (may be empty).
  boost::asio::awaitable<Result<std::vector<std::string>>> loadImages(
      std::string tar, const std::function<void(const ProgressMessage&)>& onProgress);
  /// POST /images/create?fromSrc=-[&repo=&tag=] with a root filesystem tar: the new image id.
  /// An empty `tag` is left out of the query (the repo may carry it: "repo:tag").
  boost::asio::awaitable<Result<std::string>> importImage(std::string rootfsTar,
                                                          const std::optional<TagTarget>& target);
  /// POST /images/create?fromImage=&tag=: the progress, streamed. A 404 before the stream
  /// (unknown repository or tag) is NotFound.
  boost::asio::awaitable<Result<std::unique_ptr<ProgressStream>>> pullStream(
      const std::string& reference);
  /// What a failed pull of `reference` was. Podman 4.3 answers a tag the registry does not
  /// have with 200 and an errorDetail that carries no status (containers/podman#15828; 4.6
  /// answers with a status, #18954), where Docker answers 404 before the stream. For that
  /// answer (podman, detected by its ping; an error inside the 200 stream; a pull by tag) the
  /// engine is asked for the registry's tags of the repository (GET /images/search with
  /// listTags: the registry's tags/list): a complete listing without the tag makes the failure
  /// NotFound, the engine's message kept. Every other failure, or any other answer to the
  /// listing, is returned as it is.
  boost::asio::awaitable<Error> pullFailure(const std::string& reference, Error failure);
  /// POST /images/{name}/push?tag= (with an empty X-Registry-Auth: the loopback and insecure
  /// registries need none): every message goes to `onProgress` (may be empty); returns the
  /// manifest digest the registry answered ("sha256:..."). An errorDetail in the stream is an
  /// error (FailedPrecondition, reason "push_failed"), as is a stream that names no digest.
  boost::asio::awaitable<Result<std::string>> pushImage(
      const std::string& reference, const std::function<void(const ProgressMessage&)>& onProgress);

 private:
  Client& client_;
};

}  // namespace ls::engine
