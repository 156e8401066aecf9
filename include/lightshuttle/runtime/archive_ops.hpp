// File: lightshuttle/runtime/archive_ops.hpp
//
// `ArchiveOps`: a container's files as tar streams, beside `Runtime` (runtime.hpp), which keeps
// the upload (`archivePut`) that a watch sync needs. `DockerRuntime` and `MemoryRuntime`
// implement it (operations.hpp has the value types).
//
//   ls::runtime::ArchiveOps& archives = rt;
//   LS_CO_ASSIGN_OR_RETURN(ls::runtime::PathStat st, co_await archives.archiveHead(id, path));
//   LS_CO_ASSIGN_OR_RETURN(auto tar, co_await archives.archiveGet(id, path));  // a ByteStream
//
// Threading, cancellation, lifetimes and the errors common to every call: as `Runtime`.
// Every operation is optional: the defaults return Unsupported naming the operation, never a
// silent success. `id` is a name or an id; NotFound for a missing container.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <memory>
#include <string>

#include "lightshuttle/core/result.hpp"
#include "lightshuttle/runtime/operations.hpp"
#include "lightshuttle/runtime/runtime.hpp"

namespace ls::runtime {

class ArchiveOps {
 public:
  virtual ~ArchiveOps() = default;

  /// Stat of `path` in the container. NotFound for a missing container or path.
  virtual boost::asio::awaitable<Result<PathStat>> archiveHead(const ContainerId& id,
                                                               const std::string& path);
  /// A tar of `path` (checked first, so a missing path fails before any byte).
  virtual boost::asio::awaitable<Result<std::unique_ptr<ByteStream>>> archiveGet(
      const ContainerId& id, const std::string& path);
  /// The container's whole filesystem as a tar.
  virtual boost::asio::awaitable<Result<std::unique_ptr<ByteStream>>> exportContainer(
      const ContainerId& id);
};

}  // namespace ls::runtime
