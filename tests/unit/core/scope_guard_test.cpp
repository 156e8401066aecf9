#include "lightshuttle/core/scope_guard.hpp"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace ls {
namespace {

TEST(ScopeGuardTest, RunsAtScopeExit) {
  // Ensures the cleanup runs exactly once, when the guard goes out of scope.
  int runs = 0;
  {
    auto guard = ScopeGuard([&] { ++runs; });
    EXPECT_EQ(runs, 0);
  }
  EXPECT_EQ(runs, 1);
}

TEST(ScopeGuardTest, DismissPreventsCleanup) {
  // Ensures a dismissed guard never runs its cleanup, even if dismissed twice.
  int runs = 0;
  {
    auto guard = ScopeGuard([&] { ++runs; });
    guard.dismiss();
    guard.dismiss();
  }
  EXPECT_EQ(runs, 0);
}

TEST(ScopeGuardTest, GuardsRunInReverseOrderOfCreation) {
  // Ensures stacked guards roll back multi-step work last step first, like destructors.
  std::vector<std::string> undone;
  {
    auto first = ScopeGuard([&] { undone.push_back("network"); });
    auto second = ScopeGuard([&] { undone.push_back("volume"); });
    auto third = ScopeGuard([&] { undone.push_back("container"); });
  }
  EXPECT_EQ(undone, (std::vector<std::string>{"container", "volume", "network"}));
}

bool setupSteps(int failAt, std::vector<std::string>& undone) {
  auto undoA = ScopeGuard([&] { undone.push_back("a"); });
  if (failAt == 1) {
    return false;
  }
  auto undoB = ScopeGuard([&] { undone.push_back("b"); });
  if (failAt == 2) {
    return false;
  }
  undoA.dismiss();
  undoB.dismiss();
  return true;
}

TEST(ScopeGuardTest, RollsBackOnlyCompletedStepsOnEarlyReturn) {
  // Ensures an early return undoes exactly the steps done so far, and success undoes nothing.
  const struct {
    int failAt;
    bool ok;
    std::vector<std::string> undone;
  } cases[] = {
      {1, false, {"a"}},
      {2, false, {"b", "a"}},
      {0, true, {}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.failAt);
    std::vector<std::string> undone;
    EXPECT_EQ(setupSteps(c.failAt, undone), c.ok);
    EXPECT_EQ(undone, c.undone);
  }
}

TEST(ScopeGuardTest, MoveTransfersResponsibility) {
  // Ensures a moved-from guard does nothing and the moved-to guard runs the cleanup once.
  int runs = 0;
  {
    auto outer = ScopeGuard([&] { ++runs; });
    {
      auto inner = std::move(outer);
      EXPECT_EQ(runs, 0);
    }
    EXPECT_EQ(runs, 1);
  }
  EXPECT_EQ(runs, 1);
}

TEST(ScopeGuardTest, MovedGuardCanStillBeDismissed) {
  // Ensures dismissing the guard that received responsibility cancels the cleanup entirely.
  int runs = 0;
  {
    auto outer = ScopeGuard([&] { ++runs; });
    auto inner = std::move(outer);
    inner.dismiss();
  }
  EXPECT_EQ(runs, 0);
}

TEST(ScopeGuardTest, DismissingMovedFromGuardDoesNotCancelTheNewOwner) {
  // Ensures the moved-from guard no longer controls the cleanup once responsibility moved.
  int runs = 0;
  {
    auto outer = ScopeGuard([&] { ++runs; });
    auto inner = std::move(outer);
    outer.dismiss();  // NOLINT(bugprone-use-after-move): intentional
  }
  EXPECT_EQ(runs, 1);
}

auto makeGuard(int& runs) {
  return ScopeGuard([&runs] { ++runs; });
}

TEST(ScopeGuardTest, CanBeReturnedFromAFunction) {
  // Ensures a guard returned from a factory runs once, in the caller's scope.
  int runs = 0;
  {
    auto guard = makeGuard(runs);
    EXPECT_EQ(runs, 0);
  }
  EXPECT_EQ(runs, 1);
}

}  // namespace
}  // namespace ls
