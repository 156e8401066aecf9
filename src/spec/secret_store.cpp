// The per-project store of generated secrets: .lightshuttle/secrets.json beside the manifest.
//
//   {"version": 1, "resources": {"db": {"password": "..."}}}
#include <fmt/core.h>
#include <sys/stat.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <system_error>

#include "lightshuttle/core/file.hpp"
#include "lightshuttle/spec/resolve.hpp"

namespace ls::spec {

Result<SecretStore> SecretStore::open(const std::filesystem::path& manifestDirectory) {
  SecretStore store;
  store.path_ = manifestDirectory / ".lightshuttle" / "secrets.json";
  std::error_code ec;
  if (!std::filesystem::exists(store.path_, ec)) {
    return store;
  }
  LS_ASSIGN_OR_RETURN(std::string text, readFile(store.path_));
  boost::system::error_code jec;
  const boost::json::value doc = boost::json::parse(text, jec);
  const auto corrupt = [&](std::string_view why) {
    return Error(Errc::InvalidArgument,
                 fmt::format("secret store '{}' is not valid: {}; fix it or delete it to "
                             "generate new secrets",
                             store.path_.string(), why));
  };
  if (jec || !doc.is_object()) {
    return corrupt("expected a JSON object");
  }
  const boost::json::value* resources = doc.as_object().if_contains("resources");
  if (resources == nullptr) {
    return store;
  }
  if (!resources->is_object()) {
    return corrupt("'resources' is not an object");
  }
  for (const auto& [name, entry] : resources->as_object()) {
    if (!entry.is_object()) {
      return corrupt(fmt::format("entry '{}' is not an object", std::string_view(name)));
    }
    for (const auto& [key, value] : entry.as_object()) {
      if (!value.is_string()) {
        return corrupt(
            fmt::format("'{}.{}' is not a string", std::string_view(name), std::string_view(key)));
      }
      store.values_[std::string(name)][std::string(key)] = std::string(value.as_string());
    }
  }
  return store;
}

SecretStore SecretStore::inMemory() { return SecretStore(); }

std::optional<std::string> SecretStore::get(std::string_view resource, std::string_view key) const {
  const auto r = values_.find(std::string(resource));
  if (r == values_.end()) {
    return std::nullopt;
  }
  const auto k = r->second.find(std::string(key));
  if (k == r->second.end()) {
    return std::nullopt;
  }
  return k->second;
}

std::string SecretStore::getOrCreate(std::string_view resource, std::string_view key, Rng& rng) {
  if (std::optional<std::string> v = get(resource, key)) {
    return *v;
  }
  std::string value;
  for (std::size_t i = 0; i < kGeneratedPasswordLength; ++i) {
    value += kPasswordAlphabet[rng.below(kPasswordAlphabet.size())];
  }
  values_[std::string(resource)][std::string(key)] = value;
  dirty_ = true;
  return value;
}

Result<void> SecretStore::save() {
  if (path_.empty() || !dirty_) {
    return ok();
  }
  const std::filesystem::path dir = path_.parent_path();
  std::error_code ec;
  if (std::filesystem::create_directories(dir, ec)) {
    ::chmod(dir.c_str(), 0700);
  }
  if (ec) {
    return Error(Errc::Internal, fmt::format("create '{}': {}", dir.string(), ec.message()));
  }
  boost::json::object resources;
  for (const auto& [name, entries] : values_) {
    boost::json::object o;
    for (const auto& [key, value] : entries) {
      o[key] = value;
    }
    resources[name] = std::move(o);
  }
  boost::json::object doc;
  doc["version"] = 1;
  doc["resources"] = std::move(resources);
  LS_TRY(writeFileAtomic(path_, boost::json::serialize(doc) + "\n", 0600));
  dirty_ = false;
  return ok();
}

}  // namespace ls::spec
