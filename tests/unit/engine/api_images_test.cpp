// Unit tests of the engine-level images calls of the wider runtime surface: exact requests sent and
// JSON mapped, over the scripted transport (fake_transport.hpp).
#include "engine/api_images.hpp"

#include <gtest/gtest.h>

#include "support/loop.hpp"
#include "unit/engine/fake_transport.hpp"

namespace ls::engine {
namespace {

using testing::chunkedResponse;
using testing::FakeConnector;
using testing::FakeEngine;
using testing::httpResponse;

// --- pure helpers ----------------------------------------------------------------------------

TEST(ImagesMappingTest, SplitsTagTargets) {
  // Ensures a tag target splits at the last ':' only after the last '/' (registry ports stay in
  // the repository), defaults to latest, and refuses digests and empty parts.
  struct Row {
    std::string target;
    std::string repo;
    std::string tag;
  };
  const std::vector<Row> rows = {
      {"app", "app", "latest"},
      {"app:v1", "app", "v1"},
      {"lightshuttle-test/it-1:x", "lightshuttle-test/it-1", "x"},
      {"localhost:5000/app", "localhost:5000/app", "latest"},
      {"127.0.0.1:5000/team/app:2.0", "127.0.0.1:5000/team/app", "2.0"},
  };
  for (const auto& r : rows) {
    auto got = splitTagTarget(r.target);
    ASSERT_TRUE(got) << r.target << ": " << got.error().what();
    EXPECT_EQ(got->repo, r.repo) << r.target;
    EXPECT_EQ(got->tag, r.tag) << r.target;
  }
  for (const char* bad :
       {"", "app@sha256:0123abcd", "localhost:5000/app@sha256:0123abcd", "app:", ":v1"}) {
    auto got = splitTagTarget(bad);
    ASSERT_FALSE(got) << bad;
    EXPECT_EQ(got.error().code(), Errc::InvalidArgument) << bad;
  }
}

TEST(ImagesMappingTest, FindsDigestAndLoadedImages) {
  // Ensures the pull digest and the load results are read from their status/stream lines only.
  EXPECT_EQ(digestFromStatus("Digest: sha256:1397"), "sha256:1397");
  EXPECT_EQ(digestFromStatus("Digest: sha256:1397\n"), "sha256:1397");
  EXPECT_FALSE(digestFromStatus("Status: Image is up to date for x:latest"));
  EXPECT_FALSE(digestFromStatus("Digest: "));
  EXPECT_FALSE(digestFromStatus("Pulling from x"));
  EXPECT_EQ(loadedImageFromLine("Loaded image: lightshuttle-test/it-1:x\n"),
            "lightshuttle-test/it-1:x");
  EXPECT_EQ(loadedImageFromLine("Loaded image ID: sha256:abcd\n"), "sha256:abcd");
  EXPECT_EQ(loadedImageFromLine("Loaded image: 127.0.0.1:5000/a/b:c"), "127.0.0.1:5000/a/b:c");
  EXPECT_FALSE(loadedImageFromLine("Loading layer"));
  EXPECT_FALSE(loadedImageFromLine("Loaded image: \n"));
  EXPECT_FALSE(loadedImageFromLine(""));
}

TEST(ImagesMappingTest, DecodesImageListWithoutNonePlaceholders) {
  // Ensures the list keeps every image but drops the "<none>:<none>" / "<none>@<none>" entries,
  // and reads created (unix seconds), size, labels and a null RepoDigests.
  const std::string body = R"([
    {"Id":"sha256:aa","ParentId":"sha256:pp","RepoTags":["a:1","b:2"],"RepoDigests":null,
     "Created":1795420559,"Size":1985580,"Labels":{"k":"v"},"Containers":-1},
    {"Id":"sha256:bb","RepoTags":["<none>:<none>"],"RepoDigests":["<none>@<none>"],
     "Created":1,"Size":2,"Labels":null}])";
  auto got = decodeImageList(body);
  ASSERT_TRUE(got) << got.error().what();
  ASSERT_EQ(got->size(), 2u);
  const auto& a = got->at(0);
  EXPECT_EQ(a.id, "sha256:aa");
  EXPECT_EQ(a.parentId, "sha256:pp");
  EXPECT_EQ(a.repoTags, (std::vector<std::string>{"a:1", "b:2"}));
  EXPECT_TRUE(a.repoDigests.empty());
  EXPECT_EQ(a.created, 1795420559);
  EXPECT_EQ(a.size, 1985580);
  EXPECT_EQ(a.labels.at("k"), "v");
  EXPECT_EQ(got->at(1).id, "sha256:bb");
  EXPECT_TRUE(got->at(1).repoTags.empty());
  EXPECT_TRUE(got->at(1).repoDigests.empty());
  auto empty = decodeImageList("null");
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->empty());
}

