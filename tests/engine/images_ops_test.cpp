// Engine tests of the images operations of DockerRuntime's wider surface, against the real engine:
// archives (docker cp), export, commit, and the images calls (list, inspect, history, tag, remove,
// prune, save, load, import, pull as a stream). Every container is labelled with the test's
// project and every image gets a unique lightshuttle-test/it-<random> tag; both are removed in
// TearDown. The shared lightshuttle-test/* images are never removed.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <map>

#include "archive/tar_writer.hpp"
#include "lightshuttle/core/clock.hpp"
#include "lightshuttle/runtime/docker_runtime.hpp"
#include "support/engine.hpp"

namespace ls::testing {
namespace {

using namespace std::chrono_literals;
using runtime::ContainerId;

/// The regular files of a tar (ustar, with PAX `path` and GNU long names), by name without a
/// leading "./" or "/"; directories and links map to "".
std::map<std::string, std::string> untar(const std::string& tar) {
  std::map<std::string, std::string> out;
  std::size_t pos = 0;
  std::string longName;
  auto octal = [](const char* p, std::size_t n) {
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < n && p[i] != '\0' && p[i] != ' '; ++i) {
      v = v * 8 + static_cast<std::uint64_t>(p[i] - '0');
    }
    return v;
  };
  while (pos + 512 <= tar.size()) {
    const char* h = tar.data() + pos;
    if (std::all_of(h, h + 512, [](char c) { return c == '\0'; })) {
      break;
    }
    const std::uint64_t size = octal(h + 124, 12);
    const char type = h[156];
    const std::string data = tar.substr(pos + 512, size);
    pos += 512 + (size + 511) / 512 * 512;
    if (type == 'x') {  // PAX: "<len> path=<name>\n" records
      std::size_t at = data.find(" path=");
      if (at != std::string::npos) {
        longName = data.substr(at + 6, data.find('\n', at) - at - 6);
      }
      continue;
    }
    if (type == 'L') {  // GNU long name
      longName = data.c_str();
      continue;
    }
    std::string name = std::string(h, strnlen(h, 100));
    const std::string prefix(h + 345, strnlen(h + 345, 155));
    if (!prefix.empty()) {
      name = prefix + "/" + name;
    }
    if (!longName.empty()) {
      name = longName;
      longName.clear();
    }
    while (name.rfind("./", 0) == 0) {
      name = name.substr(2);
    }
    while (!name.empty() && name.front() == '/') {
      name = name.substr(1);
    }
    out[name] = (type == '0' || type == '\0') ? data : std::string();
  }
  return out;
}

class ImagesOpsTest : public RuntimeEngineTest {
 protected:
  void TearDown() override {
    RuntimeEngineTest::TearDown();  // containers of this project first: they may hold the images
    for (const auto& ref : images) {
      (void)run(api->removeImage(ref, true));
    }
  }

  /// A unique image reference that TearDown removes.
  std::string uniqueRef(const std::string& tag = "x") {
    std::string ref = "lightshuttle-test/it-" + rng.hex(6) + ":" + tag;
    images.push_back(ref);
    return ref;
  }

  /// A running container of `image` (default busybox) labelled with this test's project.
  ContainerId startContainer(const std::string& image = kBusybox,
                             std::vector<std::string> cmd = {"sleep", "600"}) {
    engine::ContainerCreate c;
    c.image = image;
    c.cmd = std::move(cmd);
    c.labels = labels();
    auto created = run(api->createContainer(project + "_" + rng.hex(4), c));
    EXPECT_TRUE(created) << created.error().what();
    if (!created) {
      return {};
    }
    auto started = run(api->startContainer(created->id));
    EXPECT_TRUE(started) << started.error().what();
    return ContainerId{created->id};
  }

