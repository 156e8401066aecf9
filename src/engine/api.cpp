#include "lightshuttle/engine/api.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "engine/api_images.hpp"
#include "engine/errors.hpp"
#include "engine/frame_decoder.hpp"
#include "engine/json_messages.hpp"
#include "engine/mapping.hpp"
#include "engine/ndjson.hpp"

namespace asio = boost::asio;

namespace ls::engine {
namespace {

std::string quoted(std::string_view what, std::string_view id) {
  return std::string(what) + " '" + std::string(id) + "'";
}

/// ConsoleSize on exec create and start exists since API 1.42 (Docker 23).
bool supportsConsoleSize(std::string_view apiVersion) {
  return compareApiVersions(apiVersion, "1.42") >= 0;
}

}  // namespace

ImageRef splitImageRef(std::string_view reference) {
  ImageRef out;
  if (const auto at = reference.find('@'); at != std::string_view::npos) {
    out.repository = std::string(reference.substr(0, at));
    out.tag = std::string(reference.substr(at + 1));
    return out;
  }
  const auto slash = reference.rfind('/');
  const auto colon = reference.rfind(':');
  if (colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash)) {
    out.repository = std::string(reference.substr(0, colon));
    out.tag = std::string(reference.substr(colon + 1));
  } else {
    out.repository = std::string(reference);
    out.tag = "latest";
  }
  return out;
}