TEST(ImagesMappingTest, WrongTypesNameTheField) {
  // Ensures a field of the wrong type is InvalidArgument naming its path, and non-JSON too.
  auto list = decodeImageList(R"([{"Id":"x"},{"Id":"y","RepoTags":"a:1"}])");
  ASSERT_FALSE(list);
  EXPECT_EQ(list.error().code(), Errc::InvalidArgument);
  EXPECT_NE(list.error().what().find("images[1].RepoTags"), std::string::npos)
      << list.error().what();
  auto inspect = decodeImageInspect(R"({"Id":"x","Config":{"Env":[1]}})");
  ASSERT_FALSE(inspect);
  EXPECT_NE(inspect.error().what().find("image.Config.Env"), std::string::npos)
      << inspect.error().what();
  auto notObject = decodeImageList(R"({"Id":"x"})");
  EXPECT_FALSE(notObject);
  auto garbage = decodeImageHistory("<html>");
  ASSERT_FALSE(garbage);
  EXPECT_EQ(garbage.error().code(), Errc::InvalidArgument);
}

TEST(ImagesMappingTest, DecodesImageInspect) {
  // Ensures inspect maps ids, tags, platform, size, author/comment and the config fields.
  const std::string body = R"({
    "Id":"sha256:d187","RepoTags":["lightshuttle-test/busybox:latest"],
    "RepoDigests":["127.0.0.1:5000/lightshuttle-test/busybox@sha256:1397"],
    "Parent":"sha256:3816","Comment":"imported","Created":"2026-11-23T08:15:59.5Z",
    "Author":"me","Architecture":"amd64","Os":"linux","Size":1985580,
    "Config":{"Env":["PATH=/bin","X=1"],"Cmd":["sh"],"Entrypoint":null,"WorkingDir":"/srv",
              "User":"1000","Labels":{"a":"b"}},
    "RootFS":{"Type":"layers","Layers":["sha256:l1","sha256:l2"]}})";
  auto got = decodeImageInspect(body);
  ASSERT_TRUE(got) << got.error().what();
  EXPECT_EQ(got->id, "sha256:d187");
  EXPECT_EQ(got->repoTags.at(0), "lightshuttle-test/busybox:latest");
  EXPECT_EQ(got->repoDigests.at(0), "127.0.0.1:5000/lightshuttle-test/busybox@sha256:1397");
  EXPECT_EQ(got->parent, "sha256:3816");
  EXPECT_EQ(got->comment, "imported");
  EXPECT_EQ(got->created, "2026-11-23T08:15:59.5Z");
  EXPECT_EQ(got->author, "me");
  EXPECT_EQ(got->architecture, "amd64");
  EXPECT_EQ(got->os, "linux");
  EXPECT_EQ(got->size, 1985580);
  EXPECT_EQ(got->env, (std::vector<std::string>{"PATH=/bin", "X=1"}));
  EXPECT_EQ(got->cmd, (std::vector<std::string>{"sh"}));
  EXPECT_TRUE(got->entrypoint.empty());
  EXPECT_EQ(got->workingDir, "/srv");
  EXPECT_EQ(got->user, "1000");
  EXPECT_EQ(got->labels.at("a"), "b");
  EXPECT_EQ(got->layers, (std::vector<std::string>{"sha256:l1", "sha256:l2"}));
}

