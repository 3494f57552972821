// Every rendered manifest against the Kubernetes API schemas, twice over:
//   - kubernetes-models validates types, enums and required fields (it lets unknown fields pass);
//   - kubernetes-types through `tsc --strict` rejects unknown (misspelled) fields at any depth:
//     each manifest becomes a typed object literal, and excess properties are type errors.
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { StatefulSet } from "kubernetes-models/apps/v1/StatefulSet";
import { HorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1/PodDisruptionBudget";
import { ConfigMap } from "kubernetes-models/v1/ConfigMap";
import { PersistentVolumeClaim } from "kubernetes-models/v1/PersistentVolumeClaim";
import { Secret } from "kubernetes-models/v1/Secret";
import { Service } from "kubernetes-models/v1/Service";
import { ServiceAccount } from "kubernetes-models/v1/ServiceAccount";
import type { Manifest } from "./chart";
import { CACHE, ROOT } from "./tools";

interface Model {
  validate(): void;
}

/** apiVersion/kind → its model and its kubernetes-types type (module, name). */
const KINDS: Record<string, { model: new (data: never) => Model; types: [string, string] }> = {
  "v1/ConfigMap": { model: ConfigMap, types: ["core/v1", "ConfigMap"] },
  "v1/PersistentVolumeClaim": { model: PersistentVolumeClaim, types: ["core/v1", "PersistentVolumeClaim"] },
  "v1/Secret": { model: Secret, types: ["core/v1", "Secret"] },
  "v1/Service": { model: Service, types: ["core/v1", "Service"] },
  "v1/ServiceAccount": { model: ServiceAccount, types: ["core/v1", "ServiceAccount"] },
  "apps/v1/Deployment": { model: Deployment, types: ["apps/v1", "Deployment"] },
  "apps/v1/StatefulSet": { model: StatefulSet, types: ["apps/v1", "StatefulSet"] },
  "autoscaling/v2/HorizontalPodAutoscaler": {
    model: HorizontalPodAutoscaler,
    types: ["autoscaling/v2", "HorizontalPodAutoscaler"],
  },
  "policy/v1/PodDisruptionBudget": {
    model: PodDisruptionBudget,
    types: ["policy/v1", "PodDisruptionBudget"],
  },
};

const keyOf = (m: Manifest) => `${m.apiVersion}/${m.kind}`;
const idOf = (m: Manifest) => `${m.kind}/${m.metadata?.name}`;

/** Types, enums and required fields (kubernetes-models). */
export function validateModels(manifests: Manifest[]): string[] {
  const out: string[] = [];
  for (const m of manifests) {
    const known = KINDS[keyOf(m)];
    if (!known) {
      out.push(`${idOf(m)}: no schema known for ${keyOf(m)} (add it to deploy/kube-schema.ts)`);
      continue;
    }
    try {
      new known.model(structuredClone(m) as never).validate();
    } catch (err) {
      out.push(`${idOf(m)}: ${(err as Error).message}`);
    }
  }
  return out;
}

/** Unknown fields anywhere (kubernetes-types under tsc --strict). One line per error. */
export function typeCheck(manifests: Manifest[]): string[] {
  const dir = join(CACHE, "kube-types", `${process.pid}-${Math.random().toString(36).slice(2)}`);
  mkdirSync(dir, { recursive: true });
  try {
    const imports = new Map<string, Set<string>>();
    const lines: string[] = [];
    manifests.forEach((m, i) => {
      const known = KINDS[keyOf(m)];
      if (!known) return;
      const [module, type] = known.types;
      imports.set(module, (imports.get(module) ?? new Set()).add(type));
      lines.push(`export const m${i}: ${type} = ${JSON.stringify(m)};`);
    });
    const header = [...imports].map(
      ([module, types]) => `import type { ${[...types].join(", ")} } from "kubernetes-types/${module}";`,
    );
    writeFileSync(join(dir, "manifests.ts"), `${[...header, ...lines].join("\n")}\n`);
    writeFileSync(
      join(dir, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          noEmit: true,
          module: "Preserve",
          moduleResolution: "bundler",
          types: [],
          skipLibCheck: true,
        },
        files: ["manifests.ts"],
      }),
    );
    const { FORCE_COLOR: _colour, ...env } = process.env; // tsc takes FORCE_COLOR=0 as "colour"
    const done = Bun.spawnSync(
      [join(ROOT, "node_modules", ".bin", "tsc"), "--pretty", "false", "-p", join(dir, "tsconfig.json")],
      { stdout: "pipe", stderr: "pipe", env },
    );
    if (done.exitCode === 0) return [];
    const text = `${done.stdout}${done.stderr}`;
    const errors = [...text.matchAll(/manifests\.ts\((\d+),\d+\): error (TS\d+: .*)/g)];
    if (errors.length === 0) return [`tsc failed: ${text.trim()}`];
    return errors.map(([, line, message]) => {
      const index = Number(/^export const m(\d+)/.exec([...header, ...lines][Number(line) - 1] ?? "")?.[1]);
      const m = manifests[index];
      return `${m ? idOf(m) : `line ${line}`}: ${message}`;
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Both checks. */
export function validateKubernetes(manifests: Manifest[]): string[] {
  return [...validateModels(manifests), ...typeCheck(manifests)];
}