  std::string readAll(runtime::ByteStream& s) {
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

  std::string catFile(const ContainerId& id, const std::string& path) {
    runtime::ExecRequest r;
    r.cmd = {"cat", path};
    auto res = run(rt->exec(id, r));
    EXPECT_TRUE(res) << res.error().what();
    if (!res) {
      return {};
    }
    EXPECT_EQ(res->exitCode, 0) << res->stderrText;
    return res->stdoutText;
  }

  static std::string tarOf(const std::string& name, const std::string& content) {
    std::string tar;
    ls::archive::TarWriter w(tar);
    LS_CHECK(w.addEntry({.name = name, .mode = 0644, .size = content.size(), .mtime = 1700000000},
                        content));
    LS_CHECK(w.finish());
    return tar;
  }

  std::vector<std::string> images;
};

// --- archives --------------------------------------------------------------------------------

TEST_F(ImagesOpsTest, ArchivePutWritesAFileThatExecReadsBack) {
  // Ensures a tar put with archivePut lands in the directory (read back with `cat`), and that
  // archiveHead then stats it: a file of that size, a directory, a symlink.
  const ContainerId id = startContainer();
  ASSERT_FALSE(id.value.empty());
  const std::string content = "hello from archivePut\n";
  const runtime::ArchivePutOptions opts;
  ASSERT_TRUE(run(rt->archivePut(id, "/tmp", tarOf("hello.txt", content), opts)));
  EXPECT_EQ(catFile(id, "/tmp/hello.txt"), content);

  auto file = run(rt->archiveHead(id, "/tmp/hello.txt"));
  ASSERT_TRUE(file) << file.error().what();
  EXPECT_EQ(file->name, "hello.txt");
  EXPECT_EQ(file->size, static_cast<std::int64_t>(content.size()));
  EXPECT_FALSE(file->isDirectory());
  EXPECT_EQ(file->permissions(), 0644u);
  auto dir = run(rt->archiveHead(id, "/tmp"));
  ASSERT_TRUE(dir) << dir.error().what();
  EXPECT_TRUE(dir->isDirectory());
  auto link = run(rt->archiveHead(id, "/bin/sh"));
  ASSERT_TRUE(link) << link.error().what();
  EXPECT_TRUE(link->isSymlink());
  EXPECT_EQ(link->linkTarget, "/bin/busybox");
}

TEST_F(ImagesOpsTest, ArchiveHeadAndGetOfMissingPathsAreNotFound) {
  // Ensures a missing path or container is NotFound from archiveHead and from archiveGet (which
  // stats first, so nothing is streamed).
  const ContainerId id = startContainer();
  ASSERT_FALSE(id.value.empty());
  auto head = run(rt->archiveHead(id, "/no/such/path"));
  ASSERT_FALSE(head);
  EXPECT_EQ(head.error().code(), Errc::NotFound);
  auto get = run(rt->archiveGet(id, "/no/such/path"));
  ASSERT_FALSE(get);
  EXPECT_EQ(get.error().code(), Errc::NotFound);
  const ContainerId gone{"lightshuttle-no-such-container-" + rng.hex(4)};
  auto noContainer = run(rt->archiveHead(gone, "/"));
  ASSERT_FALSE(noContainer);
  EXPECT_EQ(noContainer.error().code(), Errc::NotFound);
}

TEST_F(ImagesOpsTest, ArchiveGetYieldsATarContainingTheFile) {
  // Ensures archiveGet of a file streams a tar holding that file with its content.
  const ContainerId id = startContainer();
  ASSERT_FALSE(id.value.empty());
  runtime::ExecRequest write;
  write.cmd = {"sh", "-c", "printf 'line one\\nline two\\n' > /tmp/got.txt"};
  auto wrote = run(rt->exec(id, write));
  ASSERT_TRUE(wrote && wrote->exitCode == 0);
  auto stream = run(rt->archiveGet(id, "/tmp/got.txt"));
  ASSERT_TRUE(stream) << stream.error().what();
  const auto files = untar(readAll(**stream));
  ASSERT_TRUE(files.count("got.txt")) << "entries: " << files.size();
  EXPECT_EQ(files.at("got.txt"), "line one\nline two\n");
}

TEST_F(ImagesOpsTest, ArchivePutRefusesWhatCannotBeWritten) {
  // Ensures archivePut fails for a file over a directory with noOverwriteDirNonDir (and leaves
  // the directory), is InvalidArgument into a path that is not a directory, and NotFound into a
  // missing one.
  const ContainerId id = startContainer();
  ASSERT_FALSE(id.value.empty());
  runtime::ArchivePutOptions strict;
  strict.noOverwriteDirNonDir = true;
  auto overDir = run(rt->archivePut(id, "/", tarOf("tmp", "not a directory\n"), strict));
  ASSERT_FALSE(overDir) << "a file replaced /tmp";
  auto tmp = run(rt->archiveHead(id, "/tmp"));
  ASSERT_TRUE(tmp) << tmp.error().what();
  EXPECT_TRUE(tmp->isDirectory());

  const runtime::ArchivePutOptions opts;
  auto intoFile = run(rt->archivePut(id, "/etc/passwd", tarOf("x", "x"), opts));
  ASSERT_FALSE(intoFile);
  EXPECT_EQ(intoFile.error().code(), Errc::InvalidArgument) << intoFile.error().what();
  auto intoMissing = run(rt->archivePut(id, "/no/such/dir", tarOf("x", "x"), opts));
  ASSERT_FALSE(intoMissing);
  EXPECT_EQ(intoMissing.error().code(), Errc::NotFound) << intoMissing.error().what();
}

TEST_F(ImagesOpsTest, ExportContainerYieldsTheWholeFilesystem) {
  // Ensures exportContainer streams a tar of the root filesystem, busybox binary included.
  const ContainerId id = startContainer();
  ASSERT_FALSE(id.value.empty());
  auto stream = run(rt->exportContainer(id));
  ASSERT_TRUE(stream) << stream.error().what();
  const auto files = untar(readAll(**stream));
  ASSERT_TRUE(files.count("bin/busybox"));
  EXPECT_GT(files.at("bin/busybox").size(), 100000u);
  EXPECT_TRUE(files.count("etc/passwd"));
}

// --- commit ----------------------------------------------------------------------------------

TEST_F(ImagesOpsTest, CommitMakesAnImageWithTheFileAndTheChanges) {
  // Ensures commit captures a file written in the container and applies `changes` (ENV shows in
  // inspectImage), that a container of the new image sees the file, and that removing an image a
  // container uses is Conflict without force.
  const ContainerId id = startContainer();
  ASSERT_FALSE(id.value.empty());
  const runtime::ArchivePutOptions opts;
  ASSERT_TRUE(run(rt->archivePut(id, "/tmp", tarOf("committed.txt", "kept\n"), opts)));
  const std::string ref = uniqueRef("c1");
  runtime::CommitOptions co;
  co.repo = ref.substr(0, ref.rfind(':'));
  co.tag = "c1";
  co.comment = "made by images_ops_test";
  co.author = "LightShuttle tests";
  co.changes = {"ENV X=1", "LABEL lightshuttle.it=commit"};
  auto imageId = run(rt->commit(id, co));
  ASSERT_TRUE(imageId) << imageId.error().what();
  EXPECT_EQ(imageId->rfind("sha256:", 0), 0u);

  auto details = run(rt->inspectImage(ref));
  ASSERT_TRUE(details) << details.error().what();
  EXPECT_EQ(details->id, *imageId);
  EXPECT_NE(std::find(details->env.begin(), details->env.end(), "X=1"), details->env.end());
  EXPECT_EQ(details->labels["lightshuttle.it"], "commit");
  EXPECT_EQ(details->comment, "made by images_ops_test");
  EXPECT_EQ(details->author, "LightShuttle tests");
  EXPECT_EQ(
      std::find(details->repoTags.begin(), details->repoTags.end(), ref) != details->repoTags.end(),
      true);

  const ContainerId child = startContainer(ref);
  ASSERT_FALSE(child.value.empty());
  EXPECT_EQ(catFile(child, "/tmp/committed.txt"), "kept\n");
  runtime::ExecRequest env;
  env.cmd = {"sh", "-c", "echo $X"};
  auto x = run(rt->exec(child, env));
  ASSERT_TRUE(x) << x.error().what();
  EXPECT_EQ(x->stdoutText, "1\n");

  auto inUse = run(rt->removeImage(ref, false));
  ASSERT_FALSE(inUse);
  EXPECT_EQ(inUse.error().code(), Errc::Conflict) << inUse.error().what();
}

// --- images ----------------------------------------------------------------------------------

TEST_F(ImagesOpsTest, InspectAndHistoryOfBusybox) {
  // Ensures inspectImage and imageHistory of the test image carry its id, platform, layers and
  // non-empty history; a missing image is NotFound for both.
  auto details = run(rt->inspectImage(kBusybox));
  ASSERT_TRUE(details) << details.error().what();
  EXPECT_EQ(details->id.rfind("sha256:", 0), 0u);
  EXPECT_EQ(details->os, "linux");
  EXPECT_FALSE(details->layers.empty());
  EXPECT_NE(std::find(details->repoTags.begin(), details->repoTags.end(), kBusybox),
            details->repoTags.end());
  auto history = run(rt->imageHistory(kBusybox));
  ASSERT_TRUE(history) << history.error().what();
  ASSERT_FALSE(history->empty());
  EXPECT_EQ(history->front().id, details->id);
  EXPECT_GT(history->front().created.time_since_epoch().count(), 0);
  EXPECT_TRUE(std::any_of(history->begin(), history->end(),
                          [](const auto& e) { return !e.createdBy.empty(); }));
  const std::string missing = "lightshuttle-test/it-missing-" + rng.hex(4) + ":x";
  auto noImage = run(rt->inspectImage(missing));
  ASSERT_FALSE(noImage);
  EXPECT_EQ(noImage.error().code(), Errc::NotFound);
  auto noHistory = run(rt->imageHistory(missing));
  ASSERT_FALSE(noHistory);
  EXPECT_EQ(noHistory.error().code(), Errc::NotFound);
}

TEST_F(ImagesOpsTest, TagThenListShowsItAndRemoveUntagsIt) {
  // Ensures tagImage adds the tag (a registry-port target without a tag becomes :latest), that
  // listImages shows it on busybox's id without "<none>:<none>" entries, and that removeImage
  // only untags (busybox stays); digest targets and missing sources are refused.
  auto busybox = run(rt->inspectImage(kBusybox));
  ASSERT_TRUE(busybox) << busybox.error().what();
  const std::string ref = uniqueRef("t1");
  ASSERT_TRUE(run(rt->tagImage(kBusybox, ref)));
  const std::string portRepo = registryAddr() + "/lightshuttle-test/it-" + rng.hex(6);
  images.push_back(portRepo + ":latest");
  ASSERT_TRUE(run(rt->tagImage(kBusybox, portRepo)));

  auto list = run(rt->listImages());
  ASSERT_TRUE(list) << list.error().what();
  bool found = false;
  for (const auto& img : *list) {
    EXPECT_EQ(std::count(img.repoTags.begin(), img.repoTags.end(), "<none>:<none>"), 0);
    EXPECT_EQ(std::count(img.repoDigests.begin(), img.repoDigests.end(), "<none>@<none>"), 0);
    if (std::find(img.repoTags.begin(), img.repoTags.end(), ref) != img.repoTags.end()) {
      found = true;
      EXPECT_EQ(img.id, busybox->id);
      EXPECT_NE(std::find(img.repoTags.begin(), img.repoTags.end(), portRepo + ":latest"),
                img.repoTags.end());
      EXPECT_GT(img.sizeBytes, 0);
    }
  }
  EXPECT_TRUE(found) << ref << " not listed";

  auto removed = run(rt->removeImage(ref, false));
  ASSERT_TRUE(removed) << removed.error().what();
  EXPECT_EQ(*removed, std::vector<std::string>{ref})
      << "only untagged: busybox keeps its other tags";
  auto gone = run(rt->inspectImage(ref));
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().code(), Errc::NotFound);
  auto still = run(rt->inspectImage(kBusybox));
  ASSERT_TRUE(still) << still.error().what();
  auto removedPort = run(rt->removeImage(portRepo, false));
  ASSERT_TRUE(removedPort) << removedPort.error().what();
  EXPECT_EQ(*removedPort, std::vector<std::string>{portRepo + ":latest"});

