// `lightshuttle push --registry HOST[:PORT] [resource...]`: builds the Dockerfile resources,
// tags them `<registry>/lightshuttle/<project>_<resource>:dev`, pushes them through the engine
// and records the digests in `.lightshuttle/pushed.json`, which `export --registry` reads to pin
// the images it writes.
//
//   {"version": 1, "registries": {"127.0.0.1:5000": {"web": {"image": "...", "digest":
//   "sha256:..."}}}}
#include <fmt/core.h>

#include <CLI/CLI.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <set>

#include "cli/commands.hpp"
#include "cli/flags.hpp"
#include "cli/session.hpp"
#include "lightshuttle/core/file.hpp"
#include "lightshuttle/export/model.hpp"
#include "lightshuttle/manifest/env_file.hpp"

namespace ls::cli {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

fs::path recordPath(const fs::path& manifestDirectory) {
  return manifestDirectory / ".lightshuttle" / "pushed.json";
}

Result<json::object> loadRecord(const fs::path& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) {
    return json::object();
  }
  LS_ASSIGN_OR_RETURN(std::string text, readFile(path));
  boost::system::error_code jec;
  json::value v = json::parse(text, jec);
  if (jec || !v.is_object()) {
    return Error(Errc::InvalidArgument,
                 fmt::format("'{}' is not valid JSON: delete it and push again", path.string()));
  }
  return std::move(v.as_object());
}

// Progress on stderr: one line per step, not per byte.
runtime::ProgressCallback progressPrinter(const std::string& resource) {
  return [resource, last = std::string()](const runtime::ImageProgress& p) mutable {
    std::string line = p.status;
    if (!p.id.empty()) {
      line = p.id + ": " + line;
    }
    if (line.empty() || line == last || p.total > 0) {
      return;
    }
    last = line;
    fmt::print(stderr, "{} | {}\n", resource, line);
  };
}

}  // namespace

std::map<std::string, std::string> pushedDigests(const fs::path& manifestDirectory,
                                                 const std::string& registry) {
  std::map<std::string, std::string> out;
  Result<json::object> record = loadRecord(recordPath(manifestDirectory));
  if (!record) {
    fmt::print(stderr, "warning: {}\n", record.error().what());
    return out;
  }
  const json::value* regs = record->if_contains("registries");
  const json::value* reg =
      regs != nullptr && regs->is_object() ? regs->as_object().if_contains(registry) : nullptr;
  if (reg == nullptr || !reg->is_object()) {
    return out;
  }
  for (const auto& [resource, entry] : reg->as_object()) {
    const json::value* d = entry.is_object() ? entry.as_object().if_contains("digest") : nullptr;
    if (d != nullptr && d->is_string()) {
      out[std::string(resource)] = std::string(d->as_string());
    }
  }
  return out;
}

