// Policy over rendered manifests: what a reviewer would check by hand in every pod of the chart.
// Pure: manifests in, one line per violation out ("Kind/name: what is wrong").
//
//   - every container (main and sidecar) non-root with the full securityContext, resources set,
//     an exec probe running a health subcommand, /tmp writable (read-only root filesystem);
//   - images pinned (a tag other than latest, or a digest);
//   - everything referenced exists: volumes, ConfigMaps, Secrets (rendered, or given as the
//     Secrets the support script writes), ServiceAccounts, PVCs, Service target ports, HPA
//     targets, StatefulSet governing Services;
//   - selectors match pod labels (workloads, Services, PodDisruptionBudgets), one PDB per workload;
//   - every component in values has its workload and its domain program as a native sidecar;
//   - distributed mode: the gateway, and the admin role (`angzarr admin`) unless values turn it off.
import { type ChartValues, imageKeyOf, type Manifest, programOf } from "./chart";

export const NONROOT = 65532;

type Json = Record<string, unknown>;

interface Container extends Json {
  name: string;
  args?: string[];
  image?: string;
  restartPolicy?: string;
  securityContext?: Json;
  resources?: { requests?: Json; limits?: Json };
  volumeMounts?: { name: string; mountPath: string; subPath?: string }[];
  ports?: { name?: string; containerPort: number }[];
  env?: {
    name: string;
    valueFrom?: { secretKeyRef?: { name: string }; configMapKeyRef?: { name: string } };
  }[];
  envFrom?: { secretRef?: { name: string }; configMapRef?: { name: string } }[];
  startupProbe?: Json;
  readinessProbe?: Json;
  livenessProbe?: Json;
}

interface PodSpec extends Json {
  containers?: Container[];
  initContainers?: Container[];
  volumes?: (Json & { name: string })[];
  serviceAccountName?: string;
  securityContext?: Json;
  hostNetwork?: boolean;
  hostPID?: boolean;
  hostIPC?: boolean;
  automountServiceAccountToken?: boolean;
}

interface Workload {
  manifest: Manifest;
  id: string;
  podLabels: Record<string, string>;
  podAnnotations: Record<string, string>;
  pod: PodSpec;
  volumeClaimTemplates: string[];
}

const WORKLOAD_KINDS = new Set(["Deployment", "StatefulSet", "DaemonSet", "Job"]);

const idOf = (m: Manifest) => `${m.kind}/${m.metadata?.name}`;
const get = (value: unknown, ...path: string[]): unknown =>
  path.reduce<unknown>(
    (v, key) => (v !== null && typeof v === "object" ? (v as Json)[key] : undefined),
    value,
  );

function workloads(manifests: Manifest[]): Workload[] {
  return manifests
    .filter((m) => WORKLOAD_KINDS.has(m.kind))
    .map((m) => ({
      manifest: m,
      id: idOf(m),
      podLabels: (get(m, "spec", "template", "metadata", "labels") ?? {}) as Record<string, string>,
      podAnnotations: (get(m, "spec", "template", "metadata", "annotations") ?? {}) as Record<string, string>,
      pod: (get(m, "spec", "template", "spec") ?? {}) as PodSpec,
      volumeClaimTemplates: ((get(m, "spec", "volumeClaimTemplates") ?? []) as Manifest[]).map(
        (t) => t.metadata?.name,
      ),
    }));
}

const matches = (selector: Record<string, string> | undefined, labels: Record<string, string>) =>
  selector !== undefined &&
  Object.keys(selector).length > 0 &&
  Object.entries(selector).every(([k, v]) => labels[k] === v);

/** An image reference pinned to a tag other than latest, or to a digest. */
export function isPinned(image: string | undefined): boolean {
  if (!image) return false;
  if (/@sha256:[a-f0-9]{64}$/.test(image)) return true;
  const lastSegment = image.slice(image.lastIndexOf("/") + 1);
  const tag = lastSegment.includes(":") ? lastSegment.slice(lastSegment.indexOf(":") + 1) : "";
  return tag !== "" && tag !== "latest";
}

const REQUIRED_CONTAINER_CONTEXT: [string, unknown][] = [
  ["runAsNonRoot", true],
  ["runAsUser", NONROOT],
  ["runAsGroup", NONROOT],
  ["readOnlyRootFilesystem", true],
  ["allowPrivilegeEscalation", false],
];

