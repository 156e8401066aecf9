// The `${...}` scanner and renderer.
#include "lightshuttle/manifest/interpolation.hpp"

#include <fmt/core.h>

namespace ls::manifest {
namespace {

Error invalid(std::string message) { return Error(Errc::InvalidArgument, std::move(message)); }

class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  // Parses text_[pos_, end) where `end` is the end of the current body; `depth` is the nesting
  // level of the references found here.
  Result<Template> parse(std::size_t end, int depth) {
    Template t;
    std::string literal;
    while (pos_ < end) {
      const char c = text_[pos_];
      if (c != '$' || pos_ + 1 >= end) {
        literal += c;
        ++pos_;
        continue;
      }
      const char next = text_[pos_ + 1];
      if (next == '$' && pos_ + 2 < end && text_[pos_ + 2] == '{') {
        literal += "${";
        pos_ += 3;
        continue;
      }
      if (next != '{') {
        literal += c;
        ++pos_;
        continue;
      }
      if (pos_ + 2 < end && text_[pos_ + 2] == '{') {
        const std::size_t close = text_.find("}}", pos_ + 3);
        if (close == std::string_view::npos || close + 2 > end) {
          return invalid(
              fmt::format("unterminated '${{{{' escape in '{}' (close it with '}}}}')", text_));
        }
        literal += "${";
        literal += text_.substr(pos_ + 3, close - pos_ - 3);
        literal += "}";
        pos_ = close + 2;
        continue;
      }
      if (depth > kMaxInterpolationDepth) {
        return invalid(fmt::format("interpolation nested deeper than {} levels in '{}'",
                                   kMaxInterpolationDepth, text_));
      }
      if (!literal.empty()) {
        t.parts.emplace_back(std::move(literal));
        literal.clear();
      }
      LS_ASSIGN_OR_RETURN(TemplatePart part, reference(end, depth));
      t.parts.push_back(std::move(part));
    }
    if (!literal.empty()) {
      t.parts.emplace_back(std::move(literal));
    }
    return t;
  }

 private:
  // pos_ is at "${". Finds the matching '}' (counting nested "${") and parses the body.
  Result<TemplatePart> reference(std::size_t end, int depth) {
    const std::size_t bodyStart = pos_ + 2;
    std::size_t i = bodyStart;
    int open = 1;
    while (i < end) {
      if (text_[i] == '$' && i + 1 < end && text_[i + 1] == '{') {
        ++open;
        i += 2;
        continue;
      }
      if (text_[i] == '}') {
        --open;
        if (open == 0) {
          break;
        }
      }
      ++i;
    }
    if (i >= end) {
      return invalid(fmt::format("unterminated '${{' in '{}' (close it with '}}')", text_));
    }
    const std::string_view body = text_.substr(bodyStart, i - bodyStart);
    const std::size_t closePos = i;
    if (body.starts_with("env.")) {
      const std::size_t sep = body.find(":-");
      EnvReference ref;
      ref.name = std::string(
          body.substr(4, sep == std::string_view::npos ? std::string_view::npos : sep - 4));
      if (ref.name.empty()) {
        return invalid(fmt::format("empty variable name in '${{{}}}'", body));
      }
      if (ref.name.find("${") != std::string::npos) {
        return invalid(fmt::format("a variable name cannot hold '${{' (in '${{{}}}')", body));
      }
      if (sep != std::string_view::npos) {
        pos_ = bodyStart + sep + 2;
        LS_ASSIGN_OR_RETURN(Template fallback, parse(closePos, depth + 1));
        ref.fallback = std::make_shared<const Template>(std::move(fallback));
      }
      pos_ = closePos + 1;
      return TemplatePart(std::move(ref));
    }
    if (body.starts_with("resources.")) {
      const std::string_view rest = body.substr(10);
      const std::size_t dot = rest.find('.');
      if (rest.find("${") != std::string_view::npos) {
        return invalid(fmt::format("a resource reference cannot nest '${{' (in '${{{}}}')", body));
      }
      if (dot == std::string_view::npos || dot == 0 || dot + 1 >= rest.size()) {
        return invalid(
            fmt::format("malformed reference '${{{}}}'; expected "
                        "${{resources.<name>.<property>}}",
                        body));
      }
      pos_ = closePos + 1;
      return TemplatePart(
          ResourceReference{std::string(rest.substr(0, dot)), std::string(rest.substr(dot + 1))});
    }
    return invalid(
        fmt::format("unknown reference '${{{}}}'; expected ${{env.NAME}}, "
                    "${{env.NAME:-default}} or ${{resources.<name>.<property>}} "
                    "(write $${{ for a literal '${{')",
                    body));
  }