int runPush(const PushOptions& options) {
  int exitCode = kExitOk;
  std::optional<manifest::ParseReport> report = loadManifestForCommand(options.file, exitCode);
  if (!report || !report->ok()) {
    return exitCode == kExitOk ? kExitUsage : exitCode;
  }
  const manifest::Manifest& m = *report->manifest;
  manifest::EnvMap dotenv;
  if (auto loaded = manifest::loadEnvFile(options.envFile.empty() ? m.directory / ".env"
                                                                  : fs::path(options.envFile))) {
    dotenv = std::move(loaded).value();
  } else if (loaded.error().code() != Errc::NotFound || !options.envFile.empty()) {
    fmt::print(stderr, "error: {}\n", loaded.error().what());
    return kExitFailure;
  }
  const manifest::EnvMap env = manifest::overlayEnvironment(manifest::processEnvironment(), dotenv);
  // The build of every resource, resolved as `up` resolves it (build args included).
  Result<exporter::Model> model =
      exporter::lower(m, exporter::LowerOptions{.target = exporter::Target::Swarm, .env = &env});
  if (!model) {
    fmt::print(stderr, "error: {}\n", model.error().what());
    return kExitFailure;
  }
  std::set<std::string> wanted(options.resources.begin(), options.resources.end());
  std::vector<const exporter::Service*> builds;
  for (const std::string& name : wanted) {
    const manifest::Resource* r = m.find(name);
    if (r == nullptr || r->kind != manifest::Kind::Dockerfile) {
      fmt::print(stderr,
                 "error: '{}' is not a dockerfile resource of project '{}' (only built "
                 "images are pushed)\n",
                 name, m.project.name);
      return kExitUsage;
    }
  }
  for (const exporter::Service& s : model->services) {
    if (s.build && (wanted.empty() || wanted.contains(s.name))) {
      builds.push_back(&s);
    }
  }
  if (builds.empty()) {
    fmt::print(stderr, "nothing to push: project '{}' has no dockerfile resource\n",
               m.project.name);
    return kExitOk;
  }
  std::unique_ptr<EngineSession> session = openEngine();
  if (!session) {
    return kExitFailure;
  }
  const fs::path path = recordPath(m.directory);
  Result<json::object> record = loadRecord(path);
  if (!record) {
    fmt::print(stderr, "error: {}\n", record.error().what());
    return kExitFailure;
  }
  int status = kExitOk;
  for (const exporter::Service* s : builds) {
    runtime::BuildImage build{.context = s->build->context.string(),
                              .dockerfile = s->build->dockerfile,
                              .buildArgs = s->build->args,
                              .target = s->build->target,
                              .tag = s->build->tag};
    const runtime::ProgressCallback progress = progressPrinter(s->name);
    fmt::print(stderr, "{} | building {}\n", s->name, s->build->tag);
    if (Result<std::string> built =
            runSync(*session, session->runtime->buildImage(build, progress));
        !built) {
      fmt::print(stderr, "error: build '{}': {}\n", s->name, built.error().what());
      status = kExitFailure;
      continue;
    }
    const std::string target = options.registry + "/" + s->build->tag;
    if (Result<void> tagged = runSync(*session, session->runtime->tagImage(s->build->tag, target));
        !tagged) {
      fmt::print(stderr, "error: {}\n", tagged.error().what());
      status = kExitFailure;
      continue;
    }
    Result<std::string> digest = runSync(*session, session->runtime->pushImage(target, progress));
    if (!digest) {
      fmt::print(stderr, "error: push '{}': {}\n", s->name, digest.error().what());
      status = kExitFailure;
      continue;
    }
    json::object entry;
    entry["image"] = target;
    entry["digest"] = *digest;
    json::value& regs = (*record)["registries"];
    if (!regs.is_object()) {
      regs = json::object();
    }
    json::value& reg = regs.as_object()[options.registry];
    if (!reg.is_object()) {
      reg = json::object();
    }
    reg.as_object()[s->name] = std::move(entry);
    (*record)["version"] = 1;
    fmt::print("{}@{}\n", target, *digest);
  }
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  if (Result<void> w = writeFileAtomic(path, json::serialize(*record) + "\n", 0644); !w) {
    fmt::print(stderr, "error: {}\n", w.error().what());
    return kExitFailure;
  }
  return status;
}

void registerPush(Registrar& r) {
  auto o = std::make_shared<PushOptions>();
  const GlobalOptions& g = r.global();
  auto* cmd = r.verb(
      "push", "Build the Dockerfile resources, push them to a registry and record their digests",
      [o, &g] {
        inherit(o->file, g.file);
        inherit(o->envFile, g.envFile);
        return runPush(*o);
      });
  addResourcesArg(*cmd, o->resources, "Only these dockerfile resources");
  cmd->add_option("--registry", o->registry, "HOST[:PORT] of the registry")->required();
  addFileFlag(*cmd, o->file);
  addEnvFileFlag(*cmd, o->envFile);
  cmd->footer(
      "Examples:\n"
      "  lightshuttle push --registry 127.0.0.1:5000\n"
      "  lightshuttle push --registry 127.0.0.1:5000 web\n"
      "Prints <registry>/lightshuttle/<project>_<resource>:dev@<digest> for each and records it "
      "in\n"
      ".lightshuttle/pushed.json: `export kubernetes|helm|swarm --registry` then pins that "
      "digest.\n"
      "Exit status: 0 pushed, 1 a build or push failed, 2 usage or invalid manifest.\n");
}

}  // namespace ls::cli
