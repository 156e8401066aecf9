// YAML text -> Manifest. Three passes: yaml-cpp builds the node tree (exceptions become
// diagnostics), a structural scan finds what yaml-cpp lets through (duplicate keys, unterminated
// quoted scalars, non-string keys, alias bombs; scan.cpp), then a typed walk reads every known
// key and reports unknown ones (schema_walk.cpp, watch_rules.cpp, over readers.cpp). Model-level
// checks (names, references, cycles) live in validate.cpp; discovery in discovery.cpp.
#include "lightshuttle/manifest/loader.hpp"

#include <fmt/core.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <exception>
#include <string>

#include "lightshuttle/core/file.hpp"
#include "manifest/loader_impl.hpp"
#include "manifest/validate.hpp"

namespace ls::manifest {
namespace detail {

ParseReport Loader::run() {
  ParseReport out;
  out.source = std::string(source_);
  manifest_.file = file_;
  manifest_.directory = directory_;
  YAML::Node root;
  try {
    const std::string text(source_);
    const DocumentScan documents = scanDocuments(text);
    if (documents.stuckAt) {
      const YAML::Mark m = *documents.stuckAt;
      error(m.line >= 0 ? Loc{m.line + 1, m.column + 1} : Loc{1, 1}, "",
            "invalid YAML: unexpected ',' outside a flow collection ([...] or {...})");
    } else if (documents.documents > 1) {
      const YAML::Mark m = documents.second.value_or(YAML::Mark::null_mark());
      error(m.line >= 0 ? Loc{m.line + 1, m.column + 1} : Loc{1, 1}, "",
            "the file holds more than one YAML document ('---'); a manifest is one document");
    } else {
      root = YAML::Load(text);
    }
  } catch (const YAML::Exception& e) {
    const Loc loc = e.mark.line >= 0 ? Loc{e.mark.line + 1, e.mark.column + 1} : Loc{1, 1};
    error(loc, "", fmt::format("invalid YAML: {}", e.msg));
  } catch (const std::exception& e) {
    error(Loc{1, 1}, "", fmt::format("invalid YAML: {}", e.what()));
  }
  if (diags_.empty()) {
    try {
      if (root.IsNull()) {
        error(Loc{1, 1}, "",
              "the manifest is empty; expected a mapping with 'project' and "
              "'resources'");
      } else if (!root.IsMap()) {
        error(markOf(root, Loc{1, 1}), "",
              fmt::format("expected the manifest to be a mapping with 'project' and 'resources', "
                          "got {}",
                          typeName(root)));
      } else if (scan(root, "", 0)) {
        // An unterminated quote swallowed the rest of the file: nothing after it is meaningful.
        const bool swallowed = !diags_.empty() && diags_.back().message.starts_with("unterminated");
        if (!swallowed) {
          walkTop(root);
          detail::validateManifest(manifest_, diags_);
        }
      }
    } catch (const std::exception& e) {
      error(Loc{1, 1}, "", fmt::format("could not read the manifest: {}", e.what()));
    }
  }
  std::stable_sort(diags_.begin(), diags_.end(), [](const Diagnostic& a, const Diagnostic& b) {
    return std::pair(a.location.line, a.location.column) <
           std::pair(b.location.line, b.location.column);
  });
  out.diagnostics = std::move(diags_);
  if (countSeverity(out.diagnostics, Severity::Error) == 0) {
    out.manifest = std::move(manifest_);
  }
  return out;
}

}  // namespace detail

std::string ParseReport::render(bool color) const {
  std::string out;
  for (const Diagnostic& d : diagnostics) {
    out += renderDiagnostic(d, source, color);
  }
  return out;
}

ParseReport parseManifest(std::string_view text, std::string file,
                          std::filesystem::path directory) {
  // A UTF-8 byte order mark would shift every yaml-cpp mark; drop it.
  if (text.starts_with("\xEF\xBB\xBF")) {
    text.remove_prefix(3);
  }
  detail::Loader loader(text, std::move(file), std::move(directory));
  return loader.run();
}

ParseReport loadManifestFile(const std::filesystem::path& path) {
  Result<std::string> text = readFile(path);
  if (!text) {
    ParseReport out;
    Diagnostic d;
    d.location.file = path.string();
    d.message = fmt::format("cannot read the manifest: {}", text.error().what());
    out.diagnostics.push_back(std::move(d));
    return out;
  }
  std::error_code ec;
  std::filesystem::path absolute = std::filesystem::absolute(path, ec);
  if (ec) {
    absolute = path;
  }
  return parseManifest(*text, path.string(), absolute.parent_path());
}

}  // namespace ls::manifest