TEST(ImagesMappingTest, DecodesHistoryDeleteCommitAndPrune) {
  // Ensures history entries, delete items (Untagged/Deleted in order), the commit Id and the
  // prune report are mapped; a commit answer without Id is an error.
  auto history = decodeImageHistory(
      R"([{"Id":"sha256:d1","Created":1795420559,"CreatedBy":"/bin/sh -c #(nop)  CMD [\"sh\"]",
           "Tags":["a:1"],"Size":0,"Comment":""},
          {"Id":"<missing>","Created":5,"CreatedBy":"COPY x","Tags":null,"Size":108,"Comment":"c"}])");
  ASSERT_TRUE(history) << history.error().what();
  ASSERT_EQ(history->size(), 2u);
  EXPECT_EQ(history->at(0).id, "sha256:d1");
  EXPECT_EQ(history->at(0).created, 1795420559);
  EXPECT_EQ(history->at(0).createdBy, "/bin/sh -c #(nop)  CMD [\"sh\"]");
  EXPECT_EQ(history->at(0).tags, (std::vector<std::string>{"a:1"}));
  EXPECT_EQ(history->at(1).id, "<missing>");
  EXPECT_TRUE(history->at(1).tags.empty());
  EXPECT_EQ(history->at(1).size, 108);
  EXPECT_EQ(history->at(1).comment, "c");

  auto del = decodeImageDelete(
      R"([{"Untagged":"a:1"},{"Untagged":"a@sha256:x"},{"Deleted":"sha256:d1"}])");
  ASSERT_TRUE(del) << del.error().what();
  const std::vector<ImageDeleteItem> want = {
      {.untagged = "a:1"}, {.untagged = "a@sha256:x"}, {.deleted = "sha256:d1"}};
  EXPECT_EQ(*del, want);

  auto id = decodeCommitId(R"({"Id":"sha256:b2e8"})");
  ASSERT_TRUE(id);
  EXPECT_EQ(*id, "sha256:b2e8");
  EXPECT_FALSE(decodeCommitId(R"({})"));

  auto prune = decodeImagePrune(
      R"({"ImagesDeleted":[{"Untagged":"x:1"},{"Deleted":"sha256:d8"}],"SpaceReclaimed":1986542})");
  ASSERT_TRUE(prune) << prune.error().what();
  EXPECT_EQ(prune->spaceReclaimed, 1986542u);
  ASSERT_EQ(prune->items.size(), 2u);
  EXPECT_EQ(prune->items[0].untagged, "x:1");
  EXPECT_EQ(prune->items[1].deleted, "sha256:d8");
  auto none = decodeImagePrune(R"({"ImagesDeleted":null,"SpaceReclaimed":0})");
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->items.empty());
}

// --- requests over the scripted transport ----------------------------------------------------

class ImagesApiTest : public testing::ScriptedEngineTest {
 protected:
  void SetUp() override {
    connectClient();
    api = std::make_unique<ImagesApi>(*client);
  }
  /// Every body piece of a stream, concatenated.
  std::string readAll(ResponseStream& s) {
    std::string out;
    for (;;) {
      auto piece = run(s.next());
      EXPECT_TRUE(piece) << piece.error().what();
      if (!piece || !*piece) {
        return out;
      }
      out += **piece;
    }
  }

  std::unique_ptr<ImagesApi> api;
};

TEST_F(ImagesApiTest, ArchiveHeadReturnsThePathStatHeader) {
  // Ensures HEAD .../archive?path= is sent with the path percent-encoded and the stat header is
  // returned verbatim; a 404 (no body on HEAD) is NotFound; an answer without it is Internal.
  const std::string stat =
      "eyJuYW1lIjoiZXRjIiwic2l6ZSI6NDA5NiwibW9kZSI6MjE0NzQ4NDE0MSwibXRpbWUiOiIyMDI2LTExLTIzVDExOjE0"
      "OjExLjk4NjkwOTk4MVoiLCJsaW5rVGFyZ2V0IjoiIn0=";
  engine->exchanges.push_back({.response = "HTTP/1.1 200 OK\r\nX-Docker-Container-Path-Stat: " +
                                           stat + "\r\nContent-Length: 0\r\n\r\n"});
  engine->exchanges.push_back({.response =
                                   "HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\n"
                                   "Content-Length: 122\r\n\r\n"});
  engine->exchanges.push_back({.response = httpResponse(200, "")});
  auto got = run(api->archiveHead("c1", "/etc"));
  ASSERT_TRUE(got) << got.error().what();
  EXPECT_EQ(*got, stat);
  EXPECT_EQ(line(0), "HEAD /v1.41/containers/c1/archive?path=%2Fetc");
  auto missing = run(api->archiveHead("c1", "/no such"));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code(), Errc::NotFound);
  EXPECT_EQ(line(1), "HEAD /v1.41/containers/c1/archive?path=%2Fno%20such");
  auto noHeader = run(api->archiveHead("c1", "/"));
  ASSERT_FALSE(noHeader);
  EXPECT_EQ(noHeader.error().code(), Errc::Internal);
}

