// The JSON-LD and Hydra clients of API Platform's ecosystem, against a running
// server: jsonld.js expands every kind of body (argv: base URL, then a JSON file
// of {name: {url, body}}), and api-doc-parser reads the Hydra documentation from
// /api and the OpenAPI document from /api/docs.json. Prints one JSON report.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const modules = process.env.NODE_PATH;
const require = createRequire(join(modules, "noop.js"));
const jsonld = require("jsonld");
const parser = await import(pathToFileURL(join(modules, "@api-platform/api-doc-parser/lib/index.js")).href);

const [base, bodiesFile] = process.argv.slice(2);
const bodies = JSON.parse(readFileSync(bodiesFile, "utf8"));

// Every key with a value, at every depth (JSON-LD drops nulls: "no value").
function keys(value, out = new Set()) {
  if (Array.isArray(value)) value.forEach((v) => keys(v, out));
  else if (value && typeof value === "object")
    for (const [k, v] of Object.entries(value)) {
      if (v === null) continue;
      if (!k.startsWith("@")) out.add(k);
      keys(v, out);
    }
  return out;
}

const expansion = {};
for (const [name, { url, body }] of Object.entries(bodies)) {
  try {
    const expanded = await jsonld.expand(body, { base: url });
    const iris = keys(expanded);
    const dropped = [...keys(body)].filter((k) => ![...iris].some((iri) => iri.endsWith("#" + k) || iri.endsWith("/" + k)));
    expansion[name] = { ok: true, terms: [...iris].sort(), dropped };
  } catch (e) {
    expansion[name] = { ok: false, error: String(e && (e.message || e)), details: e && e.details ? JSON.stringify(e.details).slice(0, 500) : null };
  }
}

function summary(api) {
  return api.resources
    .map((r) => ({
      name: r.name,
      url: r.url,
      fields: (r.fields || [])
        .filter((f) => !f.name.startsWith("@"))
        .map((f) => ({
          name: f.name,
          required: !!f.required,
          readable: (r.readableFields || []).some((x) => x.name === f.name),
          writable: (r.writableFields || []).some((x) => x.name === f.name),
          reference: f.reference ? (f.reference.name ?? String(f.reference)) : null,
        }))
        .sort((a, b) => a.name.localeCompare(b.name)),
      operations: (r.operations || []).map((o) => `${o.type} ${o.method ?? ""}`.trim()).sort(),
    }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

let hydra, openapi;
try {
  const { api } = await parser.parseHydraDocumentation(base + "/api");
  hydra = { ok: true, title: api.title, resources: summary(api) };
} catch (e) {
  hydra = { ok: false, error: String(e && e.error ? e.error : e) };
}
try {
  const { api } = await parser.parseOpenApi3Documentation(base + "/api/docs.json");
  openapi = { ok: true, resources: summary(api) };
} catch (e) {
  openapi = { ok: false, error: String(e && e.error ? e.error : e) };
}
console.log(JSON.stringify({ expansion, hydra, openapi }));