function checkContainer(w: Workload, c: Container, sidecar: boolean, out: string[]): void {
  const where = `${w.id}: ${sidecar ? "sidecar" : "container"} ${c.name}`;
  const sc = c.securityContext ?? {};
  for (const [field, want] of REQUIRED_CONTAINER_CONTEXT) {
    if (sc[field] !== want)
      out.push(`${where}: securityContext.${field} must be ${want}, is ${JSON.stringify(sc[field])}`);
  }
  if (sc.privileged === true) out.push(`${where}: securityContext.privileged must not be true`);
  const drop = (get(sc, "capabilities", "drop") ?? []) as string[];
  if (!drop.includes("ALL")) out.push(`${where}: securityContext.capabilities.drop must include ALL`);
  if (((get(sc, "capabilities", "add") ?? []) as string[]).length > 0)
    out.push(`${where}: securityContext.capabilities.add must be empty`);
  if (get(sc, "seccompProfile", "type") !== "RuntimeDefault")
    out.push(`${where}: securityContext.seccompProfile.type must be RuntimeDefault`);
  if (!isPinned(c.image))
    out.push(`${where}: image ${JSON.stringify(c.image)} is not pinned (tag other than latest, or digest)`);
  for (const kind of ["requests", "limits"] as const) {
    if (!c.resources?.[kind]?.memory) out.push(`${where}: resources.${kind}.memory must be set`);
  }
  if (!c.resources?.requests?.cpu) out.push(`${where}: resources.requests.cpu must be set`);
  for (const probe of ["startupProbe", "readinessProbe", "livenessProbe"] as const) {
    const command = get(c[probe], "exec", "command") as string[] | undefined;
    if (!Array.isArray(command) || !command.includes("health"))
      out.push(`${where}: ${probe} must exec the program's health subcommand`);
  }
  const mounts = c.volumeMounts ?? [];
  if (!mounts.some((m) => m.mountPath === "/tmp"))
    out.push(`${where}: /tmp must be a mounted volume (read-only root)`);
  const volumes = new Set((w.pod.volumes ?? []).map((v) => v.name));
  for (const m of mounts) {
    if (!volumes.has(m.name) && !w.volumeClaimTemplates.includes(m.name))
      out.push(`${where}: volumeMount ${m.name} names no volume of the pod`);
  }
}

function referencedNames(pod: PodSpec, kind: "secret" | "configMap"): string[] {
  const names: string[] = [];
  for (const c of [...(pod.containers ?? []), ...(pod.initContainers ?? [])]) {
    for (const e of c.env ?? []) {
      const ref = kind === "secret" ? e.valueFrom?.secretKeyRef : e.valueFrom?.configMapKeyRef;
      if (ref) names.push(ref.name);
    }
    for (const e of c.envFrom ?? []) {
      const ref = kind === "secret" ? e.secretRef : e.configMapRef;
      if (ref) names.push(ref.name);
    }
  }
  for (const v of pod.volumes ?? []) {
    const name = kind === "secret" ? get(v, "secret", "secretName") : get(v, "configMap", "name");
    if (typeof name === "string") names.push(name);
  }
  return names;
}

export interface PolicyOptions {
  /** The values the manifests were rendered from (components, mode). */
  values: ChartValues;
  /** Secrets that exist outside the chart (e.g. written by deploy/ops/angzarr_secrets.py). */
  externalSecrets?: Manifest[];
}