TEST_F(ImagesApiTest, ArchiveGetAndExportStreamTheTar) {
  // Ensures archive GET and export are streamed verbatim from their endpoints.
  engine->exchanges.push_back({.response = chunkedResponse(200, {"tar-part-1|", "tar-part-2"},
                                                           "Content-Type: application/x-tar\r\n")});
  engine->exchanges.push_back({.response = chunkedResponse(200, {"rootfs"})});
  auto tar = run(api->archiveGet("c1", "/tmp/a.txt"));
  ASSERT_TRUE(tar) << tar.error().what();
  EXPECT_EQ(readAll(**tar), "tar-part-1|tar-part-2");
  EXPECT_EQ(line(0), "GET /v1.41/containers/c1/archive?path=%2Ftmp%2Fa.txt");
  auto fs = run(api->exportContainer("c1"));
  ASSERT_TRUE(fs) << fs.error().what();
  EXPECT_EQ(readAll(**fs), "rootfs");
  EXPECT_EQ(line(1), "GET /v1.41/containers/c1/export");
}

TEST_F(ImagesApiTest, ArchivePutSendsTheTarAndClassifiesRefusals) {
  // Ensures PUT .../archive carries the flags and the tar as application/x-tar; 404 is NotFound,
  // 400 and 403 are InvalidArgument keeping the engine's message.
  for (int i = 0; i < 2; ++i) {
    engine->exchanges.push_back({.response = httpResponse(200, "")});
  }
  engine->exchanges.push_back(
      {.response =
           httpResponse(404, R"({"message":"Could not find the file /nope in container c1"})")});
  engine->exchanges.push_back(
      {.response = httpResponse(400, R"({"message":"extraction point is not a directory"})")});
  engine->exchanges.push_back(
      {.response = httpResponse(403, R"({"message":"container rootfs is marked read-only"})")});
  const std::string tar(1024, 'T');
  const ArchivePutParams none;
  ASSERT_TRUE(run(api->archivePut("c1", "/tmp", tar, none)));
  EXPECT_EQ(head(0),
            "PUT /v1.41/containers/c1/archive?path=%2Ftmp&noOverwriteDirNonDir=0&copyUIDGID=0 "
            "HTTP/1.1\r\n"
            "Host: docker\r\nUser-Agent: lightshuttle/0.1\r\nContent-Type: application/x-tar\r\n"
            "Content-Length: 1024\r\n\r\n");
  EXPECT_EQ(body(0), tar);
  const ArchivePutParams both{.noOverwriteDirNonDir = true, .copyUidGid = true};
  ASSERT_TRUE(run(api->archivePut("c1", "/", tar, both)));
  EXPECT_EQ(line(1),
            "PUT /v1.41/containers/c1/archive?path=%2F&noOverwriteDirNonDir=1&copyUIDGID=1");
  auto missing = run(api->archivePut("c1", "/nope", tar, none));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code(), Errc::NotFound);
  auto notDir = run(api->archivePut("c1", "/etc/passwd", tar, none));
  ASSERT_FALSE(notDir);
  EXPECT_EQ(notDir.error().code(), Errc::InvalidArgument);
  EXPECT_NE(notDir.error().what().find("extraction point is not a directory"), std::string::npos);
  auto readOnly = run(api->archivePut("c1", "/etc", tar, none));
  ASSERT_FALSE(readOnly);
  EXPECT_EQ(readOnly.error().code(), Errc::InvalidArgument);
  ASSERT_TRUE(readOnly.error().engine());
  EXPECT_EQ(readOnly.error().engine()->status, 403);
  EXPECT_EQ(readOnly.error().engine()->message, "container rootfs is marked read-only");
  EXPECT_NE(readOnly.error().what().find("read-only"), std::string::npos);
}

