// Preparing images: the pull (per pull policy) or build of a resource's image as a step of its
// own, bounded (builds are CPU-heavy, pulls are not), so that the boot runs it while the
// dependencies boot, a restart runs it while the old container serves, and `build`/`pull` run
// it alone.
#include <thread>

#include "lifecycle/manager_impl.hpp"

namespace ls::lifecycle {

std::size_t defaultConcurrentBuilds() noexcept {
  const unsigned cpus = std::thread::hardware_concurrency();
  return std::max<std::size_t>(1, cpus / 2);
}

namespace {

std::string shortId(const std::string& id) {
  std::string_view s = id;
  if (s.starts_with("sha256:")) {
    s.remove_prefix(7);
  }
  return std::string(s.substr(0, 12));
}

std::string tenths(std::chrono::nanoseconds d) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.1fs", std::chrono::duration<double>(d).count());
  return text;
}

}  // namespace

asio::awaitable<Result<runtime::PreparedImage>> LifecycleManager::Impl::prepareImage(
    std::size_t i) {
  // specFor, not the plan's spec: a watch rebuild recreates from the image it built, and must
  // neither build it a second time nor take the old container down when that image is gone.
  // A copy: the override may go while this waits for a slot.
  const runtime::ContainerSpec spec = specFor(i);
  const bool build = std::holds_alternative<runtime::BuildImage>(spec.image);
  std::size_t& inFlight = build ? buildsInFlight : pullsInFlight;
  const std::size_t bound = build ? buildBound : pullBound;
  for (;;) {
    if (launchAborted() || co_await ls::detail::cancelled()) {
      co_return Error(Errc::Cancelled, "operation cancelled");
    }
    if (inFlight < bound) {
      break;
    }
    Result<void> woke = co_await prepareSlots.wait();
    if (!woke) {
      co_return std::move(woke).error();
    }
  }
  // Counted without a scope guard: a frame destroyed with the loop must not touch `this`.
  ++inFlight;
  const std::string image = imageOf(spec);
  std::string what = build ? "building image " + quote(image) : "image " + quote(image);
  if (const auto* pull = std::get_if<runtime::PullImage>(&spec.image)) {
    what += pull->policy == runtime::PullPolicy::Always  ? " (pull policy always)"
            : pull->policy == runtime::PullPolicy::Never ? " (pull policy never)"
                                                         : " (pulled if missing)";
  }
  emit(Kind::ImagePreparing, i, std::move(what));
  auto throttle = std::make_shared<ProgressThrottle>();
  const runtime::ProgressCallback progress = [this, i, throttle](const runtime::ImageProgress& p) {
    onImageProgress(i, p, *throttle);
  };
  const Clock::SteadyTime t0 = clock.steady();
  Result<runtime::PreparedImage> prepared = co_await rt.prepareImage(spec.image, progress);
  --inFlight;
  prepareSlots.notifyAll();
  if (!prepared) {
    Error error = redact(prepared.error());
    if (error.code() != Errc::Cancelled) {
      emit(Kind::ImageFailed, i, error.what());
    }
    co_return error;
  }
  res[i].imageId = prepared->id;
  const char* how = prepared->built ? "built" : prepared->pulled ? "pulled" : "present";
  std::string message = how;
  if (!prepared->id.empty()) {
    message += " " + shortId(prepared->id);
  }
  if (prepared->built || prepared->pulled) {
    message += " in " + tenths(clock.steady() - t0);
  }
  emit(Kind::ImageReady, i, std::move(message));
  changed.notifyAll();
  co_return prepared;
}

asio::awaitable<void> LifecycleManager::Impl::prepareForBoot(std::size_t i) {
  co_await asio::this_coro::throw_if_cancelled(false);
  Result<runtime::PreparedImage> prepared = co_await prepareImage(i);
  res[i].bootImage.emplace(std::move(prepared));
  changed.notifyAll();
}

asio::awaitable<void> LifecycleManager::Impl::prepareInto(
    std::size_t i, std::shared_ptr<std::vector<std::optional<Result<runtime::PreparedImage>>>> out,
    std::size_t slot) {
  co_await asio::this_coro::throw_if_cancelled(false);
  Result<runtime::PreparedImage> prepared = co_await prepareImage(i);
  (*out)[slot].emplace(std::move(prepared));
}

asio::awaitable<Result<std::vector<ImageOutcome>>> LifecycleManager::Impl::prepareMany(
    std::vector<std::string> names) {
  std::vector<bool> wanted(res.size(), names.empty());
  for (const std::string& name : names) {
    Result<std::size_t> i = lookup(name);
    if (!i) {
      co_return std::move(i).error();
    }
    wanted[*i] = true;
  }
  std::vector<std::size_t> which;
  for (std::size_t i = 0; i < res.size(); ++i) {
    if (wanted[i]) {
      which.push_back(i);
    }
  }
  auto slots =
      std::make_shared<std::vector<std::optional<Result<runtime::PreparedImage>>>>(which.size());
  const asio::any_io_executor executor = co_await asio::this_coro::executor;
  TaskGroup group;
  for (std::size_t k = 0; k < which.size(); ++k) {
    group.spawn(executor, prepareInto(which[k], slots, k));
  }
  Result<void> waited = co_await group.waitEmpty();
  if (!waited) {
    co_await asio::this_coro::reset_cancellation_state();
    group.cancelAll();
    while (!group.empty()) {
      (void)co_await group.waitEmpty();
    }
    co_return Error(Errc::Cancelled, "preparing images was cancelled");
  }
  std::vector<ImageOutcome> out;
  for (std::size_t k = 0; k < which.size(); ++k) {
    Result<runtime::PreparedImage> image =
        (*slots)[k] ? std::move(*(*slots)[k])
                    : Result<runtime::PreparedImage>(Error(Errc::Internal, "prepare did not end"));
    out.push_back(ImageOutcome{node(which[k]).name, std::move(image)});
  }
  co_return out;
}

}  // namespace ls::lifecycle
