// skaffold.yaml, checked offline (there is no skaffold binary here): valid against the
// skaffold/v4beta13 JSON schema (deploy/schemas), and consistent with the
// chart and the programs: one artifact per program built from the Containerfile with its PROGRAM
// build argument, and each image set by name (repository, tag, digest), never by list index.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import Ajv, { type ValidateFunction } from "ajv";
import type { ChartValues } from "./chart";
import { ROOT } from "./tools";

export const SKAFFOLD = join(ROOT, "skaffold.yaml");
/** The skaffold/v4beta13 JSON schema, kept in the repository so a clean clone checks offline. */
export const SCHEMA = join(ROOT, "deploy", "schemas", "skaffold-v4beta13.json");

/** The workplace's copy of the schema (`shared/schemas`, beside the checkout or above), if any. */
export function sharedSchemaPath(from = ROOT): string | undefined {
  const name = join("shared", "schemas", "skaffold-v4beta13.json");
  for (let dir = dirname(from); ; dir = dirname(dir)) {
    const candidate = join(dir, name);
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}

export function readSkaffold(path = SKAFFOLD): unknown {
  return Bun.YAML.parse(readFileSync(path, "utf8"));
}

const validators = new Map<string, ValidateFunction>();

/** The schema compiled once per file (compiling it takes seconds). */
function compiled(schemaFile: string): ValidateFunction {
  let validate = validators.get(schemaFile);
  if (!validate) {
    validate = new Ajv({ allErrors: true, strict: false }).compile(
      JSON.parse(readFileSync(schemaFile, "utf8")) as object,
    );
    validators.set(schemaFile, validate);
  }
  return validate;
}

/** JSON-schema problems, one line each with the key path. */
export function validateSkaffoldSchema(doc: unknown, schemaFile = SCHEMA): string[] {
  const header = doc as { apiVersion?: unknown; kind?: unknown } | null;
  const version: string[] = [];
  if (header?.apiVersion !== "skaffold/v4beta13")
    version.push(
      `/apiVersion: must be skaffold/v4beta13 (the schema checked), is ${JSON.stringify(header?.apiVersion)}`,
    );
  if (header?.kind !== "Config") version.push(`/kind: must be Config, is ${JSON.stringify(header?.kind)}`);
  const validate = compiled(schemaFile);
  if (validate(doc)) return version;
  // The schema is anyOf (one branch per apiVersion): report the branch that went furthest.
  const errors = (validate.errors ?? []).filter((e) => e.keyword !== "anyOf");
  return [
    ...version,
    ...errors.map((e) => {
      const extra = e.keyword === "additionalProperties" ? ` (${String(e.params.additionalProperty)})` : "";
      return `${e.instancePath || "(top level)"}: ${e.message}${extra}`;
    }),
  ];
}

interface Artifact {
  image?: string;
  context?: string;
  docker?: { dockerfile?: string; buildArgs?: Record<string, string> };
}

const templateName = (program: string) => program.replace(/[^A-Za-z0-9_]/g, "_");

/**
 * Consistency of the artifacts and value templates with the chart's images and the programs.
 * `languages`: images holding every program of one language (`examples-<language>`), each built
 * from examples/<language>/Containerfile with that folder as the context and no PROGRAM argument.
 */
export function checkSkaffoldConsistency(
  doc: unknown,
  values: ChartValues,
  programs: string[],
  languages: readonly string[] = [],
): string[] {
  const out: string[] = [];
  const d = doc as {
    build?: { artifacts?: Artifact[] };
    deploy?: { helm?: { releases?: { chartPath?: string; setValueTemplates?: Record<string, string> }[] } };
    profiles?: { name: string }[];
  };
  const artifacts = d.build?.artifacts ?? [];
  const images = Object.keys(values.images ?? {});
  for (const program of programs) {
    if (!images.includes(program))
      out.push(`program ${program} has no images.${program} entry in the chart values`);
  }
  for (const language of languages) {
    if (!images.includes(language)) out.push(`language image ${language} has no images.${language} entry`);
  }
  for (const image of images) {
    const language = languages.includes(image);
    if (!programs.includes(image) && !language)
      out.push(`images.${image} in the chart values is no program scripts/build.ts builds`);
    const found = artifacts.filter((a) => a.image === image);
    if (found.length !== 1) {
      out.push(`image ${image}: needs exactly one build artifact, has ${found.length}`);
      continue;
    }
    const a = found[0] as Artifact;
    if (language) {
      const folder = `examples/${image.replace(/^examples-/, "")}`;
      if (a.context !== folder) out.push(`artifact ${image}: context must be ${folder}, is ${a.context}`);
      if (a.docker?.dockerfile !== "Containerfile")
        out.push(`artifact ${image}: must build from ${folder}/Containerfile`);
      if (a.docker?.buildArgs?.PROGRAM !== undefined)
        out.push(`artifact ${image}: holds every program of its language, takes no PROGRAM`);
      continue;
    }
    if (a.docker?.dockerfile !== "Containerfile")
      out.push(`artifact ${image}: must build from the Containerfile`);
    if (a.docker?.buildArgs?.PROGRAM !== image)
      out.push(
        `artifact ${image}: buildArgs.PROGRAM must be ${image}, is ${JSON.stringify(a.docker?.buildArgs?.PROGRAM)}`,
      );
  }
  for (const a of artifacts) {
    if (!a.image || !images.includes(a.image))
      out.push(`artifact ${a.image}: no images.${a.image} entry in the chart values`);
  }
  const releases = d.deploy?.helm?.releases ?? [];
  const release = releases.find((r) => r.chartPath === "charts/angzarr");
  if (!release) return [...out, "deploy.helm.releases: no release of charts/angzarr"];
  const templates = release.setValueTemplates ?? {};
  for (const image of images) {
    const v = templateName(image);
    const want: Record<string, RegExp> = {
      repository: new RegExp(`^\\{\\{\\s*\\.IMAGE_REPO_${v}\\s*\\}\\}$`),
      tag: new RegExp(`^\\{\\{\\s*\\.IMAGE_TAG_${v}\\s*\\}\\}$`),
      digest: new RegExp(`\\.IMAGE_DIGEST_${v}\\b`),
    };
    for (const [field, pattern] of Object.entries(want)) {
      const key = `images.${image}.${field}`;
      const value = templates[key];
      if (value === undefined) out.push(`setValueTemplates.${key} is missing`);
      else if (!pattern.test(value))
        out.push(`setValueTemplates.${key} must use the ${image} artifact's own variable, is ${value}`);
    }
  }
  for (const [key, value] of Object.entries(templates)) {
    if (/\[\d+\]/.test(key))
      out.push(`setValueTemplates.${key}: images are set by name, never by list index`);
    if (/IMAGE_(NAME|REPO|TAG|DIGEST)\d*\s*}}/.test(value) && !/IMAGE_(NAME|REPO|TAG|DIGEST)_/.test(value))
      out.push(`setValueTemplates.${key}: ${value} picks an artifact by position; use IMAGE_*_<name>`);
  }
  for (const profile of ["distributed", "standalone", ...languages.map((l) => l.replace(/^examples-/, ""))]) {
    if (!(d.profiles ?? []).some((p) => p.name === profile)) out.push(`profiles: no ${profile} profile`);
  }
  return out;
}
