// DockerRuntime: pull, build and prepare of a start's image, the archive upload, and the
// ArchiveOps and ImageOps operations (operations.hpp, over engine/api_images.hpp).
#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <variant>

#include "engine/api_images.hpp"
#include "lightshuttle/engine/api.hpp"
#include "runtime/docker/build_context.hpp"
#include "runtime/docker/docker_impl.hpp"

namespace ls::runtime {
namespace {

std::chrono::system_clock::time_point fromUnixSeconds(std::int64_t s) {
  return std::chrono::system_clock::time_point(std::chrono::seconds(s));
}

std::string_view trimNewlines(std::string_view s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

/// A streamed response body (a tar) as a ByteStream.
class EngineByteStream final : public ByteStream {
 public:
  explicit EngineByteStream(std::unique_ptr<engine::ResponseStream> body)
      : body_(std::move(body)) {}

  asio::awaitable<Result<std::optional<std::string>>> next() override {
    for (;;) {
      LS_CO_ASSIGN_OR_RETURN(std::optional<std::string> piece, co_await body_->next());
      if (!piece || !piece->empty()) {
        co_return piece;
      }
    }
  }
  void close() override { body_->close(); }

 private:
  std::unique_ptr<engine::ResponseStream> body_;
};

/// A pull's progress as Status events, then one Done once the engine ended the stream cleanly.
/// An error inside the stream is returned (again on every later call), never followed by Done.
/// `first` is the stream's first message, already read by pullStream.
class EnginePullStream final : public PullStream {
 public:
  EnginePullStream(engine::Client& client, std::unique_ptr<engine::ProgressStream> stream,
                   std::optional<engine::ProgressMessage> first, engine::ImageRef ref,
                   std::string reference)
      : client_(client),
        stream_(std::move(stream)),
        first_(std::move(first)),
        ref_(std::move(ref)),
        reference_(std::move(reference)) {}

  asio::awaitable<Result<std::optional<PullEvent>>> next() override {
    if (failed_) {
      co_return *failed_;
    }
    if (done_) {
      co_return std::optional<PullEvent>();
    }
    std::optional<engine::ProgressMessage> message;
    if (first_) {
      message = std::move(*first_);
      first_.reset();
    } else {
      auto m = co_await stream_->next();
      if (!m) {
        engine::ImagesApi images(client_);
        failed_ = co_await images.pullFailure(reference_, std::move(m).error());
        co_return *failed_;
      }
      message = std::move(*m);
    }
    PullEvent ev;
    if (!message) {
      done_ = true;
      ev.kind = PullEvent::Kind::Done;
      ev.reference = reference_;
      if (digest_.empty()) {
        digest_ = co_await digestAfterTheStream();
      }
      ev.digest = digest_;
      co_return std::optional<PullEvent>(std::move(ev));
    }
    const engine::ProgressMessage& p = *message;
    if (auto digest = engine::digestFromStatus(p.status)) {
      digest_ = std::move(*digest);
    }
    ev.kind = PullEvent::Kind::Status;
    ev.progress = ImageProgress{.image = reference_,
                                .id = p.id,
                                .status = p.status,
                                .current = p.current,
                                .total = p.total};
    co_return std::optional<PullEvent>(std::move(ev));
  }
  void close() override { stream_->close(); }

 private:
  /// The digest of a stream that did not say it: a pull by digest pulled that digest; on
  /// podman (its compat pull stream never says "Digest: …", it ends with "Download complete"
  /// of the image id) podmanPulledDigest. Empty otherwise.
  asio::awaitable<std::string> digestAfterTheStream();

  engine::Client& client_;
  std::unique_ptr<engine::ProgressStream> stream_;
  /// The first message (nullopt inside: the stream ended at once), until next() yields it.
  std::optional<std::optional<engine::ProgressMessage>> first_;
  engine::ImageRef ref_;
  std::string reference_;
  std::string digest_;
  std::optional<Error> failed_;
  bool done_ = false;
};

// --- podman's image names and ids in Docker's shapes -------------------------------------------

/// Podman's names in Docker's shape (familiarImageName), each once: `localhost/x` and
/// `docker.io/x` are both `x`. With `registryOnly`, the digests of `localhost/` names are
/// dropped: they are of manifests podman wrote itself, where Docker's RepoDigests only name
/// what a registry served.
std::vector<std::string> familiarImageNames(std::vector<std::string> names, bool registryOnly) {
  std::vector<std::string> out;
  out.reserve(names.size());
  for (const std::string& n : names) {
    if (registryOnly && n.starts_with("localhost/")) {
      continue;
    }
    std::string familiar = familiarImageName(n);
    if (std::find(out.begin(), out.end(), familiar) == out.end()) {
      out.push_back(std::move(familiar));
    }
  }
  return out;
}

/// An image id as Docker writes it: podman's history ids are the bare 64 hex digits.
std::string withDigestAlgorithm(std::string id) {
  const bool bareHex =
      id.size() == 64 && id.find_first_not_of("0123456789abcdef") == std::string::npos;
  return bareHex ? "sha256:" + id : id;
}

/// The repository of "repo@sha256:…" (a RepoDigests entry).
std::string_view digestRepository(std::string_view repoDigest) {
  return repoDigest.substr(0, repoDigest.find('@'));
}

/// Whether a pull of `reference` ends without an error (the messages are read and dropped).
asio::awaitable<bool> pullSucceeds(engine::ImagesApi& images, const std::string& reference) {
  auto stream = co_await images.pullStream(reference);
  if (!stream) {
    co_return false;
  }
  for (;;) {
    auto m = co_await (*stream)->next();
    if (!m) {
      co_return false;
    }
    if (!*m) {
      co_return true;
    }
  }
}

/// The manifest digest of a pull of `ref` (by tag) that podman's compat stream did not say.
/// It is among the image's RepoDigests under the pulled repository, but podman lists there
/// every manifest digest the image has, under each of its names: an image first loaded
/// (`podman load`, a manifest podman wrote) then pulled lists both. One candidate is the
/// answer; of several, the one the registry serves decides: a pull by each digest (the image
/// is there: no layer moves), and the registry answers the others "manifest unknown". Empty
/// when that leaves not exactly one.
asio::awaitable<std::string> podmanPulledDigest(engine::Client& client,
                                                const engine::ImageRef& ref) {
  engine::ImagesApi images(client);
  auto inspected = co_await images.inspectImage(ref.repository + ":" + ref.tag);
  if (!inspected) {
    co_return std::string();
  }
  const std::string repository = familiarImageName(ref.repository);
  std::vector<std::string> candidates;
  for (const std::string& d : inspected->repoDigests) {
    if (familiarImageName(digestRepository(d)) == repository) {
      candidates.push_back(d.substr(d.find('@') + 1));
    }
  }
  if (candidates.size() <= 1) {
    co_return candidates.empty() ? std::string() : candidates.front();
  }
  std::vector<std::string> served;
  for (const std::string& digest : candidates) {
    if (co_await pullSucceeds(images, ref.repository + "@" + digest)) {
      served.push_back(digest);
    }
  }
  co_return served.size() == 1 ? served.front() : std::string();
}

std::string containerPath(const ContainerId& id, const std::string& path) {
  return "'" + path + "' of container '" + id.value + "'";
}

asio::awaitable<std::string> EnginePullStream::digestAfterTheStream() {
  if (ref_.tag.find(':') != std::string::npos) {
    co_return ref_.tag;  // pulled by digest
  }
  if (client_.pingInfo() && client_.pingInfo()->podman) {
    co_return co_await podmanPulledDigest(client_, ref_);
  }
  co_return std::string();
}

}  // namespace

// Podman names local images (loaded, built, committed) `localhost/<name>` and names tagged
// through the compat API `docker.io/<name>` (`docker.io/library/<name>` for one path
// component), where Docker says `<name>`. Podman resolves the short name to either, so what we
// report still finds the image.
std::string familiarImageName(std::string_view name) {
  constexpr std::string_view kLocal = "localhost/";
  constexpr std::string_view kHub = "docker.io/";
  constexpr std::string_view kLibrary = "library/";
  if (name.starts_with(kLocal) && name.size() > kLocal.size()) {
    return std::string(name.substr(kLocal.size()));
  }
  if (name.starts_with(kHub) && name.size() > kHub.size()) {
    name.remove_prefix(kHub.size());
    const std::string_view repo = name.substr(0, name.find_first_of(":@"));
    if (name.starts_with(kLibrary) && repo.find('/', kLibrary.size()) == std::string_view::npos) {
      name.remove_prefix(kLibrary.size());
    }
  }
  return std::string(name);
}

// --- archives, export, commit ----------------------------------------------------------------

asio::awaitable<Result<PathStat>> DockerRuntime::archiveHead(const ContainerId& id,
                                                             const std::string& path) {
  engine::ImagesApi images(impl_->client);
  LS_CO_ASSIGN_OR_RETURN(std::string header, co_await images.archiveHead(id.value, path));
  auto stat = decodePathStat(header);
  if (!stat) {
    co_return std::move(stat).error().context("stat " + containerPath(id, path));
  }
  co_return std::move(stat).value();
}

asio::awaitable<Result<std::unique_ptr<ByteStream>>> DockerRuntime::archiveGet(
    const ContainerId& id, const std::string& path) {
  // NOTE: the stat first, so that a missing path is NotFound before any byte is streamed.
  LS_CO_TRY(co_await archiveHead(id, path));
  engine::ImagesApi images(impl_->client);
  LS_CO_ASSIGN_OR_RETURN(auto body, co_await images.archiveGet(id.value, path));
  co_return std::unique_ptr<ByteStream>(std::make_unique<EngineByteStream>(std::move(body)));
}

asio::awaitable<Result<void>> DockerRuntime::archivePut(const ContainerId& id,
                                                        const std::string& path,
                                                        const std::string& tar,
                                                        const ArchivePutOptions& options) {
  // Engines before API 1.42 answer 500 for an extraction point that is not a directory: the
  // stat makes it InvalidArgument everywhere (a symlink is left to the engine, which follows it).
  // The root is always a directory: no stat (one engine round trip less per watch-mode sync).
  if (path != "/") {
    LS_CO_ASSIGN_OR_RETURN(PathStat stat, co_await archiveHead(id, path));
    if (!stat.isDirectory() && !stat.isSymlink()) {
      co_return Error(Errc::InvalidArgument,
                      "copy into " + containerPath(id, path) + ": not a directory");
    }
  }
  engine::ImagesApi images(impl_->client);
  const engine::ArchivePutParams params{.noOverwriteDirNonDir = options.noOverwriteDirNonDir,
                                        .copyUidGid = options.copyUidGid};
  std::string body = tar;
  co_return co_await images.archivePut(id.value, path, std::move(body), params);
}

asio::awaitable<Result<std::unique_ptr<ByteStream>>> DockerRuntime::exportContainer(
    const ContainerId& id) {
  engine::ImagesApi images(impl_->client);
  LS_CO_ASSIGN_OR_RETURN(auto body, co_await images.exportContainer(id.value));
  co_return std::unique_ptr<ByteStream>(std::make_unique<EngineByteStream>(std::move(body)));
}

asio::awaitable<Result<std::string>> DockerRuntime::commit(const ContainerId& id,
                                                           const CommitOptions& options) {
  engine::ImagesApi images(impl_->client);
  engine::CommitParams params;
  params.container = id.value;
  params.repo = options.repo;
  params.tag = options.tag;
  params.comment = options.comment;
  params.author = options.author;
  params.pause = options.pause;
  params.changes = options.changes;
  LS_CO_TRY(co_await impl_->knowEngine());
  // Podman 4.3 refuses a commit without a body (500 "Decode(): EOF"), and answers the new
  // image's id as bare hex where Docker writes "sha256:<hex>".
  params.emptyConfigBody = impl_->podman();
  LS_CO_ASSIGN_OR_RETURN(std::string imageId, co_await images.commit(params));
  co_return withDigestAlgorithm(std::move(imageId));
}

// --- images ----------------------------------------------------------------------------------

asio::awaitable<Result<std::vector<ImageSummary>>> DockerRuntime::listImages() {
  engine::ImagesApi images(impl_->client);
  LS_CO_ASSIGN_OR_RETURN(std::vector<engine::ImageListItem> items, co_await images.listImages());
  std::vector<ImageSummary> out;
  out.reserve(items.size());
  for (auto& i : items) {
    ImageSummary s;
    s.id = std::move(i.id);
    s.repoTags = std::move(i.repoTags);
    s.repoDigests = std::move(i.repoDigests);
    if (impl_->podman()) {
      s.repoTags = familiarImageNames(std::move(s.repoTags), false);
      s.repoDigests = familiarImageNames(std::move(s.repoDigests), true);
    }
    s.sizeBytes = i.size;
    s.created = fromUnixSeconds(i.created);
    s.labels = std::move(i.labels);
    out.push_back(std::move(s));
  }
  co_return out;
}

asio::awaitable<Result<ImageDetails>> DockerRuntime::inspectImage(const std::string& reference) {
  engine::ImagesApi images(impl_->client);
  LS_CO_ASSIGN_OR_RETURN(engine::ImageInspect i, co_await images.inspectImage(reference));
  ImageDetails d;
  d.id = std::move(i.id);
  d.repoTags = std::move(i.repoTags);
  d.repoDigests = std::move(i.repoDigests);
  if (impl_->podman()) {
    d.repoTags = familiarImageNames(std::move(d.repoTags), false);
    d.repoDigests = familiarImageNames(std::move(d.repoDigests), true);
  }
  d.architecture = std::move(i.architecture);
  d.os = std::move(i.os);
  d.sizeBytes = i.size;
  d.created = std::move(i.created);
  d.author = std::move(i.author);
  d.comment = std::move(i.comment);
  d.env = std::move(i.env);
  d.cmd = std::move(i.cmd);
  d.entrypoint = std::move(i.entrypoint);
  d.workingDir = std::move(i.workingDir);
  d.user = std::move(i.user);
  d.labels = std::move(i.labels);
  d.layers = std::move(i.layers);
  co_return d;
}

asio::awaitable<Result<std::vector<ImageHistoryEntry>>> DockerRuntime::imageHistory(
    const std::string& reference) {
  engine::ImagesApi images(impl_->client);
  LS_CO_ASSIGN_OR_RETURN(std::vector<engine::ImageHistoryItem> items,
                         co_await images.imageHistory(reference));
  std::vector<ImageHistoryEntry> out;
  out.reserve(items.size());
  for (auto& i : items) {
    ImageHistoryEntry e;
    e.id = withDigestAlgorithm(std::move(i.id));
    e.created = fromUnixSeconds(i.created);
    e.createdBy = std::move(i.createdBy);
    e.tags = std::move(i.tags);
    e.sizeBytes = i.size;
    e.comment = std::move(i.comment);
    out.push_back(std::move(e));
  }
  co_return out;
}

asio::awaitable<Result<void>> DockerRuntime::tagImage(const std::string& source,
                                                      const std::string& target) {
  if (source.empty()) {
    co_return Error(Errc::InvalidArgument, "tag image: empty source image");
  }
  auto split = engine::splitTagTarget(target);
  if (!split) {
    co_return std::move(split).error().context("tag image '" + source + "'");
  }
  engine::ImagesApi images(impl_->client);
  const engine::TagTarget to = std::move(split).value();
  co_return co_await images.tagImage(source, to);
}

asio::awaitable<Result<std::vector<std::string>>> DockerRuntime::removeImage(
    const std::string& reference, bool force) {
  engine::ImagesApi images(impl_->client);
  LS_CO_ASSIGN_OR_RETURN(std::vector<engine::ImageDeleteItem> items,
                         co_await images.removeImage(reference, force));
  std::vector<std::string> out;
  out.reserve(items.size());
  for (auto& i : items) {
    if (!i.untagged.empty()) {
      out.push_back(impl_->podman() ? familiarImageName(i.untagged) : std::move(i.untagged));
    } else {
      out.push_back(std::move(i.deleted));
    }
  }
  co_return out;
}

asio::awaitable<Result<PruneReport>> DockerRuntime::pruneImages() {
  engine::ImagesApi images(impl_->client);
  LS_CO_ASSIGN_OR_RETURN(engine::ImagePruneResult r, co_await images.pruneImages());
  PruneReport out;
  out.spaceReclaimed = r.spaceReclaimed;
  for (auto& i : r.items) {
    out.deleted.push_back(i.untagged.empty() ? std::move(i.deleted) : std::move(i.untagged));
  }
  co_return out;
}

asio::awaitable<Result<std::unique_ptr<ByteStream>>> DockerRuntime::saveImages(
    const std::vector<std::string>& references) {
  engine::ImagesApi images(impl_->client);
  auto body = co_await images.saveImages(references);
  if (!body && transientInspectFailure(body.error())) {
    // Podman 4.3 answers 500 for a missing image where Docker answers 404: the image that
    // the inspect does not find is the NotFound.
    for (const std::string& r : references) {
      auto inspected = co_await impl_->api.inspectImage(r);
      if (!inspected && inspected.error().code() == Errc::NotFound) {
        const auto& engineSaid = *body.error().engine();
        co_return Error(Errc::NotFound, "save images: no such image " + q(r))
            .withEngine(engineSaid.status, engineSaid.message);
      }
    }
  }
  if (!body) {
    co_return std::move(body).error();
  }
  co_return std::unique_ptr<ByteStream>(std::make_unique<EngineByteStream>(std::move(*body)));
}

asio::awaitable<Result<std::vector<std::string>>> DockerRuntime::loadImages(
    const std::string& tar, const ProgressCallback& onProgress) {
  engine::ImagesApi images(impl_->client);
  const std::function<void(const engine::ProgressMessage&)> progress =
      [&](const engine::ProgressMessage& m) {
        if (!onProgress) {
          return;
        }
        std::string status = m.status.empty() ? std::string(trimNewlines(m.stream)) : m.status;
        if (status.empty()) {
          return;
        }
        constexpr std::string_view kLoaded = "Loaded image: ";
        if (impl_->podman() && status.starts_with(kLoaded)) {
          status = std::string(kLoaded) + familiarImageName(status.substr(kLoaded.size()));
        }
        onProgress(ImageProgress{
            .id = m.id, .status = std::move(status), .current = m.current, .total = m.total});
      };
  std::string body = tar;
  LS_CO_ASSIGN_OR_RETURN(std::vector<std::string> loaded,
                         co_await images.loadImages(std::move(body), progress));
  co_return impl_->podman() ? familiarImageNames(std::move(loaded), false) : loaded;
}

asio::awaitable<Result<std::string>> DockerRuntime::importImage(const std::string& rootfsTar,
                                                                const std::string& reference) {
  std::optional<engine::TagTarget> target;
  if (!reference.empty()) {
    auto split = engine::splitTagTarget(reference);
    if (!split) {
      co_return std::move(split).error().context("import image");
    }
    target = std::move(split).value();
    LS_CO_TRY(co_await impl_->knowEngine());
    if (impl_->podman()) {
      // Podman 4.3's compat import ignores `tag` and names the image `<repo>:latest`; it reads
      // a tag given inside `repo`, as Docker does too, so the caller's reference finds it.
      target = engine::TagTarget{.repo = target->repo + ":" + target->tag, .tag = {}};
    }
  }
  engine::ImagesApi images(impl_->client);
  std::string body = rootfsTar;
  co_return co_await images.importImage(std::move(body), target);
}

asio::awaitable<Result<std::unique_ptr<PullStream>>> DockerRuntime::pullStream(
    const std::string& reference) {
  if (reference.empty()) {
    co_return Error(Errc::InvalidArgument, "pull image: empty reference");
  }
  engine::ImagesApi images(impl_->client);
  LS_CO_ASSIGN_OR_RETURN(auto stream, co_await images.pullStream(reference));
  // The first message is read here, so that a pull the registry refuses fails here on every
  // engine: Docker answers a missing tag with 404 before the stream, podman 4.3 with an error
  // as the stream's first message (see ImagesApi::pullFailure).
  auto first = co_await stream->next();
  if (!first) {
    co_return co_await images.pullFailure(reference, std::move(first).error());
  }
  engine::ImageRef ref = engine::splitImageRef(reference);
  const bool byDigest = ref.tag.find(':') != std::string::npos;
  std::string pulled = ref.repository + (byDigest ? "@" : ":") + ref.tag;
  co_return std::unique_ptr<PullStream>(std::make_unique<EnginePullStream>(
      impl_->client, std::move(stream), std::move(*first), std::move(ref), std::move(pulled)));
}

asio::awaitable<Result<std::string>> DockerRuntime::pushImage(const std::string& reference,
                                                              const ProgressCallback& onProgress) {
  if (reference.empty()) {
    co_return Error(Errc::InvalidArgument, "push image: empty reference");
  }
  engine::ImagesApi images(impl_->client);
  const std::function<void(const engine::ProgressMessage&)> forward =
      [&](const engine::ProgressMessage& m) {
        if (onProgress) {
          onProgress(ImageProgress{.image = reference,
                                   .id = m.id,
                                   .status = m.status,
                                   .current = m.current,
                                   .total = m.total});
        }
      };
  co_return co_await images.pushImage(reference, forward);
}

/// Tars a build context; runs on the blocking pool (co_spawned there), never on the loop.
asio::awaitable<Result<std::string>> tarContext(std::string context, std::string dockerfile) {
  co_return detail::makeBuildContextTar(context, dockerfile);
}

asio::awaitable<Result<void>> DockerRuntime::pullImage(const std::string& reference,
                                                       PullPolicy policy,
                                                       const ProgressCallback& onProgress) {
  auto& d = *impl_;
  if (policy != PullPolicy::Always) {
    auto local = co_await d.api.inspectImage(reference);
    if (local) {
      co_return ok();
    }
    if (local.error().code() != Errc::NotFound) {
      co_return std::move(local).error();
    }
    if (policy == PullPolicy::Never) {
      co_return Error(Errc::NotFound, "image " + q(reference) +
                                          " is not present locally and the pull policy is 'never'; "
                                          "build or pull it first");
    }
  }
  auto progress = [&](const engine::PullProgress& p) {
    if (onProgress) {
      onProgress(ImageProgress{.image = reference,
                               .id = p.id,
                               .status = p.status,
                               .current = p.current,
                               .total = p.total});
    }
  };
  co_return co_await d.api.pullImage(reference, progress);
}

asio::awaitable<Result<std::string>> DockerRuntime::buildImage(const BuildImage& build,
                                                               const ProgressCallback& onProgress) {
  auto& d = *impl_;
  const std::string what = "build image " + q(build.tag);
  auto dockerfile = detail::resolveDockerfile(
      build.context, build.dockerfile.empty() ? "Dockerfile" : build.dockerfile);
  if (!dockerfile) {
    co_return std::move(dockerfile).error().context(what);
  }
  auto tarring = tarContext(build.context, *dockerfile);
  auto tar = co_await asio::co_spawn(d.blocking, std::move(tarring), asio::use_awaitable);
  if (!tar) {
    co_return std::move(tar).error().context(what);
  }
  engine::BuildOptions o;
  o.tag = build.tag;
  o.dockerfile = *dockerfile;
  o.target = build.target;
  o.buildArgs = build.buildArgs;
  o.labels = build.labels;
  auto progress = [&](const engine::BuildProgress& p) {
    if (onProgress && !p.stream.empty()) {
      onProgress(ImageProgress{.image = build.tag, .status = p.stream});
    }
  };
  co_return co_await d.api.buildImage(std::move(tar).value(), o, progress);
}

asio::awaitable<Result<PreparedImage>> DockerRuntime::preparePull(
    const PullImage& pull, const ProgressCallback& onProgress) {
  auto& d = *impl_;
  PreparedImage out;
  out.reference = pull.reference;
  if (pull.policy != PullPolicy::Always) {
    auto local = co_await d.api.inspectImage(pull.reference);
    if (local) {
      out.id = local->id;
      co_return out;
    }
    if (local.error().code() != Errc::NotFound) {
      co_return std::move(local).error();
    }
    if (pull.policy == PullPolicy::Never) {
      co_return Error(Errc::NotFound, "image " + q(pull.reference) +
                                          " is not present locally and the pull policy is 'never'; "
                                          "build or pull it first");
    }
  }
  auto progress = [&](const engine::PullProgress& p) {
    if (onProgress) {
      onProgress(ImageProgress{.image = pull.reference,
                               .id = p.id,
                               .status = p.status,
                               .current = p.current,
                               .total = p.total});
    }
  };
  LS_CO_TRY(co_await d.api.pullImage(pull.reference, progress));
  out.pulled = true;
  LS_CO_ASSIGN_OR_RETURN(engine::ImageInfo info, co_await d.api.inspectImage(pull.reference));
  out.id = std::move(info.id);
  co_return out;
}

}  // namespace ls::runtime
