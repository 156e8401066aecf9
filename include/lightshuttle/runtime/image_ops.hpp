// File: lightshuttle/runtime/image_ops.hpp
//
// `ImageOps`: the engine's images beyond what a start needs (`Runtime` has pull, build and
// prepare): list, inspect, history, tag, remove, prune, save, load, import, streamed pull, push,
// and commit (an image made of a container). `DockerRuntime` and `MemoryRuntime` implement it
// (operations.hpp has the value types).
//
//   ls::runtime::ImageOps& images = rt;
//   LS_CO_TRY(co_await images.tagImage(source, target));   // "127.0.0.1:5000/app:1"
//   LS_CO_ASSIGN_OR_RETURN(std::string digest, co_await images.pushImage(target, progress));
//
// Threading, cancellation, lifetimes and the errors common to every call: as `Runtime`.
// Every operation is optional: the defaults return Unsupported naming the operation, never a
// silent success. Common errors: NotFound (no such image or container), Conflict (an image in
// use), InvalidArgument (a malformed reference, named).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <memory>
#include <string>
#include <vector>

#include "lightshuttle/core/result.hpp"
#include "lightshuttle/runtime/operations.hpp"
#include "lightshuttle/runtime/runtime.hpp"
#include "lightshuttle/runtime/types.hpp"

namespace ls::runtime {

class ImageOps {
 public:
  virtual ~ImageOps() = default;

  virtual boost::asio::awaitable<Result<std::vector<ImageSummary>>> listImages();
  virtual boost::asio::awaitable<Result<ImageDetails>> inspectImage(const std::string& reference);
  virtual boost::asio::awaitable<Result<std::vector<ImageHistoryEntry>>> imageHistory(
      const std::string& reference);
  /// Tags `source` as `target` ("repo[:tag]", "host:5000/repo:tag"; no tag = latest).
  virtual boost::asio::awaitable<Result<void>> tagImage(const std::string& source,
                                                        const std::string& target);
  /// Removes an image (or untags it while other tags remain); `force` also when containers use
  /// it. Returns what was untagged and deleted. Conflict when in use without force.
  virtual boost::asio::awaitable<Result<std::vector<std::string>>> removeImage(
      const std::string& reference, bool force);
  /// Removes dangling images.
  virtual boost::asio::awaitable<Result<PruneReport>> pruneImages();
  /// `docker save` of the references, as a tar stream.
  virtual boost::asio::awaitable<Result<std::unique_ptr<ByteStream>>> saveImages(
      const std::vector<std::string>& references);
  /// `docker load` of a tar made by saveImages; returns the loaded references (or ids).
  virtual boost::asio::awaitable<Result<std::vector<std::string>>> loadImages(
      const std::string& tar, const ProgressCallback& onProgress);
  /// Makes an image from a root filesystem tar (`docker import`), tagged `reference` when not
  /// empty; returns its id.
  virtual boost::asio::awaitable<Result<std::string>> importImage(const std::string& rootfsTar,
                                                                  const std::string& reference);
  /// Pulls `reference` (always) as a stream of progress events ending in one Done.
  virtual boost::asio::awaitable<Result<std::unique_ptr<PullStream>>> pullStream(
      const std::string& reference);
  /// Pushes `reference` (`registry[:port]/repo:tag`, tagged beforehand) to its registry, with
  /// progress; returns the manifest digest the registry stored ("sha256:..."). NotFound when
  /// the image is not present, FailedPrecondition (reason "push_failed") when the registry
  /// refuses it. Optional: Unsupported in backends without a registry.
  virtual boost::asio::awaitable<Result<std::string>> pushImage(const std::string& reference,
                                                                const ProgressCallback& onProgress);
  /// Makes an image of the container (`id`: a name or an id); returns its id.
  virtual boost::asio::awaitable<Result<std::string>> commit(const ContainerId& id,
                                                             const CommitOptions& options);
};

}  // namespace ls::runtime