export function checkPolicy(manifests: Manifest[], options: PolicyOptions): string[] {
  const out: string[] = [];
  const byKind = (kind: string) => manifests.filter((m) => m.kind === kind);
  const names = (kind: string, extra: Manifest[] = []) =>
    new Set([...byKind(kind), ...extra].map((m) => m.metadata.name));
  const configMaps = names("ConfigMap");
  const secrets = names("Secret", options.externalSecrets ?? []);
  const serviceAccounts = names("ServiceAccount");
  const claims = names("PersistentVolumeClaim");
  const services = byKind("Service");
  const all = workloads(manifests);

  const seen = new Set<string>();
  for (const m of manifests) {
    if (seen.has(idOf(m))) out.push(`${idOf(m)}: rendered twice`);
    seen.add(idOf(m));
  }

  for (const w of all) {
    const selector = get(w.manifest, "spec", "selector", "matchLabels") as Record<string, string> | undefined;
    if (!matches(selector, w.podLabels))
      out.push(`${w.id}: spec.selector.matchLabels does not match the pod labels`);
    const psc = w.pod.securityContext ?? {};
    for (const [field, want] of [
      ["runAsNonRoot", true],
      ["runAsUser", NONROOT],
      ["runAsGroup", NONROOT],
    ] as const) {
      if (psc[field] !== want) out.push(`${w.id}: pod securityContext.${field} must be ${want}`);
    }
    if (get(psc, "seccompProfile", "type") !== "RuntimeDefault")
      out.push(`${w.id}: pod securityContext.seccompProfile.type must be RuntimeDefault`);
    for (const flag of ["hostNetwork", "hostPID", "hostIPC"] as const) {
      if (w.pod[flag] === true) out.push(`${w.id}: ${flag} must not be set`);
    }
    if (w.pod.automountServiceAccountToken !== false)
      out.push(`${w.id}: automountServiceAccountToken must be false`);
    for (const v of w.pod.volumes ?? []) {
      if ("hostPath" in v) out.push(`${w.id}: volume ${v.name} is a hostPath`);
      const claim = get(v, "persistentVolumeClaim", "claimName");
      if (typeof claim === "string" && !claims.has(claim))
        out.push(`${w.id}: volume ${v.name} claims a missing PVC ${claim}`);
    }
    const account = w.pod.serviceAccountName;
    if (!account || !serviceAccounts.has(account))
      out.push(`${w.id}: serviceAccountName ${JSON.stringify(account)} is not a rendered ServiceAccount`);
    for (const name of referencedNames(w.pod, "configMap")) {
      if (!configMaps.has(name)) out.push(`${w.id}: ConfigMap ${name} is referenced but not rendered`);
    }
    for (const name of referencedNames(w.pod, "secret")) {
      if (!secrets.has(name))
        out.push(`${w.id}: Secret ${name} is referenced but neither rendered nor given`);
    }
    if (referencedNames(w.pod, "configMap").length > 0 && !w.podAnnotations["checksum/config"])
      out.push(
        `${w.id}: pod template needs a checksum/config annotation so pods roll when the ConfigMap changes`,
      );
    if ((w.pod.containers ?? []).length === 0) out.push(`${w.id}: no containers`);
    for (const c of w.pod.containers ?? []) checkContainer(w, c, false, out);
    for (const c of w.pod.initContainers ?? []) {
      if (c.restartPolicy !== "Always")
        out.push(`${w.id}: init container ${c.name} must be a native sidecar (restartPolicy: Always)`);
      checkContainer(w, c, true, out);
    }
    const budgets = byKind("PodDisruptionBudget").filter((p) =>
      matches(get(p, "spec", "selector", "matchLabels") as Record<string, string>, w.podLabels),
    );
    if (budgets.length !== 1)
      out.push(`${w.id}: needs exactly one PodDisruptionBudget, has ${budgets.length}`);
    const governing = get(w.manifest, "spec", "serviceName");
    if (w.manifest.kind === "StatefulSet" && !services.some((s) => s.metadata.name === governing))
      out.push(`${w.id}: serviceName ${JSON.stringify(governing)} is not a rendered Service`);
  }

  for (const s of services) {
    const selector = get(s, "spec", "selector") as Record<string, string> | undefined;
    const targets = all.filter((w) => matches(selector, w.podLabels));
    if (targets.length === 0) {
      out.push(`${idOf(s)}: selector matches no pod`);
      continue;
    }
    for (const port of (get(s, "spec", "ports") ?? []) as { name?: string; targetPort?: string | number }[]) {
      const target = port.targetPort;
      if (typeof target !== "string") continue;
      const found = targets.every((w) =>
        (w.pod.containers ?? []).some((c) => (c.ports ?? []).some((p) => p.name === target)),
      );
      if (!found) out.push(`${idOf(s)}: targetPort ${target} is not a named port of the selected pods`);
    }
  }
  for (const p of byKind("PodDisruptionBudget")) {
    if (
      !all.some((w) =>
        matches(get(p, "spec", "selector", "matchLabels") as Record<string, string>, w.podLabels),
      )
    )
      out.push(`${idOf(p)}: selector matches no workload`);
  }
  for (const h of byKind("HorizontalPodAutoscaler")) {
    const ref = get(h, "spec", "scaleTargetRef") as { kind?: string; name?: string } | undefined;
    if (!all.some((w) => w.manifest.kind === ref?.kind && w.manifest.metadata.name === ref?.name))
      out.push(`${idOf(h)}: scaleTargetRef ${ref?.kind}/${ref?.name} is not rendered`);
    const target = all.find((w) => w.manifest.kind === ref?.kind && w.manifest.metadata.name === ref?.name);
    if (target && get(target.manifest, "spec", "replicas") !== undefined)
      out.push(`${idOf(h)}: ${target.id} sets spec.replicas, which fights the autoscaler`);
  }

  // Every component in values has its workload, with its domain program as a native sidecar.
  const sidecarImages = (w: Workload) =>
    (w.pod.initContainers ?? []).filter((c) => c.restartPolicy === "Always").map((c) => c.image ?? "");
  for (const component of options.values.components ?? []) {
    const program = programOf(component);
    const imageKey = imageKeyOf(component);
    const repository = options.values.images[imageKey]?.repository ?? imageKey;
    const hasSidecar = (w: Workload) =>
      sidecarImages(w).some(
        (image) => image.startsWith(`${repository}:`) || image.startsWith(`${repository}@`),
      );
    const role = component.kind === "aggregate" ? `agg-${component.name}` : component.name;
    const home =
      options.values.mode === "standalone"
        ? all.find((w) => w.manifest.kind === "StatefulSet")
        : all.find(
            (w) => w.manifest.kind === "Deployment" && w.podLabels["app.kubernetes.io/component"] === role,
          );
    if (!home) out.push(`component ${component.kind} ${component.name}: no workload rendered`);
    else if (!hasSidecar(home))
      out.push(`component ${component.kind} ${component.name}: ${home.id} has no sidecar running ${program}`);
  }
  if (options.values.mode === "distributed") {
    const role = (name: string) =>
      all.find(
        (w) => w.manifest.kind === "Deployment" && w.podLabels["app.kubernetes.io/component"] === name,
      );
    if (!role("gateway")) out.push("the gateway Deployment is not rendered");
    if (options.values.admin?.enabled !== false) {
      const admin = role("admin");
      if (!admin) out.push("the admin Deployment is not rendered");
      else if ((admin.pod.containers ?? [])[0]?.args?.[0] !== "admin")
        out.push(`${admin.id}: its container must run \`angzarr admin\``);
    }
  }
  return out;
}