  auto byDigest =
      run(rt->tagImage(kBusybox, "lightshuttle-test/it-x@sha256:" + std::string(64, 'a')));
  ASSERT_FALSE(byDigest);
  EXPECT_EQ(byDigest.error().code(), Errc::InvalidArgument);
  const std::string missing = "lightshuttle-test/it-missing-" + rng.hex(4) + ":x";
  auto noSource = run(rt->tagImage(missing, uniqueRef("t2")));
  ASSERT_FALSE(noSource);
  EXPECT_EQ(noSource.error().code(), Errc::NotFound);
  auto noImage = run(rt->removeImage(missing, false));
  ASSERT_FALSE(noImage);
  EXPECT_EQ(noImage.error().code(), Errc::NotFound);
}

TEST_F(ImagesOpsTest, SaveThenRemoveThenLoadRestoresTheImage) {
  // Ensures a saved image, once removed, comes back by loadImages with the same id and tag, and
  // that load reports what it loaded.
  auto busybox = run(rt->inspectImage(kBusybox));
  ASSERT_TRUE(busybox) << busybox.error().what();
  const std::string ref = uniqueRef("s1");
  ASSERT_TRUE(run(rt->tagImage(kBusybox, ref)));
  const std::vector<std::string> names = {ref};
  auto saved = run(rt->saveImages(names));
  ASSERT_TRUE(saved) << saved.error().what();
  const std::string tar = readAll(**saved);
  const auto entries = untar(tar);
  EXPECT_TRUE(entries.count("manifest.json")) << "not a docker save archive";
  ASSERT_TRUE(run(rt->removeImage(ref, false)));
  auto gone = run(rt->inspectImage(ref));
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().code(), Errc::NotFound);

