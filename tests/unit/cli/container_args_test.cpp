// The pure parts of `cp`, `port` and `stats`: argument readers, docker cp's placement rules,
// docker stats' units and columns, the text table.
#include "cli/container_args.hpp"

#include <gtest/gtest.h>

#include "cli/stats_view.hpp"
#include "cli/text_table.hpp"

namespace ls::cli {
namespace {

TEST(CopyEndpointTest, ReadsContainerHostAndStreamSidesAsDockerCpDoes) {
  // Ensures `web:/etc/hosts` is a container path, `web:etc` is taken from /, a colon after a
  // '/' (`./a:b`) or an absolute path stays a host path, and `-` is the tar stream.
  auto c = parseCopyEndpoint("web:/etc/hosts");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->kind, CopyEndpoint::Kind::Container);
  EXPECT_EQ(c->resource, "web");
  EXPECT_EQ(c->path, "/etc/hosts");
  auto rel = parseCopyEndpoint("db:var/lib/.");
  ASSERT_TRUE(rel);
  EXPECT_EQ(rel->path, "/var/lib/.");
  for (const char* host : {"./a:b", "/tmp/x:y", "plain", "dir/file", "."}) {
    auto h = parseCopyEndpoint(host);
    ASSERT_TRUE(h) << host;
    EXPECT_EQ(h->kind, CopyEndpoint::Kind::Host) << host;
    EXPECT_EQ(h->path, host);
  }
  auto s = parseCopyEndpoint("-");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->kind, CopyEndpoint::Kind::Stream);
}

TEST(CopyEndpointTest, RefusesEmptyPiecesNamingThem) {
  // Ensures an empty argument, a missing resource (`:/x`) and a missing path (`web:`) are
  // InvalidArgument with a message that says what to write.
  for (const char* bad : {"", ":/x", "web:"}) {
    auto r = parseCopyEndpoint(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code(), Errc::InvalidArgument);
  }
  EXPECT_NE(parseCopyEndpoint("web:").error().message().find("web:/PATH"), std::string::npos);
  EXPECT_NE(parseCopyEndpoint(":/x").error().message().find("./:/x"), std::string::npos);
}

TEST(CopyPlacementTest, FollowsDockerCpRules) {
  // Ensures: into an existing directory the source keeps its base name (or, for `SRC/.`, its
  // contents go in); a missing destination takes the source under its own name in its parent;
  // an existing file is overwritten by a file and refused for a directory; a missing parent
  // or a file to `missing/` is refused.
  const DestinationState dir{.exists = true, .isDirectory = true, .parentIsDirectory = true};
  const DestinationState file{.exists = true, .isDirectory = false, .parentIsDirectory = true};
  const DestinationState missing{.exists = false, .isDirectory = false, .parentIsDirectory = true};
  const DestinationState orphan{.exists = false, .isDirectory = false, .parentIsDirectory = false};

  auto a = placeCopy("/etc/app/", true, "/tmp/out", dir);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->directory, "/tmp/out");
  EXPECT_EQ(a->name, "app");
  auto contents = placeCopy("/etc/app/.", true, "/tmp/out", dir);
  ASSERT_TRUE(contents);
  EXPECT_EQ(contents->name, "");
  auto fresh = placeCopy("/etc/app", true, "/tmp/out/copy", missing);
  ASSERT_TRUE(fresh);
  EXPECT_EQ(fresh->directory, "/tmp/out");
  EXPECT_EQ(fresh->name, "copy");
  auto over = placeCopy("hosts", false, "data/hosts.txt", file);
  ASSERT_TRUE(over);
  EXPECT_EQ(over->directory, "data");
  EXPECT_EQ(over->name, "hosts.txt");
  auto relative = placeCopy("hosts", false, "copy", missing);
  ASSERT_TRUE(relative);
  EXPECT_EQ(relative->directory, ".");

  EXPECT_EQ(placeCopy("/etc/app", true, "/tmp/f", file).error().code(), Errc::FailedPrecondition);
  EXPECT_EQ(placeCopy("/etc/hosts", false, "/tmp/nodir/", missing).error().code(),
            Errc::FailedPrecondition);
  auto noParent = placeCopy("/etc/hosts", false, "/nope/x", orphan);
  ASSERT_FALSE(noParent);
  EXPECT_NE(noParent.error().message().find("'/nope'"), std::string::npos)
      << noParent.error().message();
}

TEST(CopyPlacementTest, BaseAndParentNames) {
  // Ensures the path helpers cp relies on handle trailing slashes, `/.`, the root and bare names.
  EXPECT_EQ(baseName("/a/b/"), "b");
  EXPECT_EQ(baseName("/a/b/."), ".");
  EXPECT_EQ(baseName("/"), "/");
  EXPECT_EQ(baseName("b"), "b");
  EXPECT_EQ(parentPath("/a/b"), "/a");
  EXPECT_EQ(parentPath("/a/b/"), "/a");
  EXPECT_EQ(parentPath("/b"), "/");
  EXPECT_EQ(parentPath("b"), ".");
}