TEST_F(ImagesApiTest, CommitSendsEveryParameterAndRepeatsChanges) {
  // Ensures commit pauses by default (Docker's default, unlike ZLayer), sends repo/tag/comment/
  // author, one changes= per instruction, and returns the Id; no repo means no repo/tag.
  engine->exchanges.push_back({.response = httpResponse(201, R"({"Id":"sha256:b2e8"})")});
  engine->exchanges.push_back({.response = httpResponse(201, R"({"Id":"sha256:c3f9"})")});
  CommitParams p;
  p.container = "c1";
  p.repo = "lightshuttle-test/it-1";
  p.tag = "x";
  p.comment = "a note";
  p.author = "Dev <d@example.org>";
  p.changes = {"ENV X=1", R"(CMD ["sh"])"};
  auto id = run(api->commit(p));
  ASSERT_TRUE(id) << id.error().what();
  EXPECT_EQ(*id, "sha256:b2e8");
  EXPECT_EQ(line(0),
            "POST /v1.41/commit?container=c1&repo=lightshuttle-test%2Fit-1&tag=x&comment=a%20note"
            "&author=Dev%20%3Cd%40example.org%3E&pause=1&changes=ENV%20X%3D1"
            "&changes=CMD%20%5B%22sh%22%5D");
  CommitParams bare;
  bare.container = "c1";
  bare.pause = false;
  auto id2 = run(api->commit(bare));
  ASSERT_TRUE(id2) << id2.error().what();
  EXPECT_EQ(line(1), "POST /v1.41/commit?container=c1&pause=0");
  CommitParams tagOnly;
  tagOnly.container = "c1";
  tagOnly.tag = "x";
  auto bad = run(api->commit(tagOnly));
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code(), Errc::InvalidArgument);
  EXPECT_EQ(engine->requests.size(), 3u) << "refused before any request";
}

TEST_F(ImagesApiTest, ImageCallsHitTheirEndpoints) {
  // Ensures list, inspect, history, tag, remove and prune send the exact request lines and map
  // their answers; removal keeps the engine's order.
  engine->exchanges.push_back(
      {.response = httpResponse(200, R"([{"Id":"sha256:a","RepoTags":["a:1"]}])")});
  engine->exchanges.push_back({.response = httpResponse(200, R"({"Id":"sha256:a","Os":"linux"})")});
  engine->exchanges.push_back(
      {.response = httpResponse(200, R"([{"Id":"sha256:a","Created":3}])")});
  engine->exchanges.push_back({.response = httpResponse(201, "")});
  engine->exchanges.push_back(
      {.response = httpResponse(200, R"([{"Untagged":"a:2"},{"Deleted":"sha256:a"}])")});
  engine->exchanges.push_back(
      {.response = httpResponse(200, R"({"ImagesDeleted":null,"SpaceReclaimed":0})")});
  auto list = run(api->listImages());
  ASSERT_TRUE(list) << list.error().what();
  EXPECT_EQ(list->at(0).repoTags.at(0), "a:1");
  EXPECT_EQ(line(0), "GET /v1.41/images/json");
  auto info = run(api->inspectImage("127.0.0.1:5000/lightshuttle-test/busybox:latest"));
  ASSERT_TRUE(info) << info.error().what();
  EXPECT_EQ(info->os, "linux");
  EXPECT_EQ(line(1), "GET /v1.41/images/127.0.0.1:5000/lightshuttle-test/busybox:latest/json");
  auto history = run(api->imageHistory("a:1"));
  ASSERT_TRUE(history) << history.error().what();
  EXPECT_EQ(history->at(0).created, 3);
  EXPECT_EQ(line(2), "GET /v1.41/images/a:1/history");
  const TagTarget target{.repo = "localhost:5000/app", .tag = "v2"};
  ASSERT_TRUE(run(api->tagImage("a:1", target)));
  EXPECT_EQ(line(3), "POST /v1.41/images/a:1/tag?repo=localhost%3A5000%2Fapp&tag=v2");
  auto removed = run(api->removeImage("a:2", true));
  ASSERT_TRUE(removed) << removed.error().what();
  ASSERT_EQ(removed->size(), 2u);
  EXPECT_EQ(removed->at(0).untagged, "a:2");
  EXPECT_EQ(removed->at(1).deleted, "sha256:a");
  EXPECT_EQ(line(4), "DELETE /v1.41/images/a:2?force=1");
  auto pruned = run(api->pruneImages());
  ASSERT_TRUE(pruned) << pruned.error().what();
  EXPECT_TRUE(pruned->items.empty());
  EXPECT_EQ(line(5), "POST /v1.41/images/prune?filters=%7B%22dangling%22%3A%5B%22true%22%5D%7D");
}

