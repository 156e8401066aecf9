#include "lightshuttle/manifest/grammar.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

namespace ls::manifest {
namespace {

using namespace std::chrono_literals;

struct DurationCase {
  std::string text;
  std::chrono::nanoseconds expected;
};

TEST(DurationTest, AcceptsUnitsDecimalsAndCompounds) {
  // Ensures every accepted duration spelling gives the exact number of nanoseconds.
  const std::vector<DurationCase> cases = {
      {"0s", 0ns},      {"5s", 5s},
      {"200ms", 200ms}, {"1.5h", 90min},
      {".5s", 500ms},   {"5.s", 5s},
      {"1m30s", 90s},   {"1h2m3s4ms", 3723004ms},
      {"10us", 10us},   {"7ns", 7ns},
      {" 3s ", 3s},     {"1.5ms", 1500us},
      {"2m", 2min},     {"1.000000001s", 1000000001ns},
      {"0.5us", 500ns},
  };
  for (const DurationCase& c : cases) {
    Result<std::chrono::nanoseconds> d = parseDuration(c.text);
    ASSERT_TRUE(d.has_value()) << c.text << ": " << d.error().message();
    EXPECT_EQ(*d, c.expected) << c.text;
  }
}

TEST(DurationTest, RejectsMalformedValuesWithAReason) {
  // Ensures each malformed duration is refused and the message names the problem.
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "empty value"},
      {"10", "missing unit"},
      {"10sec", "unknown unit 'sec'"},
      {"-5s", "a sign is not allowed"},
      {"5S", "unknown unit 'S'"},
      {".s", "at least one digit"},
      {"1..2s", "missing unit"},
      {"0.5ns", "below the 1ns resolution"},
      {"3000000h", "too large"},
      {"s", "expected a number"},
      {"5s 3m", "unknown unit 's '"},
  };
  for (const auto& [text, why] : cases) {
    Result<std::chrono::nanoseconds> d = parseDuration(text);
    ASSERT_FALSE(d.has_value()) << text;
    EXPECT_NE(d.error().message().find(why), std::string::npos)
        << text << " -> " << d.error().message();
    EXPECT_NE(d.error().message().find("expected a value like"), std::string::npos);
  }
}

TEST(DurationTest, FormatRoundTrips) {
  // Ensures formatDuration gives the compound spelling and parses back to the same value.
  const std::vector<std::pair<std::chrono::nanoseconds, std::string>> cases = {
      {0ns, "0s"},
      {90s, "1m30s"},
      {1500ms, "1s500ms"},
      {5s, "5s"},
      {3723004000001ns, "1h2m3s4ms1ns"}};
  for (const auto& [value, text] : cases) {
    EXPECT_EQ(formatDuration(value), text);
    EXPECT_EQ(*parseDuration(formatDuration(value)), value);
  }
}

struct ImageCase {
  std::string text;
  std::string registry, repository, tag, digest;
};

TEST(ImageReferenceTest, SplitsRegistryRepositoryTagAndDigest) {
  // Ensures the components of valid references, including registry ports and digests.
  const std::string hex(64, 'a');
  const std::vector<ImageCase> cases = {
      {"postgres", "", "postgres", "", ""},
      {"postgres:16-alpine", "", "postgres", "16-alpine", ""},
      {"lightshuttle-test/busybox:latest", "", "lightshuttle-test/busybox", "latest", ""},
      {"127.0.0.1:5000/team/app:1.2", "127.0.0.1:5000", "team/app", "1.2", ""},
      {"localhost/app", "localhost", "app", "", ""},
      {"localhost:5000/app", "localhost:5000", "app", "", ""},
      {"ghcr.io/org/a__b.c-d:v1_2", "ghcr.io", "org/a__b.c-d", "v1_2", ""},
      {"app@sha256:" + hex, "", "app", "", "sha256:" + hex},
      {"r.io:443/x/y:t@sha256:" + hex, "r.io:443", "x/y", "t", "sha256:" + hex},
  };
  for (const ImageCase& c : cases) {
    Result<ImageReference> r = parseImageReference(c.text);
    ASSERT_TRUE(r.has_value()) << c.text << ": " << r.error().message();
    EXPECT_EQ(r->registry, c.registry) << c.text;
    EXPECT_EQ(r->repository, c.repository) << c.text;
    EXPECT_EQ(r->tag, c.tag) << c.text;
    EXPECT_EQ(r->digest, c.digest) << c.text;
    EXPECT_EQ(r->str(), c.text);
  }
}

