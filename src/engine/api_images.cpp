// Engine API calls for the archive and image operations of the wider runtime surface, and the
// JSON mapping of their answers.
#include "engine/api_images.hpp"

#include <algorithm>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <chrono>

#include "engine/json_messages.hpp"
#include "engine/json_reader.hpp"
#include "engine/mapping.hpp"
#include "engine/ndjson.hpp"
#include "lightshuttle/engine/api.hpp"

namespace asio = boost::asio;
namespace json = boost::json;

namespace ls::engine {
namespace {

using namespace std::chrono_literals;

/// Bound on the requests that upload or process a whole tar or image (until the answer's header
/// for streams).
constexpr std::chrono::milliseconds kLongTimeout = 10min;

std::string quoted(std::string_view what, std::string_view id) {
  return std::string(what) + " '" + std::string(id) + "'";
}

/// A name that can go verbatim into the request path.
Result<void> checkPathName(std::string_view kind, std::string_view name) {
  if (name.empty()) {
    return Error(Errc::InvalidArgument, "empty " + std::string(kind) + " name");
  }
  for (char c : name) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f || c == '?' || c == '#' || c == '%') {
      return Error(Errc::InvalidArgument,
                   std::string(kind) + " name '" + std::string(name) +
                       "' has a character an engine " +
                       "never accepts in a name (whitespace, control, '?', '#' or '%')");
    }
  }
  return ok();
}

std::string_view trimLine(std::string_view s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) {
    s.remove_suffix(1);
  }
  while (!s.empty() && s.front() == ' ') {
    s.remove_prefix(1);
  }
  return s;
}

/// The elements of a top-level array (null counts as empty).
Result<const json::array*> topArray(const json::value& v, std::string_view what) {
  static const json::array kEmpty;
  if (v.is_null()) {
    return &kEmpty;
  }
  if (!v.is_array()) {
    return Error(Errc::InvalidArgument,
                 "engine response: '" + std::string(what) + "' is not an array");
  }
  return &v.as_array();
}

std::vector<std::string> without(std::vector<std::string> v, std::string_view placeholder) {
  std::erase(v, std::string(placeholder));
  return v;
}

ImageDeleteItem deleteItem(JsonReader f) {
  ImageDeleteItem out;
  out.untagged = f.str("Untagged");
  out.deleted = f.str("Deleted");
  return out;
}

ProgressMessage decodeProgress(const json::value& v, std::optional<Error>& err) {
  JsonReader f(v, "progress", err);
  ProgressMessage out;
  out.id = f.str("id");
  out.status = f.str("status");
  out.stream = f.str("stream");
  JsonReader d = f.child("progressDetail");
  out.current = d.i64Lenient("current");
  out.total = d.i64Lenient("total");
  return out;
}

/// Reads a whole progress stream, handing each message to `onMessage`.
asio::awaitable<Result<void>> drain(ProgressStream& stream,
                                    const std::function<void(const ProgressMessage&)>& onMessage) {
  for (;;) {
    LS_CO_ASSIGN_OR_RETURN(std::optional<ProgressMessage> m, co_await stream.next());
    if (!m) {
      co_return ok();
    }
    onMessage(*m);
  }
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Pure helpers and decoders

Result<TagTarget> splitTagTarget(std::string_view target) {
  if (target.empty()) {
    return Error(Errc::InvalidArgument, "empty image reference to tag as");
  }
  if (target.find('@') != std::string_view::npos) {
    return Error(Errc::InvalidArgument, "cannot tag as '" + std::string(target) +
                                            "': a digest reference names content, not a tag; "
                                            "use repo[:tag]");
  }
  TagTarget out;
  const auto slash = target.rfind('/');
  const auto colon = target.rfind(':');
  if (colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash)) {
    out.repo = std::string(target.substr(0, colon));
    out.tag = std::string(target.substr(colon + 1));
    if (out.tag.empty()) {
      return Error(Errc::InvalidArgument, "empty tag in '" + std::string(target) + "'");
    }
  } else {
    out.repo = std::string(target);
    out.tag = "latest";
  }
  if (out.repo.empty()) {
    return Error(Errc::InvalidArgument, "empty repository in '" + std::string(target) + "'");
  }
  return out;
}