namespace {

/// The next decoded chunk of a frame stream (ExecStream, LogStream), if one is ready.
std::optional<LogChunk> takeChunk(std::vector<LogChunk>& ready, std::size_t& pos) {
  if (pos >= ready.size()) {
    return std::nullopt;
  }
  LogChunk c = std::move(ready[pos++]);
  if (pos == ready.size()) {
    ready.clear();
    pos = 0;
  }
  return c;
}

/// Decodes the next piece of a frame stream (nullopt: its end) into `ready`, merging consecutive
/// pieces of the same stream so callers get fewer, larger chunks; with `keepFrames`, only the
/// pieces of one frame, and a frame's first piece is marked (LogChunk::frameStart).
Result<void> decodeChunks(FrameDecoder& decoder, std::optional<std::string> piece,
                          std::vector<LogChunk>& ready, bool& finished, std::string_view what,
                          bool keepFrames) {
  std::vector<Frame> frames;
  if (piece) {
    LS_TRY(decoder.feed(*piece, frames));
  } else {
    finished = true;
    LS_TRY(decoder.finish(frames));
  }
  for (auto& f : frames) {
    if (f.stream == StreamKind::System) {
      return Error(Errc::Internal, "the engine reported an error in the " + std::string(what) +
                                       " stream: " + f.bytes);
    }
    const bool startsAnother = keepFrames && f.start;
    if (!ready.empty() && ready.back().stream == f.stream && !startsAnother) {
      ready.back().bytes += f.bytes;
    } else {
      ready.push_back(LogChunk{f.stream, std::move(f.bytes), startsAnother});
    }
  }
  return ok();
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// ExecStream

ExecStream::ExecStream(std::unique_ptr<UpgradedConnection> conn, bool tty)
    : conn_(std::move(conn)),
      decoder_(std::make_unique<FrameDecoder>(tty ? FrameDecoder::Mode::Raw
                                                  : FrameDecoder::Mode::Multiplexed)) {}

ExecStream::~ExecStream() { close(); }

void ExecStream::close() { conn_->close(); }

Result<void> ExecStream::closeStdin() { return conn_->shutdownWrite(); }

asio::awaitable<Result<void>> ExecStream::write(std::string_view bytes) {
  co_return co_await conn_->write(bytes);
}

asio::awaitable<Result<std::optional<LogChunk>>> ExecStream::next() {
  for (;;) {
    if (auto c = takeChunk(ready_, readPos_)) {
      co_return c;
    }
    if (finished_) {
      co_return std::optional<LogChunk>();
    }
    LS_CO_ASSIGN_OR_RETURN(std::optional<std::string> piece, co_await conn_->read());
    LS_CO_TRY(decodeChunks(*decoder_, std::move(piece), ready_, finished_, "exec", false));
  }
}

// ---------------------------------------------------------------------------------------------
// LogStream

LogStream::LogStream(std::unique_ptr<ResponseStream> body, std::unique_ptr<FrameDecoder> decoder)
    : body_(std::move(body)), decoder_(std::move(decoder)) {}

LogStream::~LogStream() = default;

void LogStream::close() { body_->close(); }

asio::awaitable<Result<std::optional<LogChunk>>> LogStream::next() {
  for (;;) {
    if (auto c = takeChunk(ready_, readPos_)) {
      co_return c;
    }
    if (finished_) {
      co_return std::optional<LogChunk>();
    }
    LS_CO_ASSIGN_OR_RETURN(std::optional<std::string> piece, co_await body_->next());
    LS_CO_TRY(decodeChunks(*decoder_, std::move(piece), ready_, finished_, "log", true));
  }
}

// ---------------------------------------------------------------------------------------------
// Api

asio::awaitable<Result<VersionInfo>> Api::version() {
  Request req{.path = "/version", .operation = "read the engine version"};
  LS_CO_ASSIGN_OR_RETURN(Response res, co_await client_.request(std::move(req)));
  LS_CO_ASSIGN_OR_RETURN(auto v, parseBody(res.body, "read the engine version"));
  co_return decodeVersion(v);
}

asio::awaitable<Result<EngineInfo>> Api::info() {
  Request req{.path = "/info", .operation = "read engine info"};
  LS_CO_ASSIGN_OR_RETURN(Response res, co_await client_.request(std::move(req)));
  LS_CO_ASSIGN_OR_RETURN(auto v, parseBody(res.body, "read engine info"));
  co_return decodeInfo(v);
}

asio::awaitable<Result<CreatedContainer>> Api::createContainer(const std::string& name,
                                                               const ContainerCreate& spec) {
  if (client_.apiVersion().empty()) {
    LS_CO_TRY(co_await client_.negotiate());
  }
  Request req{.method = "POST",
              .path = "/containers/create",
              .body = encodeContainerCreate(spec, client_.apiVersion()),
              .operation = quoted("create container", name)};
  if (!name.empty()) {
    req.query.emplace_back("name", name);
  }
  Result<Response> res = co_await client_.request(std::move(req));
  if (!res) {
    Error err = std::move(res).error();
    const std::optional<EngineOrigin> origin = err.engine();
    if (origin && origin->status == 409) {
      // Docker's only conflict on create is the name.
      err.withReason("name_in_use");
    } else if (origin && origin->status >= 500 && !name.empty() &&
               co_await inspectContainer(name)) {
      // Podman 4.3 answers a name in use with 500, not 409: a container by that name found
      // after the failure makes it Docker's answer.
      co_return Error(Errc::Conflict, "the container name '" + name + "' is already in use")
          .withReason("name_in_use")
          .withEngine(origin->status, origin->message)
          .context(quoted("create container", name));
    }
    co_return err;
  }
  LS_CO_ASSIGN_OR_RETURN(auto v, parseBody(res->body, "create container"));
  co_return decodeCreated(v);
}

asio::awaitable<Result<StartOutcome>> Api::startContainer(const std::string& id) {
  Request req{.method = "POST",
              .path = "/containers/" + id + "/start",
              .operation = quoted("start container", id)};
  Result<Response> res = co_await client_.request(std::move(req));
  if (!res) {
    Error err = std::move(res).error();
    if (const std::string_view reason = startFailureReason(err.message()); !reason.empty()) {
      err.withReason(std::string(reason));
    }
    co_return err;
  }
  co_return res->status == 304 ? StartOutcome::AlreadyRunning : StartOutcome::Started;
}

asio::awaitable<Result<StopOutcome>> Api::stopContainer(const std::string& id,
                                                        std::chrono::seconds timeout) {
  const auto budget =
      std::chrono::duration_cast<std::chrono::milliseconds>(timeout) + std::chrono::seconds(30);
  // NOTE: requests with a braced query are built outside co_await (GCC 12 coroutine bug with
  // initializer lists in a co_await operand: "array used as initializer").
  Request req{.method = "POST",
              .path = "/containers/" + id + "/stop",
              .timeout = budget,
              .operation = quoted("stop container", id)};
  req.query.emplace_back("t", std::to_string(timeout.count()));
  LS_CO_ASSIGN_OR_RETURN(Response res, co_await client_.request(std::move(req)));
  co_return res.status == 304 ? StopOutcome::AlreadyStopped : StopOutcome::Stopped;
}

asio::awaitable<Result<void>> Api::killContainer(const std::string& id, const std::string& signal) {
  Request req{.method = "POST",
              .path = "/containers/" + id + "/kill",
              .operation = quoted("kill container", id)};
  req.query.emplace_back("signal", signal);
  LS_CO_TRY(co_await client_.request(std::move(req)));
  co_return ok();
}

asio::awaitable<Result<RemoveOutcome>> Api::removeContainer(const std::string& id, bool force,
                                                            bool volumes) {
  Request req{
      .method = "DELETE", .path = "/containers/" + id, .operation = quoted("remove container", id)};
  req.query.emplace_back("force", force ? "1" : "0");
  req.query.emplace_back("v", volumes ? "1" : "0");
  auto res = co_await client_.request(std::move(req));
  if (!res) {
    if (res.error().code() == Errc::NotFound) {
      co_return RemoveOutcome::AlreadyRemoved;
    }
    co_return std::move(res).error();
  }
  co_return RemoveOutcome::Removed;
}

asio::awaitable<Result<ContainerInfo>> Api::inspectContainer(const std::string& id) {
  Request req{.path = "/containers/" + id + "/json", .operation = quoted("inspect container", id)};
  LS_CO_ASSIGN_OR_RETURN(Response res, co_await client_.request(std::move(req)));
  LS_CO_ASSIGN_OR_RETURN(auto v, parseBody(res.body, "inspect container"));
  co_return decodeContainerInfo(v);
}

asio::awaitable<Result<std::vector<ContainerSummary>>> Api::listContainers(
    const std::vector<std::string>& labelFilters, bool all) {
  Request req{.path = "/containers/json", .operation = "list containers"};
  if (all) {
    req.query.emplace_back("all", "1");
  }
  if (!labelFilters.empty()) {
    req.query.emplace_back("filters", encodeLabelFilters(labelFilters));
  }
  LS_CO_ASSIGN_OR_RETURN(Response res, co_await client_.request(std::move(req)));
  LS_CO_ASSIGN_OR_RETURN(auto v, parseBody(res.body, "list containers"));
  co_return decodeContainerList(v);
}

asio::awaitable<Result<int>> Api::waitContainer(const std::string& id, const std::string& condition,
                                                std::chrono::milliseconds timeout) {
  Request req{.method = "POST",
              .path = "/containers/" + id + "/wait",
              .timeout = timeout,
              .operation = quoted("wait for container", id)};
  req.query.emplace_back("condition", condition);
  LS_CO_ASSIGN_OR_RETURN(Response res, co_await client_.request(std::move(req)));
  LS_CO_ASSIGN_OR_RETURN(auto v, parseBody(res.body, "wait for container"));
  if (!v.is_object()) {
    co_return Error(Errc::InvalidArgument, "wait for container: unexpected answer");
  }
  if (auto* e = v.as_object().if_contains("Error"); e && e->is_object()) {
    if (auto* m = e->as_object().if_contains("Message");
        m && m->is_string() && !m->as_string().empty()) {
      co_return Error(Errc::Internal,
                      quoted("wait for container", id) + ": " + std::string(m->as_string()));
    }
  }
  auto* code = v.as_object().if_contains("StatusCode");
  if (code == nullptr || !code->is_number()) {
    co_return Error(Errc::InvalidArgument, "wait for container: no StatusCode in the answer");
  }
  co_return static_cast<int>(code->to_number<std::int64_t>());
}

asio::awaitable<Result<std::unique_ptr<LogStream>>> Api::logs(const std::string& id,
                                                              const LogsOptions& o,
                                                              std::optional<bool> tty) {
  Request req{.path = "/containers/" + id + "/logs",
              .operation = quoted("read logs of container", id)};
  req.query = {{"follow", o.follow ? "1" : "0"},
               {"stdout", o.stdoutStream ? "1" : "0"},
               {"stderr", o.stderrStream ? "1" : "0"},
               {"timestamps", o.timestamps ? "1" : "0"}};
  if (o.tail) {
    req.query.emplace_back("tail", *o.tail);
  }
  if (o.since) {
    req.query.emplace_back("since", *o.since);
  }
  if (o.until) {
    req.query.emplace_back("until", *o.until);
  }
  LS_CO_ASSIGN_OR_RETURN(auto body, co_await client_.stream(std::move(req)));
  FrameDecoder::Mode mode = FrameDecoder::Mode::Auto;
  const std::string_view ct = body->header("Content-Type");
  if (tty) {
    mode = *tty ? FrameDecoder::Mode::Raw : FrameDecoder::Mode::Multiplexed;
  } else if (ct == "application/vnd.docker.multiplexed-stream") {
    mode = FrameDecoder::Mode::Multiplexed;
  } else if (ct == "application/vnd.docker.raw-stream") {
    mode = FrameDecoder::Mode::Raw;
  }
  co_return std::make_unique<LogStream>(std::move(body), std::make_unique<FrameDecoder>(mode));
}

asio::awaitable<Result<void>> Api::pullImage(
    const std::string& reference, const std::function<void(const PullProgress&)>& onProgress,
    const std::string& registryAuth) {
  const ImageRef ref = splitImageRef(reference);
  Request req{.method = "POST",
              .path = "/images/create",
              .query = {{"fromImage", ref.repository}, {"tag", ref.tag}},
              .operation = quoted("pull image", reference)};
  if (!registryAuth.empty()) {
    req.headers.emplace_back("X-Registry-Auth", registryAuth);
  }
  LS_CO_ASSIGN_OR_RETURN(auto body, co_await client_.stream(std::move(req)));
  NdjsonDecoder decoder;
  std::vector<boost::json::value> messages;
  bool done = false;
  while (!done) {
    messages.clear();
    LS_CO_ASSIGN_OR_RETURN(std::optional<std::string> piece, co_await body->next());
    Result<void> fed = piece ? decoder.feed(*piece, messages) : decoder.finish(messages);
    done = !piece;
    if (!fed) {
      co_return std::move(fed).error().context(quoted("pull image", reference));
    }
    for (const auto& m : messages) {
      if (auto err = streamError(m)) {
        // Podman 4.3 says a missing tag only here, without the registry's status.
        ImagesApi images(client_);
        co_return co_await images.pullFailure(
            reference, std::move(*err).context(quoted("pull image", reference)));
      }
      if (onProgress) {
        LS_CO_ASSIGN_OR_RETURN(PullProgress p, decodePullProgress(m));
        onProgress(p);
      }
    }
  }
  co_return ok();
}

asio::awaitable<Result<ImageInfo>> Api::inspectImage(const std::string& reference) {
  Request req{.path = "/images/" + reference + "/json",
              .operation = quoted("inspect image", reference)};
  LS_CO_ASSIGN_OR_RETURN(Response res, co_await client_.request(std::move(req)));
  LS_CO_ASSIGN_OR_RETURN(auto v, parseBody(res.body, "inspect image"));
  co_return decodeImageInfo(v);
}

asio::awaitable<Result<RemoveOutcome>> Api::removeImage(const std::string& reference, bool force) {
  Request req{.method = "DELETE",
              .path = "/images/" + reference,
              .operation = quoted("remove image", reference)};
  req.query.emplace_back("force", force ? "1" : "0");
  auto res = co_await client_.request(std::move(req));
  if (!res) {
    if (res.error().code() == Errc::NotFound) {
      co_return RemoveOutcome::AlreadyRemoved;
    }
    co_return std::move(res).error();
  }
  co_return RemoveOutcome::Removed;
}

}  // namespace ls::engine

namespace ls::engine {

// ---------------------------------------------------------------------------------------------
// Images: build

asio::awaitable<Result<std::string>> Api::buildImage(
    std::string contextTar, const BuildOptions& options,
    const std::function<void(const BuildProgress&)>& onProgress) {
  const std::string what = quoted("build image", options.tag);
  Request req{.method = "POST",
              .path = "/build",
              .body = std::move(contextTar),
              .contentType = "application/x-tar",
              .timeout = std::chrono::minutes(10),
              .operation = what};
  req.query.emplace_back("t", options.tag);
  if (!options.dockerfile.empty()) {
    req.query.emplace_back("dockerfile", options.dockerfile);
  }
  if (!options.target.empty()) {
    req.query.emplace_back("target", options.target);
  }
  if (!options.buildArgs.empty()) {
    req.query.emplace_back("buildargs", encodeStringMap(options.buildArgs));
  }
  if (!options.labels.empty()) {
    req.query.emplace_back("labels", encodeStringMap(options.labels));
  }
  req.query.emplace_back("rm", "1");
  req.query.emplace_back("forcerm", "1");
  if (options.pull) {
    req.query.emplace_back("pull", "1");
  }
  LS_CO_ASSIGN_OR_RETURN(auto body, co_await client_.stream(std::move(req)));
  NdjsonDecoder decoder;
  std::vector<boost::json::value> messages;
  std::string imageId;
  bool done = false;
  while (!done) {
    messages.clear();
    LS_CO_ASSIGN_OR_RETURN(std::optional<std::string> piece, co_await body->next());
    Result<void> fed = piece ? decoder.feed(*piece, messages) : decoder.finish(messages);
    done = !piece;
    if (!fed) {
      co_return std::move(fed).error().context(what);
    }
    for (const auto& m : messages) {
      if (auto err = streamError(m)) {
        // A failing Dockerfile step: the engine's message (e.g. "The command '/bin/sh -c false'
        // returned a non-zero code: 1") is kept verbatim.
        Error e(Errc::FailedPrecondition, what + ": " + err->message());
        co_return std::move(e).withEngine(200, err->message()).withReason("build_failed");
      }
      LS_CO_ASSIGN_OR_RETURN(BuildProgress p, decodeBuildProgress(m));
      if (!p.imageId.empty()) {
        imageId = p.imageId;
      }
      if (onProgress) {
        onProgress(p);
      }
    }
  }
  if (imageId.empty()) {
    // Older engines print "Successfully built <id>" without an aux message: ask for the tag.
    LS_CO_ASSIGN_OR_RETURN(ImageInfo info, co_await inspectImage(options.tag));
    imageId = info.id;
  }
  co_return imageId;
}

// ---------------------------------------------------------------------------------------------
// Networks

asio::awaitable<Result<std::string>> Api::createNetwork(const NetworkCreate& spec) {
  Request req{.method = "POST",
              .path = "/networks/create",
              .body = encodeNetworkCreate(spec),
              .operation = quoted("create network", spec.name)};
  LS_CO_ASSIGN_OR_RETURN(Response res, co_await client_.request(std::move(req)));
  LS_CO_ASSIGN_OR_RETURN(auto v, parseBody(res.body, "create network"));
  if (!v.is_object() || !v.as_object().contains("Id") || !v.as_object().at("Id").is_string()) {
    co_return Error(Errc::InvalidArgument, "create network: the engine's answer has no Id");
  }
  co_return std::string(v.as_object().at("Id").as_string());
}

asio::awaitable<Result<NetworkInfo>> Api::inspectNetwork(const std::string& nameOrId) {
  Request req{.path = "/networks/" + nameOrId, .operation = quoted("inspect network", nameOrId)};
  LS_CO_ASSIGN_OR_RETURN(Response res, co_await client_.request(std::move(req)));
  LS_CO_ASSIGN_OR_RETURN(auto v, parseBody(res.body, "inspect network"));
  co_return decodeNetworkInfo(v);
}

asio::awaitable<Result<RemoveOutcome>> Api::removeNetwork(const std::string& nameOrId) {
  Request req{.method = "DELETE",
              .path = "/networks/" + nameOrId,
              .operation = quoted("remove network", nameOrId)};
  auto res = co_await client_.request(std::move(req));
  if (!res) {
    if (res.error().code() == Errc::NotFound) {
      co_return RemoveOutcome::AlreadyRemoved;
    }
    co_return std::move(res).error();
  }
  co_return RemoveOutcome::Removed;
}

asio::awaitable<Result<std::string>> Api::createExec(const std::string& containerId,
                                                     const ExecCreate& spec) {
  if (client_.apiVersion().empty()) {
    LS_CO_TRY(co_await client_.negotiate());  // ConsoleSize depends on the version
  }
  std::string body;
  if (spec.consoleSize && !supportsConsoleSize(client_.apiVersion())) {
    ExecCreate older = spec;
    older.consoleSize.reset();
    body = encodeExecCreate(older);
  } else {
    body = encodeExecCreate(spec);
  }
  Request req{.method = "POST",
              .path = "/containers/" + containerId + "/exec",
              .body = std::move(body),
              .operation = quoted("exec in container", containerId)};
  LS_CO_ASSIGN_OR_RETURN(Response res, co_await client_.request(std::move(req)));
  LS_CO_ASSIGN_OR_RETURN(auto v, parseBody(res.body, "exec in container"));
  if (!v.is_object() || !v.as_object().contains("Id") || !v.as_object().at("Id").is_string()) {
    co_return Error(Errc::InvalidArgument, "exec in container: the engine's answer has no Id");
  }
  co_return std::string(v.as_object().at("Id").as_string());
}

asio::awaitable<Result<std::unique_ptr<LogStream>>> Api::startExec(const std::string& execId) {
  Request req{.method = "POST",
              .path = "/exec/" + execId + "/start",
              .body = R"({"Detach":false,"Tty":false})",
              .operation = quoted("start exec", execId)};
  LS_CO_ASSIGN_OR_RETURN(auto body, co_await client_.stream(std::move(req)));
  // Without a TTY the output is multiplexed whatever Content-Type the engine announces.
  co_return std::make_unique<LogStream>(
      std::move(body), std::make_unique<FrameDecoder>(FrameDecoder::Mode::Multiplexed));
}

asio::awaitable<Result<std::unique_ptr<ExecStream>>> Api::startExecAttached(
    const std::string& execId, const ExecStart& start) {
  if (client_.apiVersion().empty()) {
    LS_CO_TRY(co_await client_.negotiate());
  }
  boost::json::object body;
  body["Detach"] = false;
  body["Tty"] = start.tty;
  if (start.tty && start.consoleSize && supportsConsoleSize(client_.apiVersion())) {
    body["ConsoleSize"] = boost::json::array{start.consoleSize->height, start.consoleSize->width};
  }
  Request req{.method = "POST",
              .path = "/exec/" + execId + "/start",
              .body = boost::json::serialize(body),
              .operation = quoted("start exec", execId)};
  LS_CO_ASSIGN_OR_RETURN(std::unique_ptr<UpgradedConnection> conn,
                         co_await client_.upgrade(std::move(req)));
  co_return std::make_unique<ExecStream>(std::move(conn), start.tty);
}

asio::awaitable<Result<void>> Api::resizeExec(const std::string& execId, const TtySize& size) {
  Request req{.method = "POST",
              .path = "/exec/" + execId + "/resize",
              .operation = quoted("resize exec", execId)};
  req.query.emplace_back("h", std::to_string(size.height));
  req.query.emplace_back("w", std::to_string(size.width));
  LS_CO_TRY(co_await client_.request(std::move(req)));
  co_return ok();
}

asio::awaitable<Result<std::unique_ptr<ExecStream>>> Api::attachContainer(const std::string& id,
                                                                          bool attachStdin,
                                                                          bool tty) {
  if (client_.apiVersion().empty()) {
    LS_CO_TRY(co_await client_.negotiate());
  }
  Request req{.method = "POST",
              .path = "/containers/" + id + "/attach",
              .operation = quoted("attach container", id)};
  req.query.emplace_back("stream", "1");
  req.query.emplace_back("stdout", "1");
  req.query.emplace_back("stderr", "1");
  if (attachStdin) {
    req.query.emplace_back("stdin", "1");
  }
  LS_CO_ASSIGN_OR_RETURN(std::unique_ptr<UpgradedConnection> conn,
                         co_await client_.upgrade(std::move(req)));
  co_return std::make_unique<ExecStream>(std::move(conn), tty);
}

asio::awaitable<Result<void>> Api::resizeContainer(const std::string& id, const TtySize& size) {
  Request req{.method = "POST",
              .path = "/containers/" + id + "/resize",
              .operation = quoted("resize container", id)};
  req.query.emplace_back("h", std::to_string(size.height));
  req.query.emplace_back("w", std::to_string(size.width));
  LS_CO_TRY(co_await client_.request(std::move(req)));
  co_return ok();
}

asio::awaitable<Result<int>> Api::execExitCode(const std::string& execId) {
  Request req{.path = "/exec/" + execId + "/json", .operation = quoted("inspect exec", execId)};
  LS_CO_ASSIGN_OR_RETURN(Response res, co_await client_.request(std::move(req)));
  LS_CO_ASSIGN_OR_RETURN(auto v, parseBody(res.body, "inspect exec"));
  if (!v.is_object()) {
    co_return Error(Errc::InvalidArgument, "inspect exec: unexpected answer");
  }
  const auto& o = v.as_object();
  if (auto* running = o.if_contains("Running");
      running && running->is_bool() && running->as_bool()) {
    co_return Error(Errc::FailedPrecondition, "exec " + execId + " is still running");
  }
  auto* code = o.if_contains("ExitCode");
  if (code == nullptr || !code->is_number()) {
    co_return Error(Errc::InvalidArgument, "inspect exec: no ExitCode in the answer");
  }
  co_return static_cast<int>(code->to_number<std::int64_t>());
}

asio::awaitable<Result<RemoveOutcome>> Api::removeVolume(const std::string& name) {
  Request req{
      .method = "DELETE", .path = "/volumes/" + name, .operation = quoted("remove volume", name)};
  auto res = co_await client_.request(std::move(req));
  if (!res) {
    if (res.error().code() == Errc::NotFound) {
      co_return RemoveOutcome::AlreadyRemoved;
    }
    co_return std::move(res).error();
  }
  co_return RemoveOutcome::Removed;
}

// ---------------------------------------------------------------------------------------------
// Events

struct EventsStream::Impl {
  explicit Impl(std::unique_ptr<ResponseStream> body) : messages(std::move(body)) {}
  JsonMessages messages;
};

EventsStream::EventsStream(std::unique_ptr<ResponseStream> body)
    : impl_(std::make_unique<Impl>(std::move(body))) {}
EventsStream::~EventsStream() = default;
void EventsStream::close() { impl_->messages.close(); }

asio::awaitable<Result<std::optional<EngineEvent>>> EventsStream::next() {
  LS_CO_ASSIGN_OR_RETURN(std::optional<boost::json::value> v, co_await impl_->messages.next());
  if (!v) {
    co_return std::optional<EngineEvent>();
  }
  LS_CO_ASSIGN_OR_RETURN(EngineEvent e, decodeEngineEvent(*v));
  co_return std::optional<EngineEvent>(std::move(e));
}

asio::awaitable<Result<std::unique_ptr<EventsStream>>> Api::events(const EventsOptions& options) {
  Request req{.path = "/events", .operation = "subscribe to engine events"};
  if (options.since) {
    req.query.emplace_back("since", *options.since);
  }
  if (options.until) {
    req.query.emplace_back("until", *options.until);
  }
  if (!options.filters.empty()) {
    req.query.emplace_back("filters", encodeFilters(options.filters));
  }
  LS_CO_ASSIGN_OR_RETURN(auto body, co_await client_.stream(std::move(req)));
  co_return std::make_unique<EventsStream>(std::move(body));
}

}  // namespace ls::engine