TEST_F(ImagesApiTest, RemoveImageClassifiesConflictAndNotFound) {
  // Ensures removing an image in use is Conflict and a missing one NotFound (not a silent
  // AlreadyRemoved here: the caller asked for this image), with the engine's message.
  engine->exchanges.push_back(
      {.response = httpResponse(
           409,
           R"({"message":"conflict: unable to remove repository reference \"a:1\" (must force) - container c1 is using its referenced image d1"})")});
  engine->exchanges.push_back(
      {.response = httpResponse(404, R"({"message":"No such image: a:9"})")});
  auto inUse = run(api->removeImage("a:1", false));
  ASSERT_FALSE(inUse);
  EXPECT_EQ(inUse.error().code(), Errc::Conflict);
  EXPECT_EQ(line(0), "DELETE /v1.41/images/a:1?force=0");
  auto missing = run(api->removeImage("a:9", false));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code(), Errc::NotFound);
  EXPECT_NE(missing.error().what().find("No such image: a:9"), std::string::npos);
  auto tagMissing = TagTarget{.repo = "b", .tag = "latest"};
  engine->exchanges.push_back(
      {.response = httpResponse(404, R"({"message":"No such image: a:9"})")});
  auto tagged = run(api->tagImage("a:9", tagMissing));
  ASSERT_FALSE(tagged);
  EXPECT_EQ(tagged.error().code(), Errc::NotFound);
}

TEST_F(ImagesApiTest, NamesThatCannotGoInAPathAreRefusedBeforeAnyRequest) {
  // Ensures a reference with whitespace, '?', '#' or '%' (which would corrupt the request line)
  // or an empty one is InvalidArgument and nothing is sent.
  for (const char* bad : {"", "a b", "a?b", "a#b", "a%2Fb", "a\nb"}) {
    auto r = run(api->inspectImage(bad));
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code(), Errc::InvalidArgument) << bad;
  }
  const ArchivePutParams params;
  auto put = run(api->archivePut("c 1", "/", "x", params));
  EXPECT_FALSE(put);
  const std::vector<std::string> noNames;
  auto save = run(api->saveImages(noNames));
  ASSERT_FALSE(save);
  EXPECT_EQ(save.error().code(), Errc::InvalidArgument);
  EXPECT_TRUE(engine->requests.empty()) << "not even the version negotiation";
}

TEST_F(ImagesApiTest, SaveNamesEveryImage) {
  // Ensures save repeats names= per image and streams the tar.
  engine->exchanges.push_back({.response = chunkedResponse(200, {"saved", "-tar"})});
  const std::vector<std::string> names = {"a:1", "127.0.0.1:5000/b/c:2"};
  auto tar = run(api->saveImages(names));
  ASSERT_TRUE(tar) << tar.error().what();
  EXPECT_EQ(readAll(**tar), "saved-tar");
  EXPECT_EQ(line(0), "GET /v1.41/images/get?names=a%3A1&names=127.0.0.1%3A5000%2Fb%2Fc%3A2");
}

TEST_F(ImagesApiTest, LoadReportsProgressAndReturnsWhatWasLoaded) {
  // Ensures load posts the tar with quiet=0, reports every message in order (messages split
  // across chunks), and returns the references and ids of its "Loaded image" lines.
  engine->exchanges.push_back(
      {.response = chunkedResponse(
           200,
           {R"({"status":"Loading layer","progressDetail":{"current":512,"total":1024},"id":"4ba4"})"
            "\n"
            R"({"stream":"Loaded image: lightshuttle-test/it-1:x\n"})",
            "\n"
            R"({"stream":"Loaded image ID: sha256:d187\n"})"
            "\n"})});
  std::vector<ProgressMessage> seen;
  const std::function<void(const ProgressMessage&)> cb = [&](const ProgressMessage& m) {
    seen.push_back(m);
  };
  auto loaded = run(api->loadImages(std::string(2048, 'L'), cb));
  ASSERT_TRUE(loaded) << loaded.error().what();
  EXPECT_EQ(*loaded, (std::vector<std::string>{"lightshuttle-test/it-1:x", "sha256:d187"}));
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0].status, "Loading layer");
  EXPECT_EQ(seen[0].id, "4ba4");
  EXPECT_EQ(seen[0].current, 512);
  EXPECT_EQ(seen[0].total, 1024);
  EXPECT_EQ(seen[1].stream, "Loaded image: lightshuttle-test/it-1:x\n");
  EXPECT_EQ(
      head(0),
      "POST /v1.41/images/load?quiet=0 HTTP/1.1\r\nHost: docker\r\nUser-Agent: lightshuttle/0.1\r\n"
      "Content-Type: application/x-tar\r\nContent-Length: 2048\r\n\r\n");
  EXPECT_EQ(body(0), std::string(2048, 'L'));
}

