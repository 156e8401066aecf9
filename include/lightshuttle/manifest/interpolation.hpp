// File: lightshuttle/manifest/interpolation.hpp
//
// `${...}` references inside manifest strings:
//
//   ${env.NAME}                 the variable; unset or empty is an error
//   ${env.NAME:-default}        the default when unset or empty; the default may itself hold
//                               references, nested up to 10 levels in all
//   ${resources.db.url}         an output of another resource (an implicit dependency)
//   $${                         a literal "${" (so "$${env.X}" is the text "${env.X}")
//   ${{ text }}                 a literal "${ text }" (the body runs to the first "}}")
//
// A '$' not followed by '{' is literal. Substituted text is never scanned again.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "lightshuttle/core/result.hpp"

namespace ls::manifest {

/// Deepest nesting of `${` allowed (the outermost reference is level 1).
inline constexpr int kMaxInterpolationDepth = 10;

struct Template;

struct EnvReference {
  std::string name;
  std::shared_ptr<const Template> fallback;  ///< after ":-"; null when none was written
};

struct ResourceReference {
  std::string resource;
  std::string property;
};

using TemplatePart = std::variant<std::string, EnvReference, ResourceReference>;

/// A parsed string: literal text and references, in order.
struct Template {
  std::vector<TemplatePart> parts;

  bool hasReferences() const;
};

/// Parses `text`. Errors (InvalidArgument): unterminated `${`, unknown scheme (only `env.` and
/// `resources.`), empty names, a malformed resource reference, nesting deeper than 10.
Result<Template> parseTemplate(std::string_view text);

/// Every `${resources.*}` in `t`, defaults included, in order of appearance.
void collectResourceReferences(const Template& t, std::vector<ResourceReference>& out);

/// One use of an environment variable, for `secrets check` and preflight.
struct EnvUse {
  std::string name;
  std::optional<std::string> fallback;  ///< the default's text as written, when one exists
};
/// Every `${env.*}` in `t`, those inside defaults included, in order of appearance.
void collectEnvUses(const Template& t, std::vector<EnvUse>& out);

struct InterpolationContext {
  /// Value of an environment variable; nullopt when unset.
  std::function<std::optional<std::string>(std::string_view name)> env;
  /// Output `property` of `resource`; nullopt when the resource or property is unknown.
  std::function<std::optional<std::string>(std::string_view resource, std::string_view property)>
      output;
};

/// Substitutes every reference. Errors: InvalidArgument (parse errors), NotFound (an unset
/// variable without default, an unknown resource output); the message names the variable or
/// reference, never a value.
Result<std::string> interpolate(std::string_view text, const InterpolationContext& context);
Result<std::string> render(const Template& t, const InterpolationContext& context);

}  // namespace ls::manifest