  std::vector<runtime::ImageProgress> progress;
  const runtime::ProgressCallback onProgress = [&](const runtime::ImageProgress& p) {
    progress.push_back(p);
  };
  auto loaded = run(rt->loadImages(tar, onProgress));
  ASSERT_TRUE(loaded) << loaded.error().what();
  EXPECT_EQ(*loaded, std::vector<std::string>{ref});
  EXPECT_FALSE(progress.empty());
  EXPECT_TRUE(std::any_of(progress.begin(), progress.end(),
                          [&](const auto& p) { return p.status == "Loaded image: " + ref; }));
  auto back = run(rt->inspectImage(ref));
  ASSERT_TRUE(back) << back.error().what();
  EXPECT_EQ(back->id, busybox->id);

  const std::vector<std::string> missing = {"lightshuttle-test/it-missing-" + rng.hex(4) + ":x"};
  auto noImage = run(rt->saveImages(missing));
  ASSERT_FALSE(noImage);
  EXPECT_EQ(noImage.error().code(), Errc::NotFound);
}

TEST_F(ImagesOpsTest, ImportOfAnExportedRootfsRuns) {
  // Ensures importImage turns a root filesystem tar (the export of a container) into a tagged
  // image on which `/bin/busybox true` runs.
  const ContainerId source = startContainer();
  ASSERT_FALSE(source.value.empty());
  auto stream = run(rt->exportContainer(source));
  ASSERT_TRUE(stream) << stream.error().what();
  const std::string rootfs = readAll(**stream);
  const std::string ref = uniqueRef("imp");
  auto id = run(rt->importImage(rootfs, ref));
  ASSERT_TRUE(id) << id.error().what();
  EXPECT_EQ(id->rfind("sha256:", 0), 0u);
  auto details = run(rt->inspectImage(ref));
  ASSERT_TRUE(details) << details.error().what();
  EXPECT_EQ(details->id, *id);

  const ContainerId ran = startContainer(ref, {"/bin/busybox", "true"});
  ASSERT_FALSE(ran.value.empty());
  auto code = run(api->waitContainer(ran.value, "not-running", 30s));
  ASSERT_TRUE(code) << code.error().what();
  EXPECT_EQ(*code, 0);

  auto bad = run(rt->importImage(rootfs, "lightshuttle-test/it-x@sha256:" + std::string(64, 'a')));
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code(), Errc::InvalidArgument);
}

