// Interpolation on arbitrary text: parse and render must return a value or an error, never
// crash; a parsed template renders the same as interpolate(); escaping every "${" as "$${"
// renders the original text back.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lightshuttle/manifest/interpolation.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  ls::manifest::InterpolationContext ctx;
  ctx.env = [](std::string_view name) -> std::optional<std::string> {
    if (name.size() % 2 == 0) {
      return std::string(name);
    }
    return std::nullopt;
  };
  ctx.output = [](std::string_view res, std::string_view prop) -> std::optional<std::string> {
    if (res == "db") {
      return std::string(prop);
    }
    return std::nullopt;
  };
  const ls::Result<ls::manifest::Template> t = ls::manifest::parseTemplate(text);
  const ls::Result<std::string> direct = ls::manifest::interpolate(text, ctx);
  if (t.has_value()) {
    std::vector<ls::manifest::ResourceReference> refs;
    std::vector<ls::manifest::EnvUse> uses;
    ls::manifest::collectResourceReferences(*t, refs);
    ls::manifest::collectEnvUses(*t, uses);
    const ls::Result<std::string> rendered = ls::manifest::render(*t, ctx);
    if (rendered.has_value() != direct.has_value() ||
        (rendered.has_value() && *rendered != *direct)) {
      std::abort();
    }
  } else if (direct.has_value()) {
    std::abort();
  }
  std::string escaped;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text.compare(i, 2, "${") == 0) {
      escaped += "$${";
      ++i;
    } else {
      escaped += text[i];
    }
  }
  const ls::Result<std::string> back = ls::manifest::interpolate(escaped, ctx);
  if (!back.has_value() || *back != text) {
    std::abort();
  }
  return 0;
}
