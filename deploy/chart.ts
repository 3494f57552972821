// Rendering the chart offline: `helm lint --strict` and `helm template` per profile, the rendered
// manifests parsed into objects. Profiles are the value files skaffold.yaml's profiles use.
import { cpSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { helmPath, ROOT } from "./tools";

export const CHART = join(ROOT, "charts", "angzarr");

/** Value files of each skaffold profile, relative to the chart. */
export const PROFILES: Record<string, string[]> = {
  distributed: [],
  standalone: ["values-standalone.yaml"],
  python: ["values-python.yaml"],
  go: ["values-go.yaml"],
};
export type Profile = keyof typeof PROFILES;

/** A rendered Kubernetes object, loosely typed: the checks walk it as data. */
export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  [field: string]: unknown;
}

export interface HelmRun {
  code: number;
  stdout: string;
  stderr: string;
}

export function helm(args: string[]): HelmRun {
  const done = Bun.spawnSync([helmPath(), ...args], {
    stdout: "pipe",
    stderr: "pipe",
    env: {
      ...process.env,
      HELM_CACHE_HOME: join(ROOT, ".cache", "helm"),
      HELM_CONFIG_HOME: join(ROOT, ".cache", "helm"),
    },
  });
  return { code: done.exitCode ?? 1, stdout: done.stdout.toString(), stderr: done.stderr.toString() };
}

export interface RenderOptions {
  chart?: string;
  /** Extra `--set` entries. */
  set?: string[];
  /** Extra values files (absolute). */
  values?: string[];
  release?: string;
  namespace?: string;
}

function valueArgs(profile: Profile, options: RenderOptions): string[] {
  const chart = options.chart ?? CHART;
  return [
    ...(PROFILES[profile] ?? []).flatMap((f) => ["-f", join(chart, f)]),
    ...(options.values ?? []).flatMap((f) => ["-f", f]),
    ...(options.set ?? []).flatMap((s) => ["--set", s]),
  ];
}

export function lint(profile: Profile, options: RenderOptions = {}): HelmRun {
  return helm(["lint", "--strict", options.chart ?? CHART, ...valueArgs(profile, options)]);
}

/** `helm template`; the raw run, for checks that expect a refusal. */
export function template(profile: Profile, options: RenderOptions = {}): HelmRun {
  return helm([
    "template",
    options.release ?? "rel",
    options.chart ?? CHART,
    "--namespace",
    options.namespace ?? "angzarr",
    ...valueArgs(profile, options),
  ]);
}

export function parseManifests(text: string): Manifest[] {
  const parsed = Bun.YAML.parse(text) as unknown;
  const docs = Array.isArray(parsed) && text.includes("\n---") ? parsed : [parsed];
  return docs.filter((d): d is Manifest => d !== null && typeof d === "object" && "kind" in (d as object));
}

/** Rendered manifests of a profile; throws with helm's message when it refuses. */
export function render(profile: Profile, options: RenderOptions = {}): Manifest[] {
  const run = template(profile, options);
  if (run.code !== 0) throw new Error(`helm template (${profile}) failed:\n${run.stderr}`);
  return parseManifests(run.stdout);
}

const isMap = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === "object" && !Array.isArray(v);

/** Helm's merge of values: maps merge key by key, anything else replaces. */
function merge(into: Record<string, unknown>, from: Record<string, unknown>): Record<string, unknown> {
  for (const [key, value] of Object.entries(from)) {
    const current = into[key];
    into[key] = isMap(current) && isMap(value) ? merge({ ...current }, value) : value;
  }
  return into;
}

/** The chart's values for a profile, merged as helm merges them (values.yaml, then the profile). */
export function chartValues(profile: Profile, chart = CHART): ChartValues {
  const read = (file: string) =>
    Bun.YAML.parse(readFileSync(join(chart, file), "utf8")) as Record<string, unknown>;
  let values = read("values.yaml");
  for (const file of PROFILES[profile] ?? []) values = merge(values, read(file));
  return values as unknown as ChartValues;
}

export interface ComponentValues {
  name: string;
  kind: "aggregate" | "saga" | "projector" | "process_manager";
  program?: string;
  /** Image key when the program lives in an image of several programs (examples-python). */
  image?: string;
  domain?: string;
  handler?: { transport?: "connect" | "grpc"; command?: string[]; healthCommand?: string[] };
}

export interface ChartValues {
  mode: "distributed" | "standalone";
  images: Record<string, { repository: string; tag?: string | number; digest?: string }>;
  components: ComponentValues[];
  secrets: Record<string, { name: string; key: string }>;
  /** The admin role (distributed mode); `tokenSecret` makes it bind beyond loopback. */
  admin?: { enabled?: boolean; port?: number; tokenSecret?: { name: string; key: string } };
}

/** The program of a component, as the chart derives it. */
export function programOf(c: ComponentValues): string {
  return c.program ?? (c.kind === "aggregate" ? `agg-${c.domain ?? c.name}` : c.name);
}

/** The image key of a component: its `image`, else its program. */
export function imageKeyOf(c: ComponentValues): string {
  return c.image ?? programOf(c);
}

/** A scratch copy of the chart to break on purpose; removed by the returned function. */
export function chartCopy(): { dir: string; remove(): void } {
  const parent = mkdtempSync(join(tmpdir(), "az-chart-"));
  const dir = join(parent, "angzarr");
  cpSync(CHART, dir, { recursive: true });
  return { dir, remove: () => rmSync(parent, { recursive: true, force: true }) };
}