TEST(ImageReferenceTest, RejectsBadReferencesWithAReason) {
  // Ensures invalid references are refused with a message naming the bad component.
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "empty value"},
      {"Postgres", "must be lowercase"},
      {"app:", "empty tag"},
      {"app:-x", "must start with"},
      {"app:a+b", "may only hold"},
      {"app@sha256:abc", "at least 32 hex"},
      {"app@sha256", "algorithm:hex"},
      {"-bad/app", "invalid repository component"},
      {"my_reg.io:99999/app", "invalid registry"},
      {"a//b", "invalid repository component"},
      {"app:" + std::string(129, 'x'), "at most 128"},
  };
  for (const auto& [text, why] : cases) {
    Result<ImageReference> r = parseImageReference(text);
    ASSERT_FALSE(r.has_value()) << text;
    EXPECT_NE(r.error().message().find(why), std::string::npos)
        << text << " -> " << r.error().message();
  }
}

struct PortCase {
  std::string text;
  std::string address;
  std::uint16_t host, container;
  PortProtocol protocol;
};

TEST(PortMappingTest, AcceptsEveryForm) {
  // Ensures P, H:C, ADDR:H:C, [IPv6]:H:C and protocol suffixes parse to the right fields.
  const std::vector<PortCase> cases = {
      {"8080", "", 8080, 8080, PortProtocol::Tcp},
      {"8080:80", "", 8080, 80, PortProtocol::Tcp},
      {"127.0.0.1:8080:80", "127.0.0.1", 8080, 80, PortProtocol::Tcp},
      {"0.0.0.0:53:53/udp", "0.0.0.0", 53, 53, PortProtocol::Udp},
      {"[::1]:8080:80", "::1", 8080, 80, PortProtocol::Tcp},
      {"[::]:9000:9000/tcp", "::", 9000, 9000, PortProtocol::Tcp},
      {"65535:1", "", 65535, 1, PortProtocol::Tcp},
      {"514/udp", "", 514, 514, PortProtocol::Udp},
  };
  for (const PortCase& c : cases) {
    Result<PortMapping> m = parsePortMapping(c.text);
    ASSERT_TRUE(m.has_value()) << c.text << ": " << m.error().message();
    EXPECT_EQ(m->hostAddress, c.address) << c.text;
    EXPECT_EQ(m->hostPort, c.host) << c.text;
    EXPECT_EQ(m->containerPort, c.container) << c.text;
    EXPECT_EQ(m->protocol, c.protocol) << c.text;
  }
}

TEST(PortMappingTest, RejectsRangesAndBadValues) {
  // Ensures invalid mappings are refused, ranges with a message saying to list each port.
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"8000-8010:8000-8010", "port ranges are not supported"},
      {"8000-8010", "port ranges are not supported"},
      {"0", "out of range"},
      {"70000:80", "out of range"},
      {"http", "is not a number"},
      {"8080:80/sctp", "unknown protocol 'sctp'"},
      {"::1:8080:80", "too many ':'"},
      {"1.2.3:8080:80", "not an IPv4 address"},
      {"[zz]:1:2", "not an IPv6 address"},
      {"[::1]:80", "needs both"},
      {":80", "missing host port"},
      {"", "empty value"},
  };
  for (const auto& [text, why] : cases) {
    Result<PortMapping> m = parsePortMapping(text);
    ASSERT_FALSE(m.has_value()) << text;
    EXPECT_NE(m.error().message().find(why), std::string::npos)
        << text << " -> " << m.error().message();
  }
}

struct VolumeCase {
  std::string text;
  VolumeMapping::Kind kind;
  std::string source, target;
  bool readOnly;
};

