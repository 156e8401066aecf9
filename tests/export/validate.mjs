// Checks of `lightshuttle export kubernetes|helm` output with the official OpenAPI schemas
// (npm kubernetes-models) and a cross-reference check. Exit 0 when every check passes; every
// failure is printed, then exit 1.
//
//   node validate.mjs kubernetes DIR            every object of DIR/*.yaml is valid; references resolve
//   node validate.mjs helm RENDERED.yaml DIR    the rendered chart is valid and equals DIR's objects
//   node validate.mjs refused FILE              FILE (secret.example.yaml) cannot be applied as written
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { parseAllDocuments } from "yaml";
import * as core from "kubernetes-models/v1";
import * as apps from "kubernetes-models/apps/v1";

const models = {
  "v1/Namespace": core.Namespace,
  "v1/Service": core.Service,
  "v1/ConfigMap": core.ConfigMap,
  "v1/Secret": core.Secret,
  "v1/PersistentVolumeClaim": core.PersistentVolumeClaim,
  "apps/v1/Deployment": apps.Deployment,
};

const failures = [];
const fail = (msg) => failures.push(msg);

function parseFile(path) {
  const docs = [];
  for (const doc of parseAllDocuments(readFileSync(path, "utf8"))) {
    if (doc.errors.length) {
      fail(`${path}: YAML error: ${doc.errors.map((e) => e.message).join("; ")}`);
      continue;
    }
    const obj = doc.toJS();
    if (obj !== null && obj !== undefined) docs.push({ obj, where: path });
  }
  return docs;
}

function objectsOf(dir, { withExample }) {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".yaml") && (withExample || f !== "secret.example.yaml"))
    .sort()
    .flatMap((f) => parseFile(join(dir, f)));
}

const key = (o) => `${o.kind}/${o.metadata?.namespace ?? ""}/${o.metadata?.name}`;

function validateSchemas(docs) {
  for (const { obj, where } of docs) {
    const Model = models[`${obj.apiVersion}/${obj.kind}`];
    if (!Model) {
      fail(`${where}: ${obj.apiVersion} ${obj.kind} is not a kind the export emits`);
      continue;
    }
    try {
      new Model(obj).validate();
    } catch (e) {
      fail(`${where}: ${key(obj)} is invalid: ${e.message}`);
    }
  }
}

// Every envFrom, secretKeyRef, configMapKeyRef, claimName, Service selector and init-container
// host points at an object (and key) that the export emits or asks the user to create.
function crossReferences(docs, provided = []) {
  const all = [...docs, ...provided].map((d) => d.obj);
  const find = (kind, ns, name) =>
    all.find((o) => o.kind === kind && o.metadata?.name === name && (o.metadata?.namespace ?? ns) === ns);
  for (const { obj, where } of docs) {
    const ns = obj.metadata?.namespace;
    if (obj.kind !== "Namespace" && ns && !find("Namespace", undefined, ns) && !provided.length) {
      // The plain export carries its Namespace; a chart is installed into the release's.
    }
    if (obj.kind === "Service") {
      const sel = obj.spec?.selector ?? {};
      const matches = all.filter(
        (o) =>
          o.kind === "Deployment" &&
          o.metadata?.namespace === ns &&
          Object.entries(sel).every(([k, v]) => o.spec?.template?.metadata?.labels?.[k] === v),
      );
      if (Object.keys(sel).length === 0 || matches.length !== 1) {
        fail(`${where}: Service ${obj.metadata.name} selects ${matches.length} Deployments (want 1)`);
      }
    }
    if (obj.kind !== "Deployment") continue;
    const dep = obj.metadata.name;
    const sel = obj.spec.selector?.matchLabels ?? {};
    for (const [k, v] of Object.entries(sel)) {
      if (obj.spec.template.metadata.labels?.[k] !== v) fail(`${where}: ${dep}: selector ${k}=${v} does not match its pods`);
    }
    const pod = obj.spec.template.spec;
    const containers = [...(pod.initContainers ?? []), ...pod.containers];
    for (const c of containers) {
      for (const ef of c.envFrom ?? []) {
        if (ef.configMapRef && !find("ConfigMap", ns, ef.configMapRef.name)) fail(`${where}: ${dep}/${c.name}: envFrom ConfigMap ${ef.configMapRef.name} is not emitted`);
        if (ef.secretRef && !find("Secret", ns, ef.secretRef.name)) fail(`${where}: ${dep}/${c.name}: envFrom Secret ${ef.secretRef.name} is not emitted`);
      }
      const defined = new Set();
      for (const e of c.env ?? []) {
        const s = e.valueFrom?.secretKeyRef;
        const m = e.valueFrom?.configMapKeyRef;
        if (s) {
          const secret = find("Secret", ns, s.name);
          if (!secret) fail(`${where}: ${dep}/${c.name}: ${e.name}: Secret ${s.name} is neither emitted nor in secret.example.yaml`);
          else if (!(s.key in (secret.data ?? {})) && !(s.key in (secret.stringData ?? {}))) fail(`${where}: ${dep}/${c.name}: ${e.name}: Secret ${s.name} has no key ${s.key}`);
        }
        if (m) {
          const cm = find("ConfigMap", ns, m.name);
          if (!cm) fail(`${where}: ${dep}/${c.name}: ${e.name}: ConfigMap ${m.name} is not emitted`);
          else if (!(m.key in (cm.data ?? {}))) fail(`${where}: ${dep}/${c.name}: ${e.name}: ConfigMap ${m.name} has no key ${m.key}`);
        }
        // $(NAME) must name a variable defined before it (or by envFrom).
        for (const [, ref] of (e.value ?? "").matchAll(/(?<!\$)\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g)) {
          if (!defined.has(ref)) fail(`${where}: ${dep}/${c.name}: ${e.name} expands $(${ref}), which is not defined before it`);
        }
        defined.add(e.name);
      }
      for (const arg of [...(c.command ?? []), ...(c.args ?? [])]) {
        for (const [, ref] of arg.matchAll(/(?<!\$)\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g)) {
          if (!defined.has(ref)) fail(`${where}: ${dep}/${c.name}: an argument expands $(${ref}), which the container does not define`);
        }
      }
    }
    for (const v of pod.volumes ?? []) {
      if (v.persistentVolumeClaim && !find("PersistentVolumeClaim", ns, v.persistentVolumeClaim.claimName)) fail(`${where}: ${dep}: claim ${v.persistentVolumeClaim.claimName} is not emitted`);
      if (v.configMap && !find("ConfigMap", ns, v.configMap.name)) fail(`${where}: ${dep}: volume ConfigMap ${v.configMap.name} is not emitted`);
      if (v.configMap) {
        for (const c of pod.containers) {
          for (const vm of c.volumeMounts ?? []) {
            const cm = find("ConfigMap", ns, v.configMap.name);
            if (vm.name === v.name && vm.subPath && cm && !(vm.subPath in (cm.data ?? {}))) fail(`${where}: ${dep}: mount ${vm.mountPath} reads key ${vm.subPath}, absent from ${v.configMap.name}`);
          }
        }
      }
      if (v.persistentVolumeClaim && (obj.spec.strategy?.type !== "Recreate" || (obj.spec.replicas ?? 1) > 1)) fail(`${where}: ${dep}: a ReadWriteOnce claim needs strategy Recreate and one replica`);
    }
    for (const c of pod.initContainers ?? []) {
      const script = (c.command ?? []).join(" ");
      const m = script.match(/-h (\S+)|nc -z -w \d+ (\S+)|nslookup (\S+)/);
      const host = m && (m[1] ?? m[2] ?? m[3]);
      if (!host) fail(`${where}: ${dep}: init container ${c.name} waits on no host`);
      else if (!find("Service", ns, host)) fail(`${where}: ${dep}: init container ${c.name} waits on ${host}, which has no Service`);
    }
  }
}

