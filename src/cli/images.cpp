// `lightshuttle images [resource…] [--format table|json]`: the images the stack uses, as the
// engine has them now: resource, image reference (pull reference or build tag), id, size, and
// whether it is built from a Dockerfile or pulled. An image not present yet is listed as such.
#include <fmt/core.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "cli/commands.hpp"
#include "cli/flags.hpp"
#include "cli/images_cmd.hpp"
#include "cli/session.hpp"
#include "cli/stack.hpp"

namespace json = boost::json;

namespace ls::cli {
namespace {

struct Row {
  std::string resource;
  std::string image;
  bool built = false;
  std::optional<runtime::ImageDetails> details;  ///< nullopt: not present
};

std::string shortId(const std::string& id) {
  std::string_view s = id;
  if (s.starts_with("sha256:")) {
    s.remove_prefix(7);
  }
  return std::string(s.substr(0, 12));
}

std::string humanSize(std::int64_t bytes) {
  const double b = static_cast<double>(bytes);
  if (b >= 1e9) {
    return fmt::format("{:.2f}GB", b / 1e9);
  }
  if (b >= 1e6) {
    return fmt::format("{:.1f}MB", b / 1e6);
  }
  if (b >= 1e3) {
    return fmt::format("{:.1f}kB", b / 1e3);
  }
  return fmt::format("{}B", bytes);
}

}  // namespace

int runImages(const ImagesOptions& options) {
  if (options.format != "table" && options.format != "json") {
    fmt::print(stderr, "error: --format must be table or json, not '{}'\n", options.format);
    return kExitUsage;
  }
  int exitCode = kExitOk;
  auto prepared = prepareStack(options.file, options.envFile, exitCode, /*showWarnings=*/false);
  if (!prepared) {
    return reportPrepareFailure(prepared.error(), exitCode);
  }
  const lifecycle::Plan& plan = prepared->plan;
  if (const int bad = checkResourceNames(plan, options.resources); bad != kExitOk) {
    return bad;
  }
  std::vector<Row> rows;
  for (const lifecycle::PlanNode& n : plan.nodes()) {
    if (!options.resources.empty() && std::find(options.resources.begin(), options.resources.end(),
                                                n.name) == options.resources.end()) {
      continue;
    }
    Row r;
    r.resource = n.name;
    if (const auto* pull = std::get_if<runtime::PullImage>(&n.spec.image)) {
      r.image = pull->reference;
    } else {
      r.image = std::get<runtime::BuildImage>(n.spec.image).tag;
      r.built = true;
    }
    rows.push_back(std::move(r));
  }
  auto session = openEngine();
  if (!session) {
    return kExitFailure;
  }
  std::vector<boost::asio::awaitable<Result<runtime::ImageDetails>>> lookups;
  for (const Row& r : rows) {
    lookups.push_back(session->runtime->inspectImage(r.image));
  }
  std::vector<Result<runtime::ImageDetails>> found = runAllSync(*session, std::move(lookups));
  for (std::size_t k = 0; k < rows.size(); ++k) {
    if (found[k]) {
      rows[k].details = std::move(found[k]).value();
    } else if (found[k].error().code() != Errc::NotFound) {
      fmt::print(stderr, "error: image of '{}': {}\n", rows[k].resource, found[k].error().what());
      return kExitFailure;
    }
  }
  if (options.format == "json") {
    json::array out;
    for (const Row& r : rows) {
      json::object o;
      o["resource"] = r.resource;
      o["image"] = r.image;
      o["source"] = r.built ? "built" : "pulled";
      o["present"] = r.details.has_value();
      o["id"] = r.details ? json::value(r.details->id) : json::value(nullptr);
      o["size_bytes"] = r.details ? json::value(r.details->sizeBytes) : json::value(nullptr);
      o["created"] = r.details ? json::value(r.details->created) : json::value(nullptr);
      out.push_back(std::move(o));
    }
    fmt::print("{}\n", json::serialize(out));
    return kExitOk;
  }
  std::size_t wr = 8;
  std::size_t wi = 5;
  for (const Row& r : rows) {
    wr = std::max(wr, r.resource.size());
    wi = std::max(wi, r.image.size());
  }
  fmt::print("{:<{}}  {:<{}}  {:<12}  {:>8}  {}\n", "RESOURCE", wr, "IMAGE", wi, "ID", "SIZE",
             "SOURCE");
  for (const Row& r : rows) {
    fmt::print("{:<{}}  {:<{}}  {:<12}  {:>8}  {}\n", r.resource, wr, r.image, wi,
               r.details ? shortId(r.details->id) : std::string("-"),
               r.details ? humanSize(r.details->sizeBytes) : std::string("-"),
               std::string(r.built ? "built" : "pulled") + (r.details ? "" : " (not present)"));
  }
  return kExitOk;
}

void registerImages(Registrar& r) {
  auto o = std::make_shared<ImagesOptions>();
  const GlobalOptions& g = r.global();
  auto* cmd =
      r.verb("images", "List the images the stack uses: id, size, built or pulled", [o, &g] {
        inherit(o->file, g.file);
        inherit(o->envFile, g.envFile);
        return runImages(*o);
      });
  addResourcesArg(*cmd, o->resources, "Only these resources (default: all)");
  addFileFlag(*cmd, o->file);
  addEnvFileFlag(*cmd, o->envFile);
  cmd->add_option("--format", o->format, "table or json")->check(CLI::IsMember({"table", "json"}));
  cmd->footer(
      "Examples:\n"
      "  lightshuttle images\n"
      "  lightshuttle images --format json | jq '.[] | select(.present == false)'\n"
      "An image that is not present yet is listed with `-` and `(not present)`.\n"
      "Exit status: 0 ok, 1 engine failure, 2 unknown resource or invalid manifest.\n");
}

}  // namespace ls::cli
