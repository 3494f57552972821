// Runs a rendered pod spec with podman, the way the kubelet would for what matters here (podman
// kube play ignores native sidecars and probes): native sidecars first, each gated on its
// startupProbe (exec'd in the container), then the main containers, gated the same way; each
// container with its own user, read-only root, dropped capabilities, env, args and mounts.
// Volumes: emptyDir and claim templates become podman volumes owned by the pod's fsGroup user,
// ConfigMaps become read-only folders. Sidecars get no network; main containers publish their
// ports on 127.0.0.1. (subPath mounts take the whole volume.)
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Manifest } from "./chart";
import { mustPodman, podman } from "./images";

type Json = Record<string, unknown>;
interface Container {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  env?: { name: string; value?: string }[];
  ports?: { containerPort: number }[];
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
  securityContext?: Json;
  startupProbe?: { exec?: { command: string[] }; periodSeconds?: number; failureThreshold?: number };
}
interface PodSpec {
  initContainers?: Container[];
  containers: Container[];
  volumes?: (Json & { name: string })[];
  securityContext?: { fsGroup?: number };
}

export interface RunningPod {
  /** Host port of a main container's port. */
  port(containerPort: number): number;
  logs(): string;
  stop(): void;
}

const get = (value: unknown, ...path: string[]): unknown =>
  path.reduce<unknown>(
    (v, key) => (v !== null && typeof v === "object" ? (v as Json)[key] : undefined),
    value,
  );

/** Waits until the container's startup probe passes; throws with its output and logs when it never does. */
async function startupGate(container: string, c: Container): Promise<void> {
  const command = c.startupProbe?.exec?.command;
  if (!command) throw new Error(`${c.name}: no exec startupProbe`);
  const deadline = Date.now() + 60_000;
  let last = "";
  while (Date.now() < deadline) {
    const run = podman(["exec", container, ...command]);
    if (run.code === 0) return;
    last = `${run.stdout}${run.stderr}`.trim();
    const state = podman(["inspect", "--format", "{{.State.Status}}", container]).stdout.trim();
    if (state === "exited") break;
    await Bun.sleep(300);
  }
  const logs = podman(["logs", container]);
  throw new Error(`${c.name}: startup probe never passed (${last})\n${logs.stdout}${logs.stderr}`);
}

export async function runPod(name: string, workload: Manifest, configMaps: Manifest[]): Promise<RunningPod> {
  const pod = get(workload, "spec", "template", "spec") as PodSpec;
  const fsGroup = pod.securityContext?.fsGroup ?? 65532;
  const claims = ((get(workload, "spec", "volumeClaimTemplates") ?? []) as Manifest[]).map(
    (t) => t.metadata.name,
  );
  const scratch = mkdtempSync(join(tmpdir(), `az-pod-${name}-`));
  const volumes = new Map<string, string>();
  const created: string[] = [];
  const containers: string[] = [];
  const stop = () => {
    if (containers.length > 0) podman(["rm", "--force", "--time", "2", ...[...containers].reverse()]);
    if (created.length > 0) podman(["volume", "rm", "--force", ...created]);
    rmSync(scratch, { recursive: true, force: true });
  };
  try {
    for (const v of [...(pod.volumes ?? []), ...claims.map((c) => ({ name: c, emptyDir: {} }))]) {
      const cm = get(v, "configMap", "name");
      if (typeof cm === "string") {
        const data = (configMaps.find((m) => m.metadata.name === cm)?.data ?? {}) as Record<string, string>;
        const dir = join(scratch, v.name);
        mkdirSync(dir, { recursive: true });
        for (const [file, text] of Object.entries(data)) writeFileSync(join(dir, file), text);
        volumes.set(v.name, `${dir}:ro`);
        continue;
      }
      const volume = `${name}-${v.name}`;
      podman(["volume", "rm", "--force", volume]);
      mustPodman(["volume", "create", volume]);
      created.push(volume);
      const mountpoint = mustPodman(["volume", "inspect", "--format", "{{.Mountpoint}}", volume]).trim();
      chownSync(mountpoint, 0, fsGroup);
      chmodSync(mountpoint, 0o2770);
      volumes.set(v.name, volume);
    }
    const published = new Map<number, number>();
    const start = async (c: Container, sidecar: boolean) => {
      const sc = c.securityContext ?? {};
      const container = `${name}-${c.name}`;
      podman(["rm", "--force", container]);
      const args = [
        "run",
        "--detach",
        "--name",
        container,
        "--user",
        `${sc.runAsUser ?? 65532}:${sc.runAsGroup ?? 65532}`,
      ];
      args.push("--group-add", String(fsGroup));
      if (sc.readOnlyRootFilesystem === true) args.push("--read-only");
      if (((get(sc, "capabilities", "drop") ?? []) as string[]).includes("ALL"))
        args.push("--cap-drop", "ALL");
      if (sc.allowPrivilegeEscalation === false) args.push("--security-opt", "no-new-privileges");
      if (sidecar) args.push("--network", "none");
      for (const p of c.ports ?? []) args.push("--publish", `127.0.0.1::${p.containerPort}`);
      for (const e of c.env ?? []) if (e.value !== undefined) args.push("--env", `${e.name}=${e.value}`);
      for (const m of c.volumeMounts ?? []) {
        const source = volumes.get(m.name);
        if (!source) throw new Error(`${c.name}: volume ${m.name} is not in the pod`);
        args.push(
          "--volume",
          `${source.replace(/:ro$/, "")}:${m.mountPath}${m.readOnly || source.endsWith(":ro") ? ":ro" : ""}`,
        );
      }
      if (c.command) args.push("--entrypoint", JSON.stringify(c.command));
      args.push(c.image, ...(c.args ?? []));
      mustPodman(args);
      containers.push(container);
      await startupGate(container, c);
      for (const p of c.ports ?? []) {
        const mapped = mustPodman(["port", container, `${p.containerPort}/tcp`]).trim();
        published.set(p.containerPort, Number(mapped.slice(mapped.lastIndexOf(":") + 1)));
      }
    };
    for (const c of pod.initContainers ?? []) await start(c, true);
    for (const c of pod.containers) await start(c, false);
    return {
      port(containerPort) {
        const port = published.get(containerPort);
        if (port === undefined) throw new Error(`port ${containerPort} is not published`);
        return port;
      },
      logs: () => containers.map((c) => `--- ${c}\n${podman(["logs", c]).stderr}`).join("\n"),
      stop,
    };
  } catch (err) {
    stop();
    throw err;
  }
}
