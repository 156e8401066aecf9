#include "engine/errors.hpp"

#include <gtest/gtest.h>

namespace ls::engine {
namespace {

TEST(ErrorsTest, StatusClassificationTable) {
  // Ensures every engine status maps to one canonical category.
  const std::vector<std::pair<int, Errc>> rows = {
      {400, Errc::InvalidArgument}, {401, Errc::PermissionDenied}, {403, Errc::PermissionDenied},
      {404, Errc::NotFound},        {408, Errc::Timeout},          {409, Errc::Conflict},
      {422, Errc::InvalidArgument}, {418, Errc::InvalidArgument},  {500, Errc::Internal},
      {501, Errc::Unsupported},     {502, Errc::Unavailable},      {503, Errc::Unavailable},
      {504, Errc::Timeout},         {599, Errc::Internal},
  };
  for (const auto& [status, code] : rows) {
    EXPECT_EQ(errcForStatus(status), code) << status;
  }
}

TEST(ErrorsTest, EngineMessageFromJsonRawOrStatus) {
  // Ensures the message comes from JSON "message", else the trimmed raw body, else the status.
  EXPECT_EQ(engineMessage(R"({"message":"No such image: x"})", 404), "No such image: x");
  EXPECT_EQ(engineMessage("  page not found \n", 404), "page not found");
  EXPECT_EQ(engineMessage("", 502), "http status 502");
  EXPECT_EQ(engineMessage(R"({"other":1})", 500), R"({"other":1})");
  const std::string big(2000, 'x');
  EXPECT_EQ(engineMessage(big, 500).size(), 515u);  // 512 + "..."
  EXPECT_EQ(engineMessage(std::string("a\x01"
                                      "b",
                                      3),
                          500),
            "a?b");
}

TEST(ErrorsTest, ClassifiedErrorCarriesOperationAndOrigin) {
  // Ensures the error names the operation and keeps the engine's status and message.
  Error e = classifyResponse(409, R"({"message":"Conflict. The container name is in use"})",
                             "create container 'demo_db'");
  EXPECT_EQ(e.code(), Errc::Conflict);
  EXPECT_EQ(e.what(), "create container 'demo_db': Conflict. The container name is in use");
  ASSERT_TRUE(e.engine());
  EXPECT_EQ(e.engine()->status, 409);
}

TEST(ErrorsTest, StartFailureReasonFromDockersAndPodmansMessages) {
  // Ensures the reason of a failed start is read from the messages both engines really answer
  // (recorded from Docker 20.10 and podman 4.3 starting a missing command, a missing path, a
  // file and a directory) and that other failures, a missing mount source among them, have none.
  const std::vector<std::pair<std::string, std::string_view>> rows = {
      {R"(failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: exec: "/nosuch": stat /nosuch: no such file or directory: unknown)",
       "command_not_found"},
      {R"(failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: exec: "nosuch": executable file not found in $PATH: unknown)",
       "command_not_found"},
      {R"(failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: exec: "/etc/passwd": permission denied: unknown)",
       "command_not_executable"},
      {R"(runc: runc create failed: unable to start container process: exec: "/nosuch": stat /nosuch: no such file or directory: OCI runtime attempted to invoke a command that was not found)",
       "command_not_found"},
      {R"(runc: runc create failed: unable to start container process: exec: "nosuch": executable file not found in $PATH: OCI runtime attempted to invoke a command that was not found)",
       "command_not_found"},
      {R"(runc: runc create failed: unable to start container process: exec: "/etc": permission denied: OCI permission denied)",
       "command_not_executable"},
      {R"(crun: executable file `nosuch` not found in $PATH: No such file or directory: OCI runtime attempted to invoke a command that was not found)",
       "command_not_found"},
      {R"(failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: error during container init: error mounting "/nonexistent" to rootfs at "/data": stat /nonexistent: no such file or directory: unknown)",
       ""},
      {"driver failed programming external connectivity on endpoint x: Bind for 127.0.0.1:80 "
       "failed: port is already allocated",
       ""},
      {"", ""},
  };
  for (const auto& [message, reason] : rows) {
    EXPECT_EQ(startFailureReason(message), reason) << message;
  }
}

}  // namespace
}  // namespace ls::engine