TEST_F(ImagesApiTest, LoadFailsOnAStreamErrorOrWhenNothingWasLoaded) {
  // Ensures an errorDetail inside the 200 stream fails the load with the engine's message, and a
  // stream that never says what it loaded is an error rather than an empty success.
  engine->exchanges.push_back(
      {.response = chunkedResponse(
           200, {R"({"errorDetail":{"message":"unexpected EOF"},"error":"unexpected EOF"})"
                 "\n"})});
  engine->exchanges.push_back({.response = chunkedResponse(200, {R"({"stream":"\n"})"})});
  const std::function<void(const ProgressMessage&)> none;
  auto bad = run(api->loadImages("x", none));
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().what().find("unexpected EOF"), std::string::npos);
  EXPECT_NE(bad.error().what().find("load images"), std::string::npos);
  auto empty = run(api->loadImages("x", none));
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().code(), Errc::Internal);
  auto nothing = run(api->loadImages("", none));
  ASSERT_FALSE(nothing);
  EXPECT_EQ(nothing.error().code(), Errc::InvalidArgument);
}

TEST_F(ImagesApiTest, ImportUsesCreateFromSourceNotLoad) {
  // Ensures import posts the rootfs tar to /images/create?fromSrc=- (never /images/load) with
  // repo and tag, and returns the id of the final status line.
  engine->exchanges.push_back({.response = chunkedResponse(200, {R"({"status":"sha256:c95a"})"
                                                                 "\r\n"})});
  engine->exchanges.push_back({.response = chunkedResponse(200, {R"({"status":"sha256:4ad3"})"
                                                                 "\n"})});
  const std::optional<TagTarget> target = TagTarget{.repo = "lightshuttle-test/it-1", .tag = "imp"};
  auto id = run(api->importImage(std::string(1536, 'R'), target));
  ASSERT_TRUE(id) << id.error().what();
  EXPECT_EQ(*id, "sha256:c95a");
  EXPECT_EQ(head(0),
            "POST /v1.41/images/create?fromSrc=-&repo=lightshuttle-test%2Fit-1&tag=imp HTTP/1.1\r\n"
            "Host: docker\r\nUser-Agent: lightshuttle/0.1\r\nContent-Type: application/x-tar\r\n"
            "Content-Length: 1536\r\n\r\n");
  EXPECT_EQ(body(0), std::string(1536, 'R'));
  const std::optional<TagTarget> untagged;
  auto id2 = run(api->importImage("R", untagged));
  ASSERT_TRUE(id2) << id2.error().what();
  EXPECT_EQ(*id2, "sha256:4ad3");
  EXPECT_EQ(line(1), "POST /v1.41/images/create?fromSrc=-");

  // An empty tag is left out: the repo carries it (how the runtime tags an import on podman).
  engine->exchanges.push_back({.response = chunkedResponse(200, {R"({"status":"sha256:77aa"})"
                                                                 "\n"})});
  const std::optional<TagTarget> inRepo =
      TagTarget{.repo = "lightshuttle-test/it-1:imp", .tag = ""};
  ASSERT_TRUE(run(api->importImage("R", inRepo)));
  EXPECT_EQ(line(2), "POST /v1.41/images/create?fromSrc=-&repo=lightshuttle-test%2Fit-1%3Aimp");
}

