// The Helm chart: Chart.yaml, values.yaml (camelCase keys), values.schema.json, _helpers.tpl,
// NOTES.txt, and templates written from the very objects of the Kubernetes export, with the
// configurable scalars replaced by their expressions, so `helm template` renders the plain
// export.
#include <fmt/core.h>

#include <algorithm>

#include "export/internal.hpp"
#include "lightshuttle/manifest/grammar.hpp"

namespace ls::exporter {
namespace {

using yaml::Node;

std::string json(std::string_view s) {
  std::string out = "\"";
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (ch == '"' || ch == '\\') {
      out += '\\';
      out += ch;
    } else if (c < 0x20) {
      out += fmt::format("\\u{:04x}", c);
    } else {
      out += ch;
    }
  }
  return out + "\"";
}

bool isSemver(std::string_view v) {
  std::size_t i = 0;
  for (int part = 0; part < 3; ++part) {
    const std::size_t start = i;
    while (i < v.size() && v[i] >= '0' && v[i] <= '9') {
      ++i;
    }
    if (i == start || (i - start > 1 && v[start] == '0')) {
      return false;
    }
    if (part < 2) {
      if (i >= v.size() || v[i] != '.') {
        return false;
      }
      ++i;
    }
  }
  if (i == v.size()) {
    return true;
  }
  if (v[i] != '-' && v[i] != '+') {
    return false;
  }
  for (++i; i < v.size(); ++i) {
    const char c = v[i];
    const bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                    c == '.' || c == '-' || c == '+';
    if (!ok) {
      return false;
    }
  }
  return true;
}

std::string helpers(const std::string& chart, const std::string& defaultSecret) {
  return fmt::format(
      "{{{{/* The image of a service: repository[:tag][@digest], quoted. */}}}}\n"
      "{{{{- define \"{0}.image\" -}}}}\n"
      "{{{{- $ref := .repository -}}}}\n"
      "{{{{- if .tag }}}}{{{{ $ref = printf \"%s:%s\" $ref .tag }}}}{{{{ end -}}}}\n"
      "{{{{- if .digest }}}}{{{{ $ref = printf \"%s@%s\" $ref .digest }}}}{{{{ end -}}}}\n"
      "{{{{- $ref | quote -}}}}\n"
      "{{{{- end -}}}}\n"
      "\n"
      "{{{{/* The Secret the services read: secrets.existingSecret, else the one this chart "
      "creates. */}}}}\n"
      "{{{{- define \"{0}.secretName\" -}}}}\n"
      "{{{{- .Values.secrets.existingSecret | default \"{1}\" -}}}}\n"
      "{{{{- end -}}}}\n",
      chart, defaultSecret);
}

}  // namespace

