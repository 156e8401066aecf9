// JSON <-> value-type mapping for the Engine API. The only place raw Engine JSON is touched.
// Decoding is lenient about missing fields (engines differ) and strict about types: a field of
// the wrong type is an InvalidArgument naming its path.
#pragma once

#include <boost/json/value.hpp>
#include <string>
#include <string_view>

#include "lightshuttle/core/result.hpp"
#include "lightshuttle/engine/api.hpp"

namespace ls::engine {

/// Body of POST /containers/create for API `apiVersion`.
std::string encodeContainerCreate(const ContainerCreate& spec, std::string_view apiVersion);

Result<VersionInfo> decodeVersion(const boost::json::value& v);
Result<EngineInfo> decodeInfo(const boost::json::value& v);
Result<CreatedContainer> decodeCreated(const boost::json::value& v);
Result<ContainerInfo> decodeContainerInfo(const boost::json::value& v);
Result<std::vector<ContainerSummary>> decodeContainerList(const boost::json::value& v);
Result<ImageInfo> decodeImageInfo(const boost::json::value& v);
Result<PullProgress> decodePullProgress(const boost::json::value& v);

Result<NetworkInfo> decodeNetworkInfo(const boost::json::value& v);
std::string encodeNetworkCreate(const NetworkCreate& spec);
Result<EngineEvent> decodeEngineEvent(const boost::json::value& v);
/// Build stream message: output line, resulting id; errors are detected by streamError().
Result<BuildProgress> decodeBuildProgress(const boost::json::value& v);
/// A map of filters as the `filters` query parameter expects it.
std::string encodeFilters(const std::map<std::string, std::vector<std::string>>& filters);
/// A string map as JSON (build args, labels).
std::string encodeStringMap(const std::map<std::string, std::string>& m);

std::string encodeExecCreate(const ExecCreate& spec);

/// Parses a JSON body; InvalidArgument naming `what` when it is not JSON.
Result<boost::json::value> parseBody(std::string_view body, std::string_view what);

/// `{"label":["a=b",...]}` as the filters query parameter expects it.
std::string encodeLabelFilters(const std::vector<std::string>& labels);

}  // namespace ls::engine