TEST_F(ImagesApiTest, PullStreamYieldsMessagesThenEndsOrFails) {
  // Ensures pullStream splits the reference (registry port kept), yields each message in order,
  // ends cleanly, and turns an errorDetail inside the stream into an error.
  engine->exchanges.push_back(
      {.response = chunkedResponse(
           200,
           {R"({"status":"Pulling from lightshuttle-test/busybox","id":"latest"})"
            "\n",
            R"({"status":"Digest: sha256:1397"})"
            "\n"
            R"({"status":"Status: Image is up to date for 127.0.0.1:5000/lightshuttle-test/busybox:latest"})"
            "\n"})});
  engine->exchanges.push_back(
      {.response = chunkedResponse(
           200, {R"({"status":"Pulling fs layer","id":"l1"})"
                 "\n",
                 R"({"errorDetail":{"message":"unauthorized"},"error":"unauthorized"})"
                 "\n"})});
  auto s = run(api->pullStream("127.0.0.1:5000/lightshuttle-test/busybox"));
  ASSERT_TRUE(s) << s.error().what();
  EXPECT_EQ(line(0),
            "POST "
            "/v1.41/images/"
            "create?fromImage=127.0.0.1%3A5000%2Flightshuttle-test%2Fbusybox&tag=latest");
  std::vector<std::string> statuses;
  for (;;) {
    auto m = run((*s)->next());
    ASSERT_TRUE(m) << m.error().what();
    if (!*m) {
      break;
    }
    statuses.push_back((*m)->status);
  }
  ASSERT_EQ(statuses.size(), 3u);
  EXPECT_EQ(digestFromStatus(statuses[1]), "sha256:1397");
  auto bad = run(api->pullStream("x:1"));
  ASSERT_TRUE(bad) << bad.error().what();
  auto first = run((*bad)->next());
  ASSERT_TRUE(first && *first);
  EXPECT_EQ((*first)->id, "l1");
  auto err = run((*bad)->next());
  ASSERT_FALSE(err);
  EXPECT_NE(err.error().what().find("unauthorized"), std::string::npos);
  EXPECT_NE(err.error().what().find("pull image 'x:1'"), std::string::npos);
}

TEST_F(ImagesApiTest, PushSendsAnEmptyAuthAndReturnsTheRegistryDigest) {
  // Ensures push (issue 15, item 6) hits /images/{repo}/push?tag= with the registry port kept
  // in the path, sends the X-Registry-Auth header the engine requires, forwards every message,
  // returns the digest of the "<tag>: digest: ... size: N" line, and fails on an errorDetail.
  engine->exchanges.push_back(
      {.response = chunkedResponse(
           200, {R"({"status":"The push refers to repository [127.0.0.1:5000/team/app]"})"
                 "\n",
                 R"({"status":"Pushed","progressDetail":{},"id":"4ba4"})"
                 "\n"
                 R"({"status":"dev: digest: sha256:0a1b2c size: 527"})"
                 "\n"
                 R"({"progressDetail":{},"aux":{"Tag":"dev","Digest":"sha256:0a1b2c","Size":527}})"
                 "\n"})});
  engine->exchanges.push_back(
      {.response = chunkedResponse(
           200, {R"({"errorDetail":{"message":"connection refused"},"error":"connection refused"})"
                 "\n"})});
  std::vector<std::string> statuses;
  const std::function<void(const ProgressMessage&)> cb = [&](const ProgressMessage& m) {
    statuses.push_back(m.status);
  };
  auto digest = run(api->pushImage("127.0.0.1:5000/team/app:dev", cb));
  ASSERT_TRUE(digest) << digest.error().what();
  EXPECT_EQ(*digest, "sha256:0a1b2c");
  EXPECT_EQ(statuses.size(), 4u);
  EXPECT_EQ(line(0), "POST /v1.41/images/127.0.0.1:5000/team/app/push?tag=dev");
  EXPECT_NE(head(0).find("\r\nX-Registry-Auth: e30=\r\n"), std::string::npos) << head(0);
  auto refused = run(api->pushImage("127.0.0.1:5000/team/app:dev", {}));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), Errc::FailedPrecondition);
  EXPECT_EQ(refused.error().reason(), "push_failed");
  EXPECT_NE(refused.error().what().find("connection refused"), std::string::npos);
  EXPECT_EQ(digestFromPushStatus("latest: digest: sha256:ff size: 1"), "sha256:ff");
  EXPECT_EQ(digestFromPushStatus("Pushed"), std::nullopt);
}

}  // namespace
}  // namespace ls::engine