  std::string_view text_;
  std::size_t pos_ = 0;
};

}  // namespace

bool Template::hasReferences() const {
  for (const TemplatePart& p : parts) {
    if (!std::holds_alternative<std::string>(p)) {
      return true;
    }
  }
  return false;
}

Result<Template> parseTemplate(std::string_view text) {
  Parser parser(text);
  return parser.parse(text.size(), 1);
}

void collectResourceReferences(const Template& t, std::vector<ResourceReference>& out) {
  for (const TemplatePart& p : t.parts) {
    if (const auto* r = std::get_if<ResourceReference>(&p)) {
      out.push_back(*r);
    } else if (const auto* e = std::get_if<EnvReference>(&p); e != nullptr && e->fallback) {
      collectResourceReferences(*e->fallback, out);
    }
  }
}

namespace {

std::string fallbackText(const Template& t) {
  std::string out;
  for (const TemplatePart& p : t.parts) {
    if (const auto* s = std::get_if<std::string>(&p)) {
      out += *s;
    } else if (const auto* e = std::get_if<EnvReference>(&p)) {
      out += "${env." + e->name + (e->fallback ? ":-" + fallbackText(*e->fallback) : "") + "}";
    } else if (const auto* r = std::get_if<ResourceReference>(&p)) {
      out += "${resources." + r->resource + "." + r->property + "}";
    }
  }
  return out;
}

}  // namespace

void collectEnvUses(const Template& t, std::vector<EnvUse>& out) {
  for (const TemplatePart& p : t.parts) {
    if (const auto* e = std::get_if<EnvReference>(&p)) {
      EnvUse use{e->name, std::nullopt};
      if (e->fallback) {
        use.fallback = fallbackText(*e->fallback);
      }
      out.push_back(std::move(use));
      if (e->fallback) {
        collectEnvUses(*e->fallback, out);
      }
    }
  }
}

Result<std::string> render(const Template& t, const InterpolationContext& context) {
  std::string out;
  for (const TemplatePart& p : t.parts) {
    if (const auto* s = std::get_if<std::string>(&p)) {
      out += *s;
    } else if (const auto* e = std::get_if<EnvReference>(&p)) {
      std::optional<std::string> value = context.env ? context.env(e->name) : std::nullopt;
      if (value && !value->empty()) {
        out += *value;
      } else if (e->fallback) {
        LS_ASSIGN_OR_RETURN(std::string fallback, render(*e->fallback, context));
        out += fallback;
      } else {
        return Error(Errc::NotFound,
                     fmt::format("environment variable '{}' is not set; set it in .env or the "
                                 "environment, or give a default with ${{env.{}:-value}}",
                                 e->name, e->name));
      }
    } else if (const auto* r = std::get_if<ResourceReference>(&p)) {
      std::optional<std::string> value =
          context.output ? context.output(r->resource, r->property) : std::nullopt;
      if (!value) {
        return Error(Errc::NotFound, fmt::format("unknown output '${{resources.{}.{}}}'",
                                                 r->resource, r->property));
      }
      out += *value;
    }
  }
  return out;
}

Result<std::string> interpolate(std::string_view text, const InterpolationContext& context) {
  LS_ASSIGN_OR_RETURN(Template t, parseTemplate(text));
  return render(t, context);
}

}  // namespace ls::manifest