const [mode, a, b] = process.argv.slice(2);
if (mode === "kubernetes") {
  const docs = objectsOf(a, { withExample: false });
  if (docs.length === 0) fail(`${a}: no objects`);
  validateSchemas(docs);
  let example = [];
  try {
    example = parseFile(join(a, "secret.example.yaml"));
  } catch {
    // no secret needed
  }
  crossReferences(docs, example);
  console.log(`${a}: ${docs.length} objects checked`);
} else if (mode === "helm") {
  const rendered = parseFile(a);
  validateSchemas(rendered);
  const plain = objectsOf(b, { withExample: false }).filter((d) => d.obj.kind !== "Namespace");
  let example = [];
  try {
    example = parseFile(join(b, "secret.example.yaml"));
  } catch {
    // no secret needed
  }
  crossReferences(rendered, rendered.some((d) => d.obj.kind === "Secret") ? [] : example);
  const byKey = (docs) => new Map(docs.map((d) => [key(d.obj), d.obj]));
  const r = byKey(rendered.filter((d) => d.obj.kind !== "Secret"));
  const p = byKey(plain);
  for (const k of new Set([...r.keys(), ...p.keys()])) {
    if (!r.has(k)) fail(`helm template lacks ${k}`);
    else if (!p.has(k)) fail(`helm template has ${k}, the kubernetes export does not`);
    else if (!isDeepStrictEqual(r.get(k), p.get(k))) {
      fail(`${k} differs:\n  helm:       ${JSON.stringify(r.get(k))}\n  kubernetes: ${JSON.stringify(p.get(k))}`);
    }
  }
  console.log(`${a}: ${rendered.length} objects checked against ${b}`);
} else if (mode === "refused") {
  for (const { obj } of parseFile(a)) {
    for (const [k, v] of Object.entries(obj.data ?? {})) {
      if (/^[A-Za-z0-9+/]*={0,2}$/.test(v) && v.length % 4 === 0) fail(`${a}: data.${k} is valid base64: the placeholder would deploy`);
    }
    if (obj.stringData) fail(`${a}: stringData would deploy as written`);
  }
} else {
  console.error("usage: node validate.mjs kubernetes DIR | helm RENDERED DIR | refused FILE");
  process.exit(2);
}
for (const f of failures) console.error(`FAIL ${f}`);
process.exit(failures.length ? 1 : 0);