Result<Emitted> emitHelm(const Model& m, const ExportOptions& o) {
  if (!isSemver(m.chartVersion)) {
    return Error(Errc::InvalidArgument,
                 fmt::format("chart version '{}' is not SemVer 2 (like 1.2.0): set "
                             "export.helm.chart_version",
                             m.chartVersion));
  }
  const std::string& chart = m.chartName;
  LS_ASSIGN_OR_RETURN(Kube kube, buildKubernetes(m, o, KubeOptions{.helm = true, .chart = chart}));
  Emitted out;
  out.report = std::move(kube.report);
  const yaml::WriteOptions helm{.helm = true};

  // values.yaml and the keys the templates use must agree: camelCase, and never two in one.
  std::map<std::string, std::string> taken;
  const auto claim = [&](const std::string& key, const std::string& what) -> Result<void> {
    auto [it, inserted] = taken.emplace(key, what);
    if (!inserted) {
      return Error(Errc::InvalidArgument,
                   fmt::format("{} and {} both become the values key '{}'", it->second, what, key));
    }
    return ok();
  };
  Node values;
  Node schemaServices;
  std::string schemaServiceProps;
  for (const Service& s : m.services) {
    const std::string key = camelCase(s.dnsName);
    LS_TRY(claim("services." + key, "resource '" + s.name + "'"));
    LS_ASSIGN_OR_RETURN(manifest::ImageReference ref,
                        manifest::parseImageReference(deployImage(s, o)));
    Node& sv = values["services"][key];
    sv["replicas"] = Node::integer(s.replicas);
    sv["image"]["repository"] = Node::str(ref.qualifiedRepository());
    sv["image"]["tag"] = Node::str(ref.tag);
    sv["image"]["digest"] = Node::str(ref.digest);
    sv["image"]["pullPolicy"] = Node::str(s.pullPolicy);
    std::string envProps;
    for (const KubeFile& f : kube.files) {
      for (const Node& d : f.docs) {
        const auto& md = d.map.at("metadata").map;
        if (d.map.at("kind").scalar == "ConfigMap" && md.at("name").scalar == s.dnsName + "-env") {
          for (const auto& [k, v] : d.map.at("data").map) {
            sv["env"][k] = Node::str(v.scalar);
            envProps += fmt::format("{}{}: {{\"type\": \"string\"}}", envProps.empty() ? "" : ", ",
                                    json(k));
          }
        }
      }
    }
    if (sv.map.count("env") == 0) {
      sv["env"] = Node::mapping();
    }
    schemaServiceProps += fmt::format(
        "{}        {}: {{\n"
        "          \"type\": \"object\",\n"
        "          \"required\": [\"replicas\", \"image\"],\n"
        "          \"properties\": {{\n"
        "            \"replicas\": {{\"type\": \"integer\", \"minimum\": 0}},\n"
        "            \"image\": {{\n"
        "              \"type\": \"object\",\n"
        "              \"required\": [\"repository\", \"pullPolicy\"],\n"
        "              \"properties\": {{\n"
        "                \"repository\": {{\"type\": \"string\", \"minLength\": 1}},\n"
        "                \"tag\": {{\"type\": \"string\"}},\n"
        "                \"digest\": {{\"type\": \"string\"}},\n"
        "                \"pullPolicy\": {{\"enum\": [\"Always\", \"IfNotPresent\", \"Never\"]}}\n"
        "              }}\n"
        "            }},\n"
        "            \"env\": {{\"type\": \"object\", \"additionalProperties\": false, "
        "\"properties\": {{{}}}}}\n"
        "          }}\n"
        "        }}",
        schemaServiceProps.empty() ? "" : ",\n", json(key), envProps);
  }
  std::string configProps;
  values["config"] = Node::mapping();
  for (std::size_t i : kube.configVars) {
    const Variable& v = m.variables[i];
    const std::string key = camelCase(v.name);
    LS_TRY(claim("config." + key, "variable " + v.name));
    values["config"][key] = Node::str(v.fallback.value_or(""));
    configProps +=
        fmt::format("{}{}: {{\"type\": \"string\"}}", configProps.empty() ? "" : ", ", json(key));
  }
  values["secrets"]["existingSecret"] = Node::str("");
  values["secrets"]["values"] = Node::mapping();
  std::string secretProps;
  Node secretData;
  for (std::size_t i : kube.secretVars) {
    const Variable& v = m.variables[i];
    const std::string key = camelCase(v.name);
    LS_TRY(claim("secrets.values." + key, "variable " + v.name));
    values["secrets"]["values"][key] = Node::str("");
    secretProps +=
        fmt::format("{}{}: {{\"type\": \"string\"}}", secretProps.empty() ? "" : ", ", json(key));
    secretData[v.name] = Node::str(
        "", fmt::format("{{{{ required \"set secrets.values.{} (or secrets.existingSecret to a "
                        "Secret you created)\" .Values.secrets.values.{} | b64enc | quote }}}}",
                        key, key));
  }

  std::string secretKeys;
  for (std::size_t i : kube.secretVars) {
    secretKeys += (secretKeys.empty() ? "" : ", ") + m.variables[i].name;
  }
  // Chart.yaml.
  Node chartYaml;
  chartYaml["apiVersion"] = Node::str("v2");
  chartYaml["name"] = Node::str(chart);
  chartYaml["description"] = Node::str(m.description.value_or("The " + m.project + " stack") +
                                       " (exported by LightShuttle)");
  chartYaml["type"] = Node::str("application");
  chartYaml["version"] = Node::str(m.chartVersion);
  chartYaml["appVersion"] = Node::str(m.version.value_or(m.chartVersion));
  out.files.push_back(File{"Chart.yaml", yaml::write(chartYaml)});

  out.files.push_back(File{
      "values.yaml",
      fmt::format("# Values of the {} chart, generated by `lightshuttle export helm`.\n"
                  "# secrets: either name a Secret you created (existingSecret, with the keys of\n"
                  "# secrets.values in upper snake case: {}) or give every value in\n"
                  "# secrets.values; the chart refuses to render with one missing.\n",
                  chart, secretKeys.empty() ? "none" : secretKeys) +
          yaml::write(values)});
  out.files.push_back(File{
      "values.schema.json",
      fmt::format("{{\n"
                  "  \"$schema\": \"http://json-schema.org/draft-07/schema#\",\n"
                  "  \"type\": \"object\",\n"
                  "  \"required\": [\"services\", \"secrets\", \"config\"],\n"
                  "  \"properties\": {{\n"
                  "    \"config\": {{\"type\": \"object\", \"additionalProperties\": false, "
                  "\"properties\": {{{}}}}},\n"
                  "    \"secrets\": {{\n"
                  "      \"type\": \"object\",\n"
                  "      \"required\": [\"existingSecret\", \"values\"],\n"
                  "      \"properties\": {{\n"
                  "        \"existingSecret\": {{\"type\": \"string\"}},\n"
                  "        \"values\": {{\"type\": \"object\", \"additionalProperties\": false, "
                  "\"properties\": {{{}}}}}\n"
                  "      }}\n"
                  "    }},\n"
                  "    \"services\": {{\n"
                  "      \"type\": \"object\",\n"
                  "      \"additionalProperties\": false,\n"
                  "      \"properties\": {{\n{}\n"
                  "      }}\n"
                  "    }}\n"
                  "  }}\n"
                  "}}\n",
                  configProps, secretProps, schemaServiceProps)});
  out.files.push_back(File{"templates/_helpers.tpl", helpers(chart, kube.secretName)});

  for (const KubeFile& f : kube.files) {
    std::string text;
    for (const Node& d : f.docs) {
      text += "---\n" + yaml::write(d, helm);
    }
    out.files.push_back(File{"templates/" + f.name, text});
  }
  if (!kube.secretVars.empty()) {
    Node secret;
    secret["apiVersion"] = Node::str("v1");
    secret["kind"] = Node::str("Secret");
    secret["metadata"]["name"] = Node::str(
        kube.secretName, fmt::format("{{{{ include \"{}.secretName\" . | quote }}}}", chart));
    secret["metadata"]["namespace"] = Node::str(m.namespace_, "{{ .Release.Namespace | quote }}");
    secret["metadata"]["labels"]["app.kubernetes.io/instance"] =
        Node::str(m.projectDns, "{{ .Release.Name | quote }}");
    secret["metadata"]["labels"]["app.kubernetes.io/part-of"] = Node::str(m.projectDns);
    secret["metadata"]["labels"]["app.kubernetes.io/managed-by"] = Node::str("lightshuttle");
    secret["type"] = Node::str("Opaque");
    secret["data"] = std::move(secretData);
    out.files.push_back(
        File{"templates/secret.yaml", "{{- if not .Values.secrets.existingSecret }}\n---\n" +
                                          yaml::write(secret, helm) + "{{- end }}\n"});
  }
  std::string services;
  for (const Service& s : m.services) {
    services += fmt::format("  {} ({})\n", s.dnsName, manifest::kindName(s.kind));
  }
  out.files.push_back(
      File{"templates/NOTES.txt",
           fmt::format("{{{{ .Chart.Name }}}} {{{{ .Chart.Version }}}} is installed as release "
                       "{{{{ .Release.Name }}}} in namespace {{{{ .Release.Namespace }}}}.\n"
                       "Deployments (each waits for its dependencies in init containers):\n{}"
                       "{{{{- if .Values.secrets.existingSecret }}}}\n"
                       "Secrets come from the Secret {{{{ .Values.secrets.existingSecret }}}}.\n"
                       "{{{{- end }}}}\n"
                       "Watch them become ready:\n"
                       "  kubectl get pods -n {{{{ .Release.Namespace }}}} -l "
                       "app.kubernetes.io/instance={{{{ .Release.Name }}}} -w\n",
                       services)});

  std::string install =
      fmt::format("helm install {} . -n {} --create-namespace", m.projectDns, m.namespace_);
  for (std::size_t i : kube.secretVars) {
    install += fmt::format(" --set-string secrets.values.{}=\"${}\"",
                           camelCase(m.variables[i].name), m.variables[i].name);
  }
  out.nextSteps.push_back(install);
  out.report.push_back(ReportEntry{"", "chart", Outcome::Translated,
                                   fmt::format("helm template {} . -n {} renders the kubernetes "
                                               "export (secrets: required values, or "
                                               "secrets.existingSecret)",
                                               m.projectDns, m.namespace_)});
  return out;
}

}  // namespace ls::exporter