TEST_F(ImagesOpsTest, PruneImagesReturns) {
  // Ensures pruneImages (dangling only) completes; what it deletes belongs to others, so only
  // the shape is checked, and busybox survives it.
  auto report = run(rt->pruneImages());
  ASSERT_TRUE(report) << report.error().what();
  for (const auto& d : report->deleted) {
    EXPECT_FALSE(d.empty());
  }
  EXPECT_TRUE(run(rt->inspectImage(kBusybox)));
}

TEST_F(ImagesOpsTest, PullStreamYieldsStatusThenOneDoneWithTheDigest) {
  // Ensures pullStream from the loopback registry yields Status events, then exactly one Done
  // carrying the sha256 digest the registry serves, then the end; a missing tag is NotFound.
  const std::string ref = registryAddr() + "/lightshuttle-test/busybox:latest";
  auto stream = run(rt->pullStream(ref));
  ASSERT_TRUE(stream) << stream.error().what();
  int statuses = 0;
  int dones = 0;
  std::string digest;
  std::string reference;
  for (;;) {
    auto ev = run((*stream)->next());
    ASSERT_TRUE(ev) << ev.error().what();
    if (!*ev) {
      break;
    }
    if ((*ev)->kind == runtime::PullEvent::Kind::Status) {
      EXPECT_EQ(dones, 0) << "Status after Done";
      EXPECT_EQ((*ev)->progress.image, ref);
      ++statuses;
    } else {
      ++dones;
      digest = (*ev)->digest;
      reference = (*ev)->reference;
    }
  }
  EXPECT_GT(statuses, 0);
  EXPECT_EQ(dones, 1);
  EXPECT_EQ(digest.rfind("sha256:", 0), 0u) << digest;
  EXPECT_EQ(digest.size(), 7u + 64u) << digest;
  EXPECT_EQ(reference, ref);

  // The digest is the manifest the registry serves for the tag: a pull by it succeeds (podman
  // also lists digests of manifests it wrote itself, which the registry does not have).
  auto byDigest = run(rt->pullStream(registryAddr() + "/lightshuttle-test/busybox@" + digest));
  ASSERT_TRUE(byDigest) << byDigest.error().what();
  for (;;) {
    auto ev = run((*byDigest)->next());
    ASSERT_TRUE(ev) << ev.error().what();
    if (!*ev) {
      break;
    }
    if ((*ev)->kind == runtime::PullEvent::Kind::Done) {
      EXPECT_EQ((*ev)->digest, digest);
    }
  }

  auto missing =
      run(rt->pullStream(registryAddr() + "/lightshuttle-test/busybox:no-such-tag-" + rng.hex(3)));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code(), Errc::NotFound) << missing.error().what();
}

}  // namespace
}  // namespace ls::testing
