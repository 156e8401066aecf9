#include "lightshuttle/core/error.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <system_error>

namespace ls {
namespace {

struct NameCase {
  Errc code;
  std::string_view name;
};

TEST(ErrcTest, NamesAreStableLowercaseIdentifiers) {
  // Ensures every category has the stable snake_case name used in JSON output and logs.
  const NameCase cases[] = {
      {Errc::Ok, "ok"},
      {Errc::NotFound, "not_found"},
      {Errc::AlreadyExists, "already_exists"},
      {Errc::Conflict, "conflict"},
      {Errc::InvalidArgument, "invalid_argument"},
      {Errc::FailedPrecondition, "failed_precondition"},
      {Errc::Unavailable, "unavailable"},
      {Errc::Timeout, "timeout"},
      {Errc::Cancelled, "cancelled"},
      {Errc::PermissionDenied, "permission_denied"},
      {Errc::Unsupported, "unsupported"},
      {Errc::Internal, "internal"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(std::string(c.name));
    EXPECT_EQ(errcName(c.code), c.name);
    EXPECT_EQ(make_error_code(c.code).message(), std::string(c.name));
  }
}

TEST(ErrcTest, MakeErrorCodeUsesOurCategory) {
  // Ensures an Errc converts implicitly to a std::error_code of the lightshuttle category.
  const std::error_code ec = Errc::NotFound;
  EXPECT_EQ(&ec.category(), &errcCategory());
  EXPECT_STREQ(ec.category().name(), "lightshuttle");
  EXPECT_EQ(ec.value(), static_cast<int>(Errc::NotFound));
  EXPECT_EQ(ec, make_error_code(Errc::NotFound));
  EXPECT_NE(ec, make_error_code(Errc::Conflict));
  EXPECT_TRUE(static_cast<bool>(ec));
  EXPECT_FALSE(static_cast<bool>(make_error_code(Errc::Ok)));
}

struct ConditionCase {
  Errc code;
  std::errc condition;
};

TEST(ErrcTest, ComparesEqualToMatchingStdErrcConditions) {
  // Ensures our codes compare equal to the portable std::errc conditions callers already test for.
  const ConditionCase cases[] = {
      {Errc::Timeout, std::errc::timed_out},
      {Errc::Cancelled, std::errc::operation_canceled},
      {Errc::PermissionDenied, std::errc::permission_denied},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(std::string(errcName(c.code)));
    const std::error_code ec = make_error_code(c.code);
    EXPECT_TRUE(ec == c.condition);
    EXPECT_TRUE(ec == std::make_error_condition(c.condition));
  }
}

TEST(ErrcTest, DoesNotCompareEqualToUnrelatedConditions) {
  // Ensures the std::errc mapping is not a catch-all: distinct categories stay distinct.
  EXPECT_FALSE(make_error_code(Errc::Timeout) == std::errc::operation_canceled);
  EXPECT_FALSE(make_error_code(Errc::Cancelled) == std::errc::timed_out);
  EXPECT_FALSE(make_error_code(Errc::NotFound) == std::errc::permission_denied);
  EXPECT_FALSE(make_error_code(Errc::Internal) == std::errc::timed_out);
}

TEST(ErrorTest, KeepsCodeAndMessage) {
  // Ensures a fresh error exposes its category and message with no context or origin.
  const Error err(Errc::Conflict, "container name 'demo_db' is already in use");
  EXPECT_EQ(err.code(), Errc::Conflict);
  EXPECT_EQ(err.message(), "container name 'demo_db' is already in use");
  EXPECT_TRUE(err.contexts().empty());
  EXPECT_FALSE(err.engine().has_value());
  EXPECT_FALSE(err.location().has_value());
  EXPECT_EQ(err.what(), "container name 'demo_db' is already in use");
}

TEST(ErrorTest, RendersContextOutermostFirst) {
  // Ensures context frames render "outer: inner: message" while being stored in insertion order.
  Error err(Errc::Unavailable, "connection refused");
  err.context("connect to /var/run/docker.sock");
  err.context("pull image 'postgres:16'");
  EXPECT_EQ(err.what(),
            "pull image 'postgres:16': connect to /var/run/docker.sock: connection refused");
  ASSERT_EQ(err.contexts().size(), 2u);
  EXPECT_EQ(err.contexts()[0], "connect to /var/run/docker.sock");
  EXPECT_EQ(err.contexts()[1], "pull image 'postgres:16'");
  EXPECT_EQ(err.message(), "connection refused");
  EXPECT_EQ(err.code(), Errc::Unavailable);
}

TEST(ErrorTest, RvalueBuildersChain) {
  // Ensures the && overloads let an error be built and wrapped in one expression.
  const Error err = Error(Errc::NotFound, "no such container 'demo_db'")
                        .context("inner")
                        .context("outer")
                        .withEngine(404, "No such container: demo_db");
  EXPECT_EQ(err.what(),
            "outer: inner: no such container 'demo_db' (engine 404: No such container: demo_db)");
}

struct EngineCase {
  const char* name;
  std::string message;
  int status;
  std::string engineMessage;
  std::string expected;
};

TEST(ErrorTest, RendersEngineOriginOnceAndOnlyWhenItAddsInformation) {
  // Ensures the engine's message is appended once, and not when our message already quotes it.
  const EngineCase cases[] = {
      {"distinct", "no such container 'demo_db'", 404, "No such container: demo_db",
       "no such container 'demo_db' (engine 404: No such container: demo_db)"},
      {"already contained", "engine said: No such container: demo_db", 404,
       "No such container: demo_db", "engine said: No such container: demo_db"},
      {"identical", "conflict", 409, "conflict", "conflict"},
      {"empty engine message", "server error", 500, "", "server error"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    Error err(Errc::NotFound, c.message);
    err.withEngine(c.status, c.engineMessage);
    EXPECT_EQ(err.what(), c.expected);
    ASSERT_TRUE(err.engine().has_value());
    EXPECT_EQ(err.engine()->status, c.status);
    EXPECT_EQ(err.engine()->message, c.engineMessage);
  }
}

TEST(ErrorTest, EngineOriginFollowsTheWholeContextChain) {
  // Ensures the engine suffix comes after the message and is not repeated per context frame.
  Error err(Errc::Conflict, "name in use");
  err.withEngine(409, "Conflict. The container name \"/db\" is already in use");
  err.context("create container 'db'").context("starting resource 'db'");
  const std::string what = err.what();
  EXPECT_EQ(what,
            "starting resource 'db': create container 'db': name in use "
            "(engine 409: Conflict. The container name \"/db\" is already in use)");
  EXPECT_EQ(what.find("(engine"), what.rfind("(engine"));
}

TEST(ErrorTest, WithEngineReplacesPreviousOrigin) {
  // Ensures a second engine origin overwrites the first instead of rendering both.
  Error err(Errc::Internal, "request failed");
  err.withEngine(500, "first").withEngine(503, "second");
  EXPECT_EQ(err.engine()->status, 503);
  EXPECT_EQ(err.what(), "request failed (engine 503: second)");
}

TEST(ErrorTest, KeepsSourceLocationWithoutRenderingIt) {
  // Ensures a manifest location is kept intact for diagnostics and left out of what().
  Error err(Errc::InvalidArgument, "port must be between 1 and 65535");
  err.withLocation(
      {.file = "lightshuttle.yaml", .line = 12, .column = 7, .field = "resources.api.ports[1]"});
  err.context("loading manifest");
  ASSERT_TRUE(err.location().has_value());
  EXPECT_EQ(err.location()->file, "lightshuttle.yaml");
  EXPECT_EQ(err.location()->line, 12);
  EXPECT_EQ(err.location()->column, 7);
  EXPECT_EQ(err.location()->field, "resources.api.ports[1]");
  EXPECT_EQ(err.what(), "loading manifest: port must be between 1 and 65535");

  const Error moved = std::move(err);
  ASSERT_TRUE(moved.location().has_value());
  EXPECT_EQ(moved.location()->line, 12);
}

}  // namespace
}  // namespace ls
