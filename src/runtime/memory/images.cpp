// MemoryRuntime: local and registry images (pull, build, prepare, list, tag, remove).
#include <algorithm>
#include <variant>

#include "lightshuttle/core/sha256.hpp"
#include "runtime/memory/memory_impl.hpp"

namespace ls::runtime {

std::string MemoryRuntime::Impl::defaultImageId(const std::string& ref) {
  return "sha256:" + sha256Hex("memory-image/" + ref);
}

void MemoryRuntime::Impl::tagLocal(const std::string& ref, const std::string& id) {
  images.emplace(id, clock.system());
  tags[ref] = id;
}

std::vector<std::string> MemoryRuntime::Impl::tagsOf(const std::string& id) const {
  std::vector<std::string> out;
  for (const auto& [ref, target] : tags) {
    if (target == id) {
      out.push_back(ref);
    }
  }
  return out;
}

std::vector<const MemoryRuntime::Impl::Container*> MemoryRuntime::Impl::usersOf(
    const std::string& id) const {
  std::vector<const Container*> out;
  for (const auto& [cid, c] : containers) {
    if (c.imageId == id) {
      out.push_back(&c);
    }
  }
  std::stable_sort(out.begin(), out.end(), [](const Container* a, const Container* b) {
    return (a->phase != Phase::Stopped) > (b->phase != Phase::Stopped);
  });
  return out;
}

std::optional<std::string> MemoryRuntime::Impl::resolveImage(const std::string& reference) const {
  if (auto it = tags.find(normalizeRef(reference)); it != tags.end()) {
    return it->second;
  }
  std::string hex = reference;
  if (hex.rfind("sha256:", 0) == 0) {
    hex.erase(0, 7);
  }
  if (hex.empty() || hex.find_first_not_of("0123456789abcdef") != std::string::npos) {
    return std::nullopt;
  }
  std::optional<std::string> found;
  for (const auto& [id, created] : images) {
    if (id.compare(7, hex.size(), hex) == 0) {
      if (found) {
        return std::nullopt;  // ambiguous
      }
      found = id;
    }
  }
  return found;
}

void MemoryRuntime::Impl::untagLocal(const std::string& ref) {
  auto it = tags.find(ref);
  if (it == tags.end()) {
    return;
  }
  const std::string id = it->second;
  tags.erase(it);
  if (tagsOf(id).empty() && usersOf(id).empty()) {
    images.erase(id);
  }
}

asio::awaitable<Result<void>> MemoryRuntime::Impl::pullStep(const std::string& reference,
                                                            PullPolicy policy,
                                                            const ProgressCallback& onProgress,
                                                            bool explicitCall) {
  const std::string ref = normalizeRef(reference);
  const bool needsRegistry =
      policy == PullPolicy::Always || (policy == PullPolicy::Missing && !tags.contains(ref));
  if (explicitCall || needsRegistry) {
    Result<void> entered = co_await enter(Op::Pull, reference);
    if (!entered) {
      co_return std::move(entered).error();
    }
  }
  const bool local = tags.contains(ref);
  if (policy == PullPolicy::Never || (policy == PullPolicy::Missing && local)) {
    if (!local) {
      co_return Error(Errc::NotFound, "image " + quote(reference) +
                                          " is not present locally and the pull policy is never");
    }
    co_return ok();
  }
  if (!registryImages.contains(ref)) {
    co_return Error(Errc::NotFound, "image " + quote(reference) + " not found in the registry");
  }
  if (onProgress) {
    ImageProgress pulling;
    pulling.image = reference;
    pulling.status = "Pulling from " + reference;
    onProgress(pulling);
    ImageProgress done;
    done.image = reference;
    done.id = sha256Hex("memory-layer/" + ref).substr(0, 12);
    done.status = "Pull complete";
    done.current = 1;
    done.total = 1;
    onProgress(done);
  }
  tagLocal(ref, defaultImageId(ref));
  co_return ok();
}

asio::awaitable<Result<std::string>> MemoryRuntime::Impl::buildStep(
    const BuildImage& build, const ProgressCallback& onProgress) {
  Result<void> entered = co_await enter(Op::Build, build.tag);
  if (!entered) {
    co_return std::move(entered).error();
  }
  const std::string tag = build.tag.empty() ? std::string() : normalizeRef(build.tag);
  if (auto it = buildFailures.find(tag); !tag.empty() && it != buildFailures.end()) {
    co_return Error(Errc::FailedPrecondition,
                    "build of image " + quote(build.tag) + " failed: " + it->second)
        .withReason("build_failed");
  }
  std::string id =
      "sha256:" + sha256Hex("memory-image/" + tag + "/" + std::to_string(nextImageSeq++));
  if (onProgress) {
    ImageProgress step;
    step.image = build.tag;
    step.status = "Step 1/1 : FROM scratch";
    onProgress(step);
    ImageProgress built;
    built.image = build.tag;
    built.status = "Successfully built " + id.substr(7, 12);
    onProgress(built);
  }
  images.emplace(id, clock.system());
  if (!tag.empty()) {
    tagLocal(tag, id);
  }
  co_return id;
}

// The id of the image `spec` runs, pulled or built first as its source says.
asio::awaitable<Result<std::string>> MemoryRuntime::Impl::acquireImage(
    const ContainerSpec& spec, const ProgressCallback& onProgress) {
  if (const auto* pull = std::get_if<PullImage>(&spec.image)) {
    Result<void> pulled = co_await pullStep(pull->reference, pull->policy, onProgress, false);
    if (!pulled) {
      co_return std::move(pulled).error();
    }
    co_return tags.at(normalizeRef(pull->reference));
  }
  const auto& build = std::get<BuildImage>(spec.image);
  Result<std::string> built = co_await buildStep(build, onProgress);
  co_return built;
}

// The id of the image `spec` runs when the caller prepared it: NotFound when it is absent.
Result<std::string> MemoryRuntime::Impl::presentImage(const ContainerSpec& spec) const {
  const auto* pull = std::get_if<PullImage>(&spec.image);
  const std::string& ref = pull ? pull->reference : std::get<BuildImage>(spec.image).tag;
  auto it = ref.empty() ? tags.end() : tags.find(normalizeRef(ref));
  if (it == tags.end()) {
    return Error(Errc::NotFound, "image " + quote(ref) + " is not present (it was to be prepared)");
  }
  return it->second;
}

asio::awaitable<Result<PreparedImage>> MemoryRuntime::Impl::preparePull(
    const PullImage& pull, const ProgressCallback& onProgress) {
  PreparedImage out;
  out.reference = pull.reference;
  const std::string ref = normalizeRef(pull.reference);
  out.pulled = pull.policy == PullPolicy::Always ||
               (pull.policy == PullPolicy::Missing && !tags.contains(ref));
  LS_CO_TRY(co_await pullStep(pull.reference, pull.policy, onProgress, false));
  out.id = tags.at(ref);
  co_return out;
}

asio::awaitable<Result<std::vector<ImageSummary>>> MemoryRuntime::Impl::listImages() {
  Result<void> entered = co_await enter(Op::ListImages, "");
  if (!entered) {
    co_return std::move(entered).error();
  }
  std::vector<ImageSummary> out;
  for (const auto& [id, created] : images) {
    ImageSummary s;
    s.id = id;
    s.repoTags = tagsOf(id);
    s.created = created;
    out.push_back(std::move(s));
  }
  co_return out;
}

asio::awaitable<Result<void>> MemoryRuntime::Impl::tagImage(const std::string& source,
                                                            const std::string& target) {
  Result<void> entered = co_await enter(Op::TagImage, source);
  if (!entered) {
    co_return std::move(entered).error();
  }
  const std::string what = "tag image " + quote(source) + " as " + quote(target);
  if (source.empty() || target.empty()) {
    co_return Error(Errc::InvalidArgument, what + ": empty image reference");
  }
  if (target.find('@') != std::string::npos) {
    co_return Error(Errc::InvalidArgument, what + ": a digest reference cannot be a tag");
  }
  const std::string ref = normalizeRef(target);
  const auto colon = ref.rfind(':');
  if (colon == 0 || colon + 1 == ref.size() || ref.front() == '/' || ref[colon - 1] == '/') {
    co_return Error(Errc::InvalidArgument, what + ": not a repository[:tag] reference");
  }
  std::optional<std::string> id = resolveImage(source);
  if (!id) {
    co_return Error(Errc::NotFound, what + ": no such image " + quote(source));
  }
  tagLocal(ref, *id);
  co_return ok();
}

asio::awaitable<Result<std::vector<std::string>>> MemoryRuntime::Impl::removeImage(
    const std::string& reference, bool force) {
  Result<void> entered = co_await enter(Op::RemoveImage, reference);
  if (!entered) {
    co_return std::move(entered).error();
  }
  settle();
  const std::string what = "remove image " + quote(reference);
  std::optional<std::string> resolved = resolveImage(reference);
  if (!resolved) {
    co_return Error(Errc::NotFound, what + ": no such image");
  }
  const std::string id = *resolved;
  const std::vector<const Container*> users = usersOf(id);
  const bool running = !users.empty() && users.front()->phase != Phase::Stopped;
  auto usedBy = [&](const Container* c) {
    return std::string(c->phase != Phase::Stopped ? "running" : "stopped") + " container " +
           quote(c->id.value.substr(0, 12));
  };
  std::vector<std::string> out;
  const std::string ref = normalizeRef(reference);
  if (tags.contains(ref)) {
    // A tag: untag it; the image goes with its last tag unless a container needs it.
    const bool lastTag = tagsOf(id).size() == 1;
    if (lastTag && !users.empty() && !force) {
      co_return Error(Errc::Conflict, what + ": it is used by " + usedBy(users.front()) +
                                          " (remove it first, or force)");
    }
    tags.erase(ref);
    out.push_back(ref);
    if (!lastTag || running) {
      co_return out;  // still tagged elsewhere, or kept (untagged) for a running container
    }
  } else {
    const std::vector<std::string> refs = tagsOf(id);
    if (refs.size() > 1 && !force) {
      co_return Error(Errc::Conflict, what + ": it is referenced by " +
                                          std::to_string(refs.size()) +
                                          " tags (remove them, or force)");
    }
    if (running) {
      co_return Error(Errc::Conflict,
                      what + ": it is used by " + usedBy(users.front()) + " (cannot be forced)");
    }
    if (!users.empty() && !force) {
      co_return Error(Errc::Conflict, what + ": it is used by " + usedBy(users.front()) +
                                          " (remove it first, or force)");
    }
    for (const auto& r : refs) {
      tags.erase(r);
      out.push_back(r);
    }
  }
  images.erase(id);
  out.push_back(id);
  co_return out;
}

}  // namespace ls::runtime
