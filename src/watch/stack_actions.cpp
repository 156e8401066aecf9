// The watcher's actions on a real stack: the lifecycle manager owns restarts, recreates and the
// event bus; the runtime carries the archive, the exec and the build.
#include <variant>

#include "watch/sync.hpp"
#include "watch/watch.hpp"

namespace ls::watch {

namespace asio = boost::asio;

namespace {

constexpr std::chrono::seconds kDeleteTimeout{30};

class StackActions final : public Actions {
 public:
  StackActions(lifecycle::LifecycleManager& m, runtime::Runtime& rt, ImageBuilder build)
      : manager_(m), runtime_(rt), build_(std::move(build)) {}

  asio::awaitable<Result<std::size_t>> sync(const std::string& resource,
                                            const std::vector<Copy>& copies,
                                            const std::vector<std::string>& deletions) override {
    Result<lifecycle::ResourceView> view = manager_.get(resource);
    if (!view) {
      co_return std::move(view).error();
    }
    if (view->containerId.empty() || view->status != lifecycle::ResourceStatus::Running) {
      co_return Error(Errc::FailedPrecondition,
                      "resource '" + resource + "' is not running (" +
                          std::string(lifecycle::statusName(view->status)) + ")");
    }
    const runtime::ContainerId id{view->containerId};
    if (!deletions.empty()) {
      runtime::ExecRequest rm;
      rm.cmd = detail::deleteCommand(deletions);
      rm.timeout = kDeleteTimeout;
      Result<runtime::ExecResult> removed = co_await runtime_.exec(id, rm);
      if (!removed) {
        co_return std::move(removed).error().context("removing deleted files");
      }
      if (removed->exitCode != 0) {
        co_return Error(Errc::Internal, "removing deleted files exited with code " +
                                            std::to_string(removed->exitCode) + ": " +
                                            removed->stderrText.substr(0, 200));
      }
    }
    std::size_t entries = deletions.size();
    if (!copies.empty()) {
      std::vector<detail::SyncCopy> items;
      items.reserve(copies.size());
      for (const Copy& c : copies) {
        items.push_back(detail::SyncCopy{.source = c.source, .target = c.target});
      }
      Result<detail::SyncTar> tar = detail::tarOfCopies(items);
      if (!tar) {
        co_return std::move(tar).error();
      }
      if (tar->entries > 0) {
        Result<void> put = co_await runtime_.archivePut(id, "/", tar->bytes, {});
        if (!put) {
          co_return std::move(put).error().context("copying into the container");
        }
      }
      entries += tar->entries;
    }
    co_return entries;
  }

  asio::awaitable<Result<void>> restart(const std::string& resource) override {
    Result<void> r = co_await manager_.restartInPlace(resource);
    co_return r;
  }

  asio::awaitable<Result<std::string>> build(const std::string& resource) override {
    const lifecycle::PlanNode* node = manager_.plan().find(resource);
    if (node == nullptr) {
      co_return Error(Errc::NotFound, "unknown resource '" + resource + "'");
    }
    if (build_) {
      Result<std::string> built = co_await build_(*node);
      co_return built;
    }
    const auto* image = std::get_if<runtime::BuildImage>(&node->spec.image);
    if (image == nullptr) {
      co_return Error(Errc::FailedPrecondition,
                      "resource '" + resource + "' has no Dockerfile to rebuild");
    }
    Result<std::string> built = co_await runtime_.buildImage(*image, {});
    co_return built;
  }

  asio::awaitable<Result<void>> recreate(const std::string& resource,
                                         const std::string& image) override {
    Result<void> r = co_await manager_.recreateWithImage(resource, image);
    co_return r;
  }

  void publish(lifecycle::LifecycleEvent event) override { manager_.publish(std::move(event)); }

 private:
  lifecycle::LifecycleManager& manager_;
  runtime::Runtime& runtime_;
  ImageBuilder build_;
};

}  // namespace

std::unique_ptr<Actions> stackActions(lifecycle::LifecycleManager& manager,
                                      runtime::Runtime& runtime, ImageBuilder build) {
  return std::make_unique<StackActions>(manager, runtime, std::move(build));
}

}  // namespace ls::watch