TEST(PortSpecTest, ReadsPortAndProtocol) {
  // Ensures `80`, `80/tcp` and `53/udp` read, and 0, 65536, words and unknown protocols fail.
  auto p = parsePortSpec("80");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->port, 80);
  EXPECT_EQ(p->protocol, runtime::Protocol::Tcp);
  auto u = parsePortSpec("53/udp");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->port, 53);
  EXPECT_EQ(u->protocol, runtime::Protocol::Udp);
  EXPECT_TRUE(parsePortSpec("65535/tcp"));
  for (const char* bad : {"0", "65536", "http", "", "80/icmp", "80/", "-1", "123456"}) {
    auto r = parsePortSpec(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code(), Errc::InvalidArgument) << bad;
  }
}

runtime::StatsSample sampleAt(std::uint64_t cpu, std::uint64_t system) {
  runtime::StatsSample s;
  s.cpuTotalNs = cpu;
  s.cpuSystemNs = system;
  s.onlineCpus = 4;
  s.memoryUsedBytes = 512ULL * 1024 * 1024;
  s.memoryLimitBytes = 2ULL * 1024 * 1024 * 1024;
  s.networkRxBytes = 1200;
  s.networkTxBytes = 35400000;
  s.blockReadBytes = 0;
  s.blockWriteBytes = 4096;
  s.pidsCurrent = 7;
  return s;
}

TEST(StatsViewTest, UnitsAndPercentagesAsDockerStats) {
  // Ensures memory prints in binary units with four significant digits, I/O in decimal units
  // with three, the memory percentage is of the limit (0 without one), and the CPU column is
  // docker's formula (here 1e8 of 4e8 ns system time on 4 CPUs: 100%).
  EXPECT_EQ(binaryBytes(0), "0B");
  EXPECT_EQ(binaryBytes(512), "512B");
  EXPECT_EQ(binaryBytes(1536 * 1024), "1.5MiB");
  EXPECT_EQ(binaryBytes(2000ULL * 1024 * 1024 * 1024 / 1024), "1.953GiB");
  EXPECT_EQ(decimalBytes(0), "0B");
  EXPECT_EQ(decimalBytes(1200), "1.2kB");
  EXPECT_EQ(decimalBytes(35400000), "35.4MB");
  EXPECT_EQ(decimalBytes(999), "999B");

  const runtime::StatsSample a = sampleAt(1'000'000'000, 10'000'000'000);
  const runtime::StatsSample b = sampleAt(1'100'000'000, 10'400'000'000);
  EXPECT_DOUBLE_EQ(memoryPercent(b), 25.0);
  runtime::StatsSample unlimited = b;
  unlimited.memoryLimitBytes = 0;
  EXPECT_DOUBLE_EQ(memoryPercent(unlimited), 0.0);

  EXPECT_EQ(statsHeader().size(), 7U);
  const std::vector<std::string> row = statsRow("db", a, b);
  ASSERT_EQ(row.size(), 7U);
  EXPECT_EQ(row[0], "db");
  EXPECT_EQ(row[1], "100.00%");
  EXPECT_EQ(row[2], "512MiB / 2GiB");
  EXPECT_EQ(row[3], "25.00%");
  EXPECT_EQ(row[4], "1.2kB / 35.4MB");
  EXPECT_EQ(row[5], "0B / 4.1kB");
  EXPECT_EQ(row[6], "7");
  EXPECT_EQ(statsRow("db", std::nullopt, b)[1], "--");
  EXPECT_EQ(statsRow("db", std::nullopt, unlimited)[2], "512MiB / --");
}

TEST(StatsViewTest, JsonLineCarriesEveryField) {
  // Ensures the JSON line names the resource and container and carries the computed
  // percentages and raw byte counts.
  const std::string line = statsJsonLine("db", "demo_db", sampleAt(0, 0), sampleAt(100, 400));
  for (const char* field :
       {"\"resource\":\"db\"", "\"container\":\"demo_db\"", "\"cpu_percent\":1E2",
        "\"memory_percent\":2.5E1", "\"memory_bytes\":536870912", "\"net_tx_bytes\":35400000",
        "\"pids\":7", "\"ts\":"}) {
    EXPECT_NE(line.find(field), std::string::npos) << field << " in " << line;
  }
  EXPECT_EQ(line.find('\n'), std::string::npos);
}

TEST(TextTableTest, AlignsColumnsWithoutTrailingBlanks) {
  // Ensures columns are padded to the widest cell plus three spaces, short rows get empty
  // cells, and no line ends in blanks.
  const std::string t =
      renderTable({"UID", "PID", "CMD"}, {{"root", "1", "sleep 3600"}, {"nobody", "22"}});
  EXPECT_EQ(t,
            "UID      PID   CMD\n"
            "root     1     sleep 3600\n"
            "nobody   22\n");
}

}  // namespace
}  // namespace ls::cli