std::optional<std::string> digestFromPushStatus(std::string_view status) {
  constexpr std::string_view kMark = ": digest: ";
  const std::size_t at = status.find(kMark);
  if (at == std::string_view::npos) {
    return std::nullopt;
  }
  std::string_view rest = status.substr(at + kMark.size());
  rest = rest.substr(0, rest.find(' '));
  if (!rest.starts_with("sha256:") || rest.size() <= 7) {
    return std::nullopt;
  }
  return std::string(rest);
}

std::optional<std::string> digestFromStatus(std::string_view status) {
  constexpr std::string_view kPrefix = "Digest: ";
  if (status.substr(0, kPrefix.size()) != kPrefix) {
    return std::nullopt;
  }
  const std::string_view digest = trimLine(status.substr(kPrefix.size()));
  if (digest.find(':') == std::string_view::npos) {
    return std::nullopt;
  }
  return std::string(digest);
}

std::optional<std::string> loadedImageFromLine(std::string_view line) {
  line = trimLine(line);
  for (std::string_view prefix :
       {std::string_view("Loaded image ID: "), std::string_view("Loaded image: ")}) {
    if (line.substr(0, prefix.size()) == prefix) {
      const std::string_view rest = trimLine(line.substr(prefix.size()));
      if (rest.empty()) {
        return std::nullopt;
      }
      return std::string(rest);
    }
  }
  return std::nullopt;
}

Result<std::vector<ImageListItem>> decodeImageList(std::string_view body) {
  LS_ASSIGN_OR_RETURN(json::value v, parseBody(body, "list images"));
  LS_ASSIGN_OR_RETURN(const json::array* arr, topArray(v, "images"));
  std::optional<Error> err;
  std::vector<ImageListItem> out;
  out.reserve(arr->size());
  for (std::size_t i = 0; i < arr->size(); ++i) {
    JsonReader f((*arr)[i], "images[" + std::to_string(i) + "]", err);
    ImageListItem item;
    item.id = f.str("Id");
    item.parentId = f.str("ParentId");
    item.repoTags = without(f.strings("RepoTags"), "<none>:<none>");
    item.repoDigests = without(f.strings("RepoDigests"), "<none>@<none>");
    item.created = f.i64Lenient("Created");
    item.size = f.i64Lenient("Size");
    item.labels = f.stringMap("Labels");
    out.push_back(std::move(item));
  }
  if (err) {
    return std::move(*err);
  }
  return out;
}

Result<ImageInspect> decodeImageInspect(std::string_view body) {
  LS_ASSIGN_OR_RETURN(json::value v, parseBody(body, "inspect image"));
  std::optional<Error> err;
  JsonReader f(v, "image", err);
  ImageInspect out;
  out.id = f.str("Id");
  out.repoTags = f.strings("RepoTags");
  out.repoDigests = f.strings("RepoDigests");
  out.parent = f.str("Parent");
  out.comment = f.str("Comment");
  out.created = f.str("Created");
  out.author = f.str("Author");
  out.architecture = f.str("Architecture");
  out.os = f.str("Os");
  out.size = f.i64Lenient("Size");
  JsonReader cfg = f.child("Config");
  out.env = cfg.strings("Env");
  out.cmd = cfg.strings("Cmd");
  out.entrypoint = cfg.strings("Entrypoint");
  out.workingDir = cfg.str("WorkingDir");
  out.user = cfg.str("User");
  out.labels = cfg.stringMap("Labels");
  out.layers = f.child("RootFS").strings("Layers");
  if (err) {
    return std::move(*err);
  }
  return out;
}

Result<std::vector<ImageHistoryItem>> decodeImageHistory(std::string_view body) {
  LS_ASSIGN_OR_RETURN(json::value v, parseBody(body, "image history"));
  LS_ASSIGN_OR_RETURN(const json::array* arr, topArray(v, "history"));
  std::optional<Error> err;
  std::vector<ImageHistoryItem> out;
  out.reserve(arr->size());
  for (std::size_t i = 0; i < arr->size(); ++i) {
    JsonReader f((*arr)[i], "history[" + std::to_string(i) + "]", err);
    ImageHistoryItem item;
    item.id = f.str("Id");
    item.created = f.i64Lenient("Created");
    item.createdBy = f.str("CreatedBy");
    item.tags = f.strings("Tags");
    item.size = f.i64Lenient("Size");
    item.comment = f.str("Comment");
    out.push_back(std::move(item));
  }
  if (err) {
    return std::move(*err);
  }
  return out;
}