TEST(VolumeMappingTest, AcceptsHostPathsNamedAndAnonymous) {
  // Ensures the source classification and the :ro/:rw modes.
  using K = VolumeMapping::Kind;
  const std::vector<VolumeCase> cases = {
      {"./data:/var/lib/x", K::HostPath, "./data", "/var/lib/x", false},
      {"/srv/data:/data:ro", K::HostPath, "/srv/data", "/data", true},
      {"../shared:/shared:rw", K::HostPath, "../shared", "/shared", false},
      {"~/cache:/cache", K::HostPath, "~/cache", "/cache", false},
      {"cache:/var/cache", K::Named, "cache", "/var/cache", false},
      {"my.vol_1-x:/v:ro", K::Named, "my.vol_1-x", "/v", true},
      {"/data", K::Anonymous, "", "/data", false},
  };
  for (const VolumeCase& c : cases) {
    Result<VolumeMapping> v = parseVolumeMapping(c.text);
    ASSERT_TRUE(v.has_value()) << c.text << ": " << v.error().message();
    EXPECT_EQ(v->kind, c.kind) << c.text;
    EXPECT_EQ(v->source, c.source) << c.text;
    EXPECT_EQ(v->target, c.target) << c.text;
    EXPECT_EQ(v->readOnly, c.readOnly) << c.text;
  }
}

TEST(VolumeMappingTest, RejectsBadMappings) {
  // Ensures invalid volume mappings are refused with a reason.
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "empty value"},
      {"data", "missing ':TARGET'"},
      {":/data", "empty source"},
      {"./d:", "empty target"},
      {"./d:relative", "not an absolute path"},
      {"./d:/a:z", "unknown mode 'z'"},
      {"bad{name}:/x", "neither a host path"},
  };
  for (const auto& [text, why] : cases) {
    Result<VolumeMapping> v = parseVolumeMapping(text);
    ASSERT_FALSE(v.has_value()) << text;
    EXPECT_NE(v.error().message().find(why), std::string::npos)
        << text << " -> " << v.error().message();
  }
}

TEST(DnsLabelTest, DerivesStableInjectiveLabels) {
  // Ensures labels pass through, others get a sanitised base plus an FNV-1a suffix.
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"api", "api"},
      {"api-db", "api-db"},
      {"a", "a"},
  };
  for (const auto& [name, label] : cases) {
    EXPECT_EQ(*dnsLabelFromName(name), label);
  }
  const std::vector<std::string> odd = {"foo_bar",  "foo-bar-", "FooBar",
                                        "foo_bar_", "_",        std::string(80, 'x') + "_"};
  std::set<std::string> seen = {"foo-bar"};
  for (const std::string& name : odd) {
    Result<std::string> label = dnsLabelFromName(name);
    ASSERT_TRUE(label.has_value()) << name;
    EXPECT_TRUE(isDnsLabel(*label)) << name << " -> " << *label;
    EXPECT_TRUE(seen.insert(*label).second) << name << " collides: " << *label;
    EXPECT_EQ(*dnsLabelFromName(name), *label) << "deterministic";
  }
  EXPECT_EQ(dnsLabelFromName("foo_bar")->substr(0, 8), "foo-bar-");
  EXPECT_EQ(dnsLabelFromName("foo_bar")->size(), 16U);
  EXPECT_EQ(dnsLabelFromName(std::string(80, 'x') + "_")->size(), 54U + 9U);
  EXPECT_FALSE(dnsLabelFromName("").has_value());
}

TEST(DnsLabelTest, ClassifiesLabelsAndNames) {
  // Ensures the DNS label and manifest name predicates on their edges.
  const std::vector<std::pair<std::string, bool>> labels = {{"a", true},
                                                            {"a-b", true},
                                                            {"-a", false},
                                                            {"a-", false},
                                                            {"A", false},
                                                            {"a_b", false},
                                                            {std::string(63, 'a'), true},
                                                            {std::string(64, 'a'), false},
                                                            {"", false}};
  for (const auto& [text, ok] : labels) {
    EXPECT_EQ(isDnsLabel(text), ok) << text;
  }
  const std::vector<std::pair<std::string, bool>> names = {{"db", true},
                                                           {"api_db", true},
                                                           {"a-", true},
                                                           {"1db", false},
                                                           {"Db", false},
                                                           {std::string(32, 'a'), true},
                                                           {std::string(33, 'a'), false},
                                                           {"", false},
                                                           {"a.b", false}};
  for (const auto& [text, ok] : names) {
    EXPECT_EQ(isValidName(text), ok) << text;
  }
}

TEST(PercentEncodeTest, EncodesEverythingOutsideUnreserved) {
  // Ensures credentials are safe inside URLs.
  EXPECT_EQ(percentEncode("aZ09-._~"), "aZ09-._~");
  EXPECT_EQ(percentEncode("p@ss:w/rd%"), "p%40ss%3Aw%2Frd%25");
  EXPECT_EQ(percentEncode("é"), "%C3%A9");
}

}  // namespace
}  // namespace ls::manifest
