#include "lightshuttle/export/export.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "lightshuttle/core/file.hpp"
#include "lightshuttle/manifest/loader.hpp"

namespace ls::exporter {
namespace {

namespace fs = std::filesystem;

const fs::path kSource = LS_SOURCE_DIR;
const fs::path kGolden = kSource / "tests/unit/export/golden";

// Values no export may ever contain: the test environment's and the manifests' secrets.
const std::vector<std::string> kSecrets{"never-in-output-cache",
                                        "literal-db-secret",
                                        "literal-api-key",
                                        "inline-token-value",
                                        "dev-token",
                                        "quickstart-cache",
                                        "dev-cache"};

const manifest::EnvMap& testEnv() {
  static const manifest::EnvMap env{{"FEATURES_CACHE_PASSWORD", "never-in-output-cache"},
                                    {"FEATURES_REGION", "eu-1"}};
  return env;
}

manifest::Manifest loadFile(const fs::path& path) {
  manifest::ParseReport report = manifest::loadManifestFile(path);
  EXPECT_TRUE(report.ok()) << report.render();
  return std::move(*report.manifest);
}

manifest::Manifest loadText(const std::string& text, const fs::path& dir = "/proj") {
  manifest::ParseReport report = manifest::parseManifest(text, "lightshuttle.yml", dir);
  EXPECT_TRUE(report.ok()) << report.render();
  return std::move(*report.manifest);
}

ExportOptions optionsFor(const manifest::Manifest& m, Target t, std::string registry = {}) {
  return ExportOptions{.target = t,
                       .outputDirectory = m.directory / "export" / std::string(targetName(t)),
                       .env = &testEnv(),
                       .publishMode = PublishMode::Host,
                       .registry = std::move(registry)};
}

struct Case {
  std::string name;
  fs::path manifest;
};

std::vector<Case> cases() {
  return {{"quickstart", kSource / "examples/quickstart/lightshuttle.yml"},
          {"basic", kSource / "examples/basic/lightshuttle.yml"},
          {"features", kSource / "tests/unit/export/features/lightshuttle.yml"}};
}

constexpr Target kTargets[] = {Target::Compose, Target::Kubernetes, Target::Helm, Target::Swarm};

TEST(ExportGoldenTest, EveryTargetMatchesItsGoldenFilesByteForByte) {
  // Ensures the exports of the quickstart, examples/basic and the every-feature manifest are
  // exactly the reviewed golden files (regenerate with LS_UPDATE_GOLDEN=1), and that no file
  // holds a secret value.
  const bool update = std::getenv("LS_UPDATE_GOLDEN") != nullptr;
  for (const Case& c : cases()) {
    const manifest::Manifest m = loadFile(c.manifest);
    for (Target t : kTargets) {
      SCOPED_TRACE(c.name + "/" + std::string(targetName(t)));
      Result<Artifacts> a = exportStack(m, optionsFor(m, t, "127.0.0.1:5000"));
      ASSERT_TRUE(a.has_value()) << a.error().what();
      const fs::path dir = kGolden / c.name / std::string(targetName(t));
      if (update) {
        fs::remove_all(dir);
      }
      std::set<std::string> expected;
      if (fs::exists(dir)) {
        for (const auto& e : fs::recursive_directory_iterator(dir)) {
          if (e.is_regular_file()) {
            expected.insert(e.path().lexically_relative(dir).string());
          }
        }
      }
      std::set<std::string> produced;
      for (const File& f : a->files) {
        produced.insert(f.path.string());
        for (const std::string& secret : kSecrets) {
          EXPECT_EQ(f.contents.find(secret), std::string::npos)
              << f.path << " contains the secret " << secret;
        }
        if (update) {
          fs::create_directories((dir / f.path).parent_path());
          ASSERT_TRUE(writeFileAtomic(dir / f.path, f.contents, 0644).has_value());
          continue;
        }
        Result<std::string> golden = readFile(dir / f.path);
        ASSERT_TRUE(golden.has_value()) << "no golden file " << (dir / f.path);
        EXPECT_EQ(f.contents, *golden) << "differs from " << (dir / f.path);
      }
      if (!update) {
        EXPECT_EQ(produced, expected);
      }
    }
  }
}

TEST(ExportGoldenTest, TwoRunsAreByteIdentical) {
  // Ensures determinism (issue 15, kompose's argv annotation): same input, same bytes, same
  // report, same next steps.
  for (const Case& c : cases()) {
    const manifest::Manifest m = loadFile(c.manifest);
    for (Target t : kTargets) {
      Result<Artifacts> a = exportStack(m, optionsFor(m, t, "127.0.0.1:5000"));
      Result<Artifacts> b = exportStack(m, optionsFor(m, t, "127.0.0.1:5000"));
      ASSERT_TRUE(a && b);
      ASSERT_EQ(a->files.size(), b->files.size());
      for (std::size_t i = 0; i < a->files.size(); ++i) {
        EXPECT_EQ(a->files[i].path, b->files[i].path);
        EXPECT_EQ(a->files[i].contents, b->files[i].contents);
      }
      EXPECT_EQ(renderReport(a->report), renderReport(b->report));
      EXPECT_EQ(a->nextSteps, b->nextSteps);
    }
  }
}

TEST(ExportBadInputTest, CycleIsRefusedNamingIt) {
  // Ensures a dependency cycle (here built past the loader, which refuses it too) fails the
  // export and names the cycle.
  manifest::Manifest m = loadText(
      "project: {name: demo}\nresources:\n  a:\n    container: {image: 'x:1'}\n"
      "  b:\n    container: {image: 'x:1', depends_on: [a]}\n");
  m.resources[0].dependsOn = {"b"};
  Result<Artifacts> a = exportStack(m, optionsFor(m, Target::Compose));
  ASSERT_FALSE(a.has_value());
  EXPECT_NE(a.error().what().find("dependency cycle: a -> b -> a"), std::string::npos)
      << a.error().what();
  const manifest::ParseReport viaLoader = manifest::parseManifest(
      "project: {name: demo}\nresources:\n  a:\n    container: {image: 'x:1', depends_on: [b]}\n"
      "  b:\n    container: {image: 'x:1', depends_on: [a]}\n",
      "lightshuttle.yml", "/proj");
  EXPECT_FALSE(viaLoader.ok());
}

TEST(ExportBadInputTest, UnsetVariableWithoutDefaultIsRefused) {
  // Ensures `${env.X}` without default must be set at export time, as for `up`; the error
  // names the variable and where it is used.
  const manifest::Manifest m = loadText(
      "project: {name: demo}\nresources:\n  app:\n    container:\n      image: 'x:1'\n"
      "      env: {TOKEN: '${env.DEMO_MISSING}'}\n");
  manifest::EnvMap empty;
  ExportOptions o = optionsFor(m, Target::Kubernetes);
  o.env = &empty;
  Result<Artifacts> a = exportStack(m, o);
  ASSERT_FALSE(a.has_value());
  EXPECT_EQ(a.error().code(), Errc::NotFound);
  EXPECT_NE(a.error().what().find("DEMO_MISSING"), std::string::npos);
  EXPECT_NE(a.error().what().find("resources.app.env.TOKEN"), std::string::npos);
  manifest::EnvMap set{{"DEMO_MISSING", "s3cr3t-value"}};
  o.env = &set;
  Result<Artifacts> ok = exportStack(m, o);
  ASSERT_TRUE(ok.has_value()) << ok.error().what();
  for (const File& f : ok->files) {
    EXPECT_EQ(f.contents.find("s3cr3t-value"), std::string::npos) << f.path;
  }
}

TEST(ExportBadInputTest, BindMountedDirectoryIsRefusedOnKubernetesWithGuidance) {
  // Ensures a bind-mounted directory fails the Kubernetes and Helm exports with what to do
  // instead, while compose keeps it (relative to the export directory).
  const fs::path dir = kSource / "examples/quickstart";
  const manifest::Manifest m = loadText(
      "project: {name: demo}\nresources:\n  app:\n    container:\n      image: 'x:1'\n"
      "      volumes: ['./web:/srv/web']\n",
      dir);
  for (Target t : {Target::Kubernetes, Target::Helm}) {
    Result<Artifacts> a = exportStack(m, optionsFor(m, t));
    ASSERT_FALSE(a.has_value());
    EXPECT_NE(a.error().what().find("bind-mounted directory"), std::string::npos);
    EXPECT_NE(a.error().what().find("COPY"), std::string::npos) << a.error().what();
  }
  Result<Artifacts> compose = exportStack(m, optionsFor(m, Target::Compose));
  ASSERT_TRUE(compose.has_value()) << compose.error().what();
  EXPECT_NE(compose->files[0].contents.find("\"../../web:/srv/web\""), std::string::npos)
      << compose->files[0].contents;
}

TEST(ExportBadInputTest, DnsNormalizationIsInjective) {
  // Ensures foo_bar and foo-bar become two objects (issue 15), and that a name equal to
  // another's normalized form is refused instead of overwriting it.
  const manifest::Manifest m = loadText(
      "project: {name: my_project}\nresources:\n  foo_bar:\n    container: {image: 'x:1'}\n"
      "  foo-bar:\n    container: {image: 'x:1'}\n");
  Result<Artifacts> a = exportStack(m, optionsFor(m, Target::Kubernetes));
  ASSERT_TRUE(a.has_value()) << a.error().what();
  std::set<std::string> names;
  for (const File& f : a->files) {
    names.insert(f.path.string());
  }
  EXPECT_TRUE(names.contains("foo-bar.yaml"));
  EXPECT_TRUE(names.contains("foo-bar-01efffdd.yaml"));
  EXPECT_NE(a->files.front().contents.find("namespace: my-project-"), std::string::npos);

  const manifest::Manifest clash = loadText(
      "project: {name: demo}\nresources:\n  foo_bar:\n    container: {image: 'x:1'}\n"
      "  foo-bar-01efffdd:\n    container: {image: 'x:1'}\n");
  Result<Artifacts> b = exportStack(clash, optionsFor(clash, Target::Kubernetes));
  ASSERT_FALSE(b.has_value());
  EXPECT_NE(b.error().what().find("both become the DNS name 'foo-bar-01efffdd'"), std::string::npos)
      << b.error().what();
}

TEST(ExportBadInputTest, InvalidNamespaceAndReplicasWithAClaimAreRefused) {
  // Ensures an explicit namespace must be a DNS label (never rewritten; built past the
  // loader, which refuses it too) and that replicas > 1
  // cannot share a ReadWriteOnce claim.
  manifest::Manifest ns = loadText(
      "project: {name: demo}\nresources:\n  app:\n    container: {image: 'x:1'}\n"
      "export:\n  kubernetes: {namespace: good}\n");
  ns.exports.kubernetes.namespace_ = "Bad_NS";  // the loader refuses it too
  Result<Artifacts> a = exportStack(ns, optionsFor(ns, Target::Kubernetes));
  ASSERT_FALSE(a.has_value());
  EXPECT_NE(a.error().what().find("'Bad_NS' is not a DNS label"), std::string::npos);
  const manifest::Manifest rwo = loadText(
      "project: {name: demo}\nresources:\n  db:\n    postgres: {}\n"
      "export:\n  kubernetes: {resources: {db: {replicas: 2}}}\n");
  Result<Artifacts> b = exportStack(rwo, optionsFor(rwo, Target::Kubernetes));
  ASSERT_FALSE(b.has_value());
  EXPECT_NE(b.error().what().find("2 replicas cannot share a ReadWriteOnce volume"),
            std::string::npos);
}

TEST(ExportReportTest, UnpushedBuildIsDroppedForClusterTargets) {
  // Ensures a Dockerfile image nobody can pull (kompose #571, moby #29940) is DROPPED on
  // kubernetes, helm and swarm without --registry and when it was not pushed there (naming the
  // resource and the push command), and pinned by digest once `push` recorded one; compose
  // builds it and loses nothing.
  const manifest::Manifest m = loadFile(kSource / "examples/quickstart/lightshuttle.yml");
  const std::string digest = "sha256:" + std::string(64, 'a');
  for (Target t : {Target::Kubernetes, Target::Helm, Target::Swarm}) {
    Result<Artifacts> a = exportStack(m, optionsFor(m, t));
    ASSERT_TRUE(a.has_value()) << a.error().what();
    EXPECT_TRUE(a->lossy()) << targetName(t);
    Result<Artifacts> b = exportStack(m, optionsFor(m, t, "127.0.0.1:5000"));
    ASSERT_TRUE(b.has_value());
    EXPECT_TRUE(b->lossy()) << targetName(t);
    EXPECT_NE(renderReport(b->report).find("'web' was not pushed to 127.0.0.1:5000: run "
                                           "`lightshuttle push --registry 127.0.0.1:5000 web`"),
              std::string::npos);
    ExportOptions o = optionsFor(m, t, "127.0.0.1:5000");
    o.pushed["web"] = digest;
    Result<Artifacts> c = exportStack(m, o);
    ASSERT_TRUE(c.has_value());
    EXPECT_FALSE(c->lossy()) << targetName(t);
    bool pinned = false;
    for (const File& f : c->files) {
      pinned =
          pinned ||
          f.contents.find("127.0.0.1:5000/lightshuttle/quickstart_web:dev@" + digest) !=
              std::string::npos ||
          (f.path == "values.yaml" && f.contents.find("digest: \"" + digest) != std::string::npos);
    }
    EXPECT_TRUE(pinned) << targetName(t);
  }
  Result<Artifacts> c = exportStack(m, optionsFor(m, Target::Compose));
  ASSERT_TRUE(c.has_value());
  EXPECT_FALSE(c->lossy());
}

TEST(ExportSecretsTest, SecretsArePassedThroughNeverWritten) {
  // Ensures the secret mechanisms of issue 15: compose `${KEY:?KEY is required}` and
  // .env.example, Kubernetes secretKeyRef with the exact `kubectl create secret` command and no
  // Secret object, Helm `required` + existingSecret, and the redis password out of argv.
  const manifest::Manifest m = loadFile(kSource / "examples/quickstart/lightshuttle.yml");
  Result<Artifacts> compose = exportStack(m, optionsFor(m, Target::Compose));
  ASSERT_TRUE(compose.has_value());
  const std::string& yml = compose->files[1].contents;
  ASSERT_EQ(compose->files[1].path, "docker-compose.yml");
  EXPECT_NE(yml.find("POSTGRES_PASSWORD: \"${DB_PASSWORD:?DB_PASSWORD is required}\""),
            std::string::npos);
  EXPECT_EQ(yml.find("--requirepass"), std::string::npos);
  EXPECT_EQ(compose->files[0].path, ".env.example");
  EXPECT_NE(compose->files[0].contents.find("\nDB_PASSWORD=\n"), std::string::npos);

  Result<Artifacts> kube = exportStack(m, optionsFor(m, Target::Kubernetes, "127.0.0.1:5000"));
  ASSERT_TRUE(kube.has_value());
  for (const File& f : kube->files) {
    if (f.path != "secret.example.yaml") {
      EXPECT_EQ(f.contents.find("kind: Secret"), std::string::npos) << f.path;
    }
    EXPECT_EQ(f.contents.find("--requirepass"), std::string::npos) << f.path;
  }
  EXPECT_NE(std::find(kube->nextSteps.begin(), kube->nextSteps.end(),
                      "kubectl create secret generic quickstart-secrets -n quickstart "
                      "--from-literal=CACHE_PASSWORD=\"$CACHE_PASSWORD\" "
                      "--from-literal=DB_PASSWORD=\"$DB_PASSWORD\""),
            kube->nextSteps.end());

  Result<Artifacts> helm = exportStack(m, optionsFor(m, Target::Helm, "127.0.0.1:5000"));
  ASSERT_TRUE(helm.has_value());
  bool secretTemplate = false;
  for (const File& f : helm->files) {
    if (f.path == "templates/secret.yaml") {
      secretTemplate = true;
      EXPECT_NE(f.contents.find("{{- if not .Values.secrets.existingSecret }}"), std::string::npos);
      EXPECT_NE(f.contents.find("required \"set secrets.values.dbPassword"), std::string::npos);
    }
  }
  EXPECT_TRUE(secretTemplate);
}

TEST(ExportHelmTest, UserTextWithBracesIsEscapedInTemplates) {
  // Ensures `{{` written by the user reaches the rendered objects literally (template
  // injection guard) and values keys are camelCase.
  const manifest::Manifest m = loadFile(kSource / "tests/unit/export/features/lightshuttle.yml");
  Result<Artifacts> helm = exportStack(m, optionsFor(m, Target::Helm, "127.0.0.1:5000"));
  ASSERT_TRUE(helm.has_value()) << helm.error().what();
  for (const File& f : helm->files) {
    if (f.path == "templates/migrate.yaml") {
      EXPECT_NE(f.contents.find("{{ \"{{\" }} not a template }}"), std::string::npos) << f.contents;
    }
    if (f.path == "values.yaml") {
      EXPECT_NE(f.contents.find("  apiDb25bd8092:"), std::string::npos) << f.contents;
      EXPECT_NE(f.contents.find("featuresCachePassword: \"\""), std::string::npos);
    }
  }
}

}  // namespace
}  // namespace ls::exporter