Result<std::vector<ImageDeleteItem>> decodeImageDelete(std::string_view body) {
  LS_ASSIGN_OR_RETURN(json::value v, parseBody(body, "remove image"));
  LS_ASSIGN_OR_RETURN(const json::array* arr, topArray(v, "deleted"));
  std::optional<Error> err;
  std::vector<ImageDeleteItem> out;
  for (std::size_t i = 0; i < arr->size(); ++i) {
    out.push_back(deleteItem(JsonReader((*arr)[i], "deleted[" + std::to_string(i) + "]", err)));
  }
  if (err) {
    return std::move(*err);
  }
  return out;
}

Result<ImagePruneResult> decodeImagePrune(std::string_view body) {
  LS_ASSIGN_OR_RETURN(json::value v, parseBody(body, "prune images"));
  std::optional<Error> err;
  JsonReader f(v, "prune", err);
  ImagePruneResult out;
  out.spaceReclaimed = static_cast<std::uint64_t>(f.i64Lenient("SpaceReclaimed"));
  if (v.is_object()) {
    if (const json::value* d = v.as_object().if_contains("ImagesDeleted"); d != nullptr) {
      auto arr = topArray(*d, "prune.ImagesDeleted");
      if (!arr) {
        return std::move(arr).error();
      }
      for (std::size_t i = 0; i < (*arr)->size(); ++i) {
        out.items.push_back(deleteItem(
            JsonReader((**arr)[i], "prune.ImagesDeleted[" + std::to_string(i) + "]", err)));
      }
    }
  }
  if (err) {
    return std::move(*err);
  }
  return out;
}

Result<std::string> decodeCommitId(std::string_view body) {
  LS_ASSIGN_OR_RETURN(json::value v, parseBody(body, "commit container"));
  std::optional<Error> err;
  JsonReader f(v, "commit", err);
  std::string id = f.str("Id");
  if (err) {
    return std::move(*err);
  }
  if (id.empty()) {
    return Error(Errc::InvalidArgument, "commit container: the engine's answer has no Id");
  }
  return id;
}

Result<std::vector<std::string>> decodeSearchTags(std::string_view body) {
  LS_ASSIGN_OR_RETURN(json::value v, parseBody(body, "search images"));
  LS_ASSIGN_OR_RETURN(const json::array* arr, topArray(v, "search"));
  std::optional<Error> err;
  std::vector<std::string> out;
  out.reserve(arr->size());
  for (std::size_t i = 0; i < arr->size(); ++i) {
    JsonReader f((*arr)[i], "search[" + std::to_string(i) + "]", err);
    out.push_back(f.str("Tag"));
  }
  if (err) {
    return std::move(*err);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// ProgressStream

struct ProgressStream::Impl {
  Impl(std::unique_ptr<ResponseStream> body, std::string w)
      : messages(std::move(body)), what(std::move(w)) {}
  JsonMessages messages;
  std::string what;
};

ProgressStream::ProgressStream(std::unique_ptr<ResponseStream> body, std::string what)
    : impl_(std::make_unique<Impl>(std::move(body), std::move(what))) {}

ProgressStream::~ProgressStream() = default;

void ProgressStream::close() { impl_->messages.close(); }

asio::awaitable<Result<std::optional<ProgressMessage>>> ProgressStream::next() {
  auto& s = *impl_;
  auto v = co_await s.messages.next();
  if (!v) {
    co_return std::move(v).error().context(s.what);
  }
  if (!*v) {
    co_return std::optional<ProgressMessage>();
  }
  if (auto e = streamError(**v)) {
    co_return std::move(*e).context(s.what);
  }
  std::optional<Error> err;
  ProgressMessage m = decodeProgress(**v, err);
  if (err) {
    co_return std::move(*err).context(s.what);
  }
  co_return std::optional<ProgressMessage>(std::move(m));
}

// ---------------------------------------------------------------------------------------------
// Archives, export, commit

asio::awaitable<Result<std::string>> ImagesApi::archiveHead(const std::string& container,
                                                            const std::string& path) {
  LS_CO_TRY(checkPathName("container", container));
  const std::string what = "stat '" + path + "' in container '" + container + "'";
  Request req{.method = "HEAD",
              .path = "/containers/" + container + "/archive",
              .query = {{"path", path}},
              .operation = what};
  LS_CO_ASSIGN_OR_RETURN(Response res, co_await client_.request(std::move(req)));
  const std::string_view stat = res.header("X-Docker-Container-Path-Stat");
  if (stat.empty()) {
    co_return Error(Errc::Internal,
                    what + ": the engine's answer has no X-Docker-Container-Path-Stat");
  }
  co_return std::string(stat);
}

asio::awaitable<Result<std::unique_ptr<ResponseStream>>> ImagesApi::archiveGet(
    const std::string& container, const std::string& path) {
  LS_CO_TRY(checkPathName("container", container));
  Request req{.path = "/containers/" + container + "/archive",
              .query = {{"path", path}},
              .timeout = kLongTimeout,
              .operation = "copy '" + path + "' from container '" + container + "'"};
  co_return co_await client_.stream(std::move(req));
}

asio::awaitable<Result<void>> ImagesApi::archivePut(const std::string& container,
                                                    const std::string& path, std::string tar,
                                                    const ArchivePutParams& params) {
  LS_CO_TRY(checkPathName("container", container));
  Request req{.method = "PUT",
              .path = "/containers/" + container + "/archive",
              .query = {{"path", path},
                        {"noOverwriteDirNonDir", params.noOverwriteDirNonDir ? "1" : "0"},
                        {"copyUIDGID", params.copyUidGid ? "1" : "0"}},
              .body = std::move(tar),
              .contentType = "application/x-tar",
              .timeout = kLongTimeout,
              .operation = "copy into '" + path + "' of container '" + container + "'"};
  auto res = co_await client_.request(std::move(req));
  if (!res) {
    Error e = std::move(res).error();
    // 403: a read-only filesystem or volume. The target cannot take the archive: a bad
    // argument of this call, not a missing permission of the caller.
    if (e.engine() && e.engine()->status == 403) {
      Error out(Errc::InvalidArgument, e.message());
      co_return std::move(out).withEngine(403, e.engine()->message);
    }
    co_return e;
  }
  co_return ok();
}

asio::awaitable<Result<std::unique_ptr<ResponseStream>>> ImagesApi::exportContainer(
    const std::string& container) {
  LS_CO_TRY(checkPathName("container", container));
  Request req{.path = "/containers/" + container + "/export",
              .timeout = kLongTimeout,
              .operation = quoted("export container", container)};
  co_return co_await client_.stream(std::move(req));
}

asio::awaitable<Result<std::string>> ImagesApi::commit(const CommitParams& p) {
  LS_CO_TRY(checkPathName("container", p.container));
  if (p.repo.empty() && !p.tag.empty()) {
    co_return Error(Errc::InvalidArgument, "commit container '" + p.container + "': tag '" + p.tag +
                                               "' given without a repository");
  }
  Request req{.method = "POST",
              .path = "/commit",
              .timeout = kLongTimeout,
              .operation = quoted("commit container", p.container)};
  req.query.emplace_back("container", p.container);
  if (!p.repo.empty()) {
    req.query.emplace_back("repo", p.repo);
    req.query.emplace_back("tag", p.tag.empty() ? "latest" : p.tag);
  }
  if (!p.comment.empty()) {
    req.query.emplace_back("comment", p.comment);
  }
  if (!p.author.empty()) {
    req.query.emplace_back("author", p.author);
  }
  req.query.emplace_back("pause", p.pause ? "1" : "0");
  for (const auto& change : p.changes) {
    req.query.emplace_back("changes", change);
  }
  if (p.emptyConfigBody) {
    req.body = "{}";
  }
  LS_CO_ASSIGN_OR_RETURN(Response res, co_await client_.request(std::move(req)));
  co_return decodeCommitId(res.body);
}

// ---------------------------------------------------------------------------------------------
// Images

asio::awaitable<Result<std::vector<ImageListItem>>> ImagesApi::listImages() {
  Request req{.path = "/images/json", .operation = "list images"};
  LS_CO_ASSIGN_OR_RETURN(Response res, co_await client_.request(std::move(req)));
  co_return decodeImageList(res.body);
}

asio::awaitable<Result<ImageInspect>> ImagesApi::inspectImage(const std::string& reference) {
  LS_CO_TRY(checkPathName("image", reference));
  Request req{.path = "/images/" + reference + "/json",
              .operation = quoted("inspect image", reference)};
  LS_CO_ASSIGN_OR_RETURN(Response res, co_await client_.request(std::move(req)));
  co_return decodeImageInspect(res.body);
}

asio::awaitable<Result<std::vector<ImageHistoryItem>>> ImagesApi::imageHistory(
    const std::string& reference) {
  LS_CO_TRY(checkPathName("image", reference));
  Request req{.path = "/images/" + reference + "/history",
              .operation = quoted("read the history of image", reference)};
  LS_CO_ASSIGN_OR_RETURN(Response res, co_await client_.request(std::move(req)));
  co_return decodeImageHistory(res.body);
}

asio::awaitable<Result<void>> ImagesApi::tagImage(const std::string& source,
                                                  const TagTarget& target) {
  LS_CO_TRY(checkPathName("image", source));
  Request req{
      .method = "POST",
      .path = "/images/" + source + "/tag",
      .query = {{"repo", target.repo}, {"tag", target.tag}},
      .operation = "tag image '" + source + "' as '" + target.repo + ":" + target.tag + "'"};
  LS_CO_TRY(co_await client_.request(std::move(req)));
  co_return ok();
}

asio::awaitable<Result<std::vector<ImageDeleteItem>>> ImagesApi::removeImage(
    const std::string& reference, bool force) {
  LS_CO_TRY(checkPathName("image", reference));
  Request req{.method = "DELETE",
              .path = "/images/" + reference,
              .query = {{"force", force ? "1" : "0"}},
              .operation = quoted("remove image", reference)};
  LS_CO_ASSIGN_OR_RETURN(Response res, co_await client_.request(std::move(req)));
  co_return decodeImageDelete(res.body);
}

asio::awaitable<Result<ImagePruneResult>> ImagesApi::pruneImages() {
  Request req{.method = "POST",
              .path = "/images/prune",
              .query = {{"filters", R"({"dangling":["true"]})"}},
              .timeout = kLongTimeout,
              .operation = "prune dangling images"};
  LS_CO_ASSIGN_OR_RETURN(Response res, co_await client_.request(std::move(req)));
  co_return decodeImagePrune(res.body);
}

asio::awaitable<Result<std::unique_ptr<ResponseStream>>> ImagesApi::saveImages(
    const std::vector<std::string>& references) {
  if (references.empty()) {
    co_return Error(Errc::InvalidArgument, "save images: no image named");
  }
  std::string names;
  Request req{.path = "/images/get", .timeout = kLongTimeout};
  for (const auto& r : references) {
    LS_CO_TRY(checkPathName("image", r));
    req.query.emplace_back("names", r);
    names += names.empty() ? "'" + r + "'" : ", '" + r + "'";
  }
  req.operation = "save images " + names;
  co_return co_await client_.stream(std::move(req));
}

asio::awaitable<Result<std::vector<std::string>>> ImagesApi::loadImages(
    std::string tar, const std::function<void(const ProgressMessage&)>& onProgress) {
  if (tar.empty()) {
    co_return Error(Errc::InvalidArgument, "load images: empty archive");
  }
  const std::string what = "load images";
  Request req{.method = "POST",
              .path = "/images/load",
              .query = {{"quiet", "0"}},
              .body = std::move(tar),
              .contentType = "application/x-tar",
              .timeout = kLongTimeout,
              .operation = what};
  LS_CO_ASSIGN_OR_RETURN(auto body, co_await client_.stream(std::move(req)));
  ProgressStream stream(std::move(body), what);
  std::vector<std::string> loaded;
  const std::function<void(const ProgressMessage&)> onMessage = [&](const ProgressMessage& m) {
    std::string_view text = m.stream;
    while (!text.empty()) {
      const auto nl = text.find('\n');
      if (auto ref = loadedImageFromLine(text.substr(0, nl))) {
        loaded.push_back(std::move(*ref));
      }
      text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    }
    if (onProgress) {
      onProgress(m);
    }
  };
  LS_CO_TRY(co_await drain(stream, onMessage));
  if (loaded.empty()) {
    co_return Error(Errc::Internal, what + ": the engine did not say what it loaded");
  }
  co_return loaded;
}

asio::awaitable<Result<std::string>> ImagesApi::importImage(
    std::string rootfsTar, const std::optional<TagTarget>& target) {
  if (rootfsTar.empty()) {
    co_return Error(Errc::InvalidArgument, "import image: empty archive");
  }
  const std::string what = !target ? std::string("import image")
                           : target->tag.empty()
                               ? "import image '" + target->repo + "'"
                               : "import image '" + target->repo + ":" + target->tag + "'";
  Request req{.method = "POST",
              .path = "/images/create",
              .query = {{"fromSrc", "-"}},
              .body = std::move(rootfsTar),
              .contentType = "application/x-tar",
              .timeout = kLongTimeout,
              .operation = what};
  if (target) {
    req.query.emplace_back("repo", target->repo);
    if (!target->tag.empty()) {
      req.query.emplace_back("tag", target->tag);
    }
  }
  LS_CO_ASSIGN_OR_RETURN(auto body, co_await client_.stream(std::move(req)));
  ProgressStream stream(std::move(body), what);
  // The engine ends with a status that is the new image's id.
  std::string id;
  const std::function<void(const ProgressMessage&)> onMessage = [&](const ProgressMessage& m) {
    if (m.status.rfind("sha256:", 0) == 0) {
      id = m.status;
    }
  };
  LS_CO_TRY(co_await drain(stream, onMessage));
  if (id.empty()) {
    co_return Error(Errc::Internal, what + ": the engine did not say the new image's id");
  }
  co_return id;
}

asio::awaitable<Result<std::string>> ImagesApi::pushImage(
    const std::string& reference, const std::function<void(const ProgressMessage&)>& onProgress) {
  const ImageRef ref = splitImageRef(reference);
  LS_CO_TRY(checkPathName("image", ref.repository));
  const std::string what = quoted("push image", reference);
  Request req{.method = "POST",
              .path = "/images/" + ref.repository + "/push",
              .query = {{"tag", ref.tag}},
              .headers = {{"X-Registry-Auth", "e30="}},  // base64 of "{}"
              .timeout = kLongTimeout,
              .operation = what};
  LS_CO_ASSIGN_OR_RETURN(auto body, co_await client_.stream(std::move(req)));
  ProgressStream stream(std::move(body), what);
  std::string digest;
  const std::function<void(const ProgressMessage&)> onMessage = [&](const ProgressMessage& m) {
    if (auto d = digestFromPushStatus(m.status)) {
      digest = *d;
    }
    if (onProgress) {
      onProgress(m);
    }
  };
  if (Result<void> drained = co_await drain(stream, onMessage); !drained) {
    Error e = std::move(drained).error();
    co_return Error(Errc::FailedPrecondition, e.message()).withReason("push_failed");
  }
  if (digest.empty()) {
    co_return Error(Errc::Internal, what + ": the engine did not say the pushed digest");
  }
  co_return digest;
}

asio::awaitable<Result<std::unique_ptr<ProgressStream>>> ImagesApi::pullStream(
    const std::string& reference) {
  LS_CO_TRY(checkPathName("image", reference));
  const ImageRef ref = splitImageRef(reference);
  const std::string what = quoted("pull image", reference);
  Request req{.method = "POST",
              .path = "/images/create",
              .query = {{"fromImage", ref.repository}, {"tag", ref.tag}},
              .timeout = kLongTimeout,
              .operation = what};
  LS_CO_ASSIGN_OR_RETURN(auto body, co_await client_.stream(std::move(req)));
  co_return std::make_unique<ProgressStream>(std::move(body), what);
}

asio::awaitable<Error> ImagesApi::pullFailure(const std::string& reference, Error failure) {
  const bool podman = client_.pingInfo() && client_.pingInfo()->podman;
  // An error inside the stream has status 200 (engine/ndjson.cpp streamError) unless the
  // errorDetail carried an HTTP status.
  const bool inStream = failure.engine() && failure.engine()->status == 200;
  const ImageRef ref = splitImageRef(reference);
  const bool byDigest = ref.tag.find(':') != std::string::npos;
  if (!podman || !inStream || byDigest || failure.code() != Errc::Internal) {
    co_return failure;
  }
  // The listing stops at `limit` tags: one that fills it may have left the tag out.
  constexpr std::size_t kLimit = 10000;
  Request req{
      .path = "/images/search",
      .query = {{"term", ref.repository}, {"listTags", "true"}, {"limit", std::to_string(kLimit)}},
      .timeout = kLongTimeout,
      .operation = quoted("list the tags of", ref.repository)};
  auto listed = co_await client_.request(std::move(req));
  if (!listed) {
    co_return failure;
  }
  auto tags = decodeSearchTags(listed->body);
  if (!tags || tags->empty() || tags->size() >= kLimit ||
      std::find(tags->begin(), tags->end(), ref.tag) != tags->end()) {
    co_return failure;
  }
  Error notFound(Errc::NotFound, failure.message());
  for (const std::string& frame : failure.contexts()) {
    notFound.context(frame);
  }
  notFound.withEngine(failure.engine()->status, failure.engine()->message);
  co_return notFound;
}

}  // namespace ls::engine
