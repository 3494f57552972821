// The images, for real, with podman: every program's image builds offline from the Containerfile
// (on a local distroless-cc equivalent), starts read-only as user 65532 with no network and
// answers its own health subcommand; no image has a shell; a coordinator and its domain program
// run as two containers sharing the socket through one volume, as in the pod; the standalone pod
// (runtime + every domain program as sidecars) serves the README's example client through a
// published port. Sizes and build times are printed.
import { beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chartValues, type Manifest, render } from "./chart";
import {
  type Built,
  buildAll,
  buildBase,
  IMAGE_REPO,
  IMAGE_TAG,
  imageOf,
  mustPodman,
  PROGRAMS,
  podman,
  podmanProblem,
} from "./images";
import { runPod } from "./pod";
import { ROOT } from "./tools";

const problem = podmanProblem();
const programs = PROGRAMS();
const built = new Map<string, Built>();
const run = `az${process.pid}`;

beforeAll(async () => {
  if (problem) throw new Error(problem);
  const started = performance.now();
  for (const b of await buildAll(programs, (line) => console.log(line))) built.set(b.program, b);
  const total = [...built.values()].reduce((n, b) => n + b.bytes, 0);
  console.log(
    `images: ${built.size} built in ${((performance.now() - started) / 1000).toFixed(1)}s, ${(total / 1e6).toFixed(0)} MB in all`,
  );
}, 1_200_000);

test("podman can build and run images here", () => {
  expect(problem).toBeUndefined();
  expect([...built.keys()].sort()).toEqual([...programs].sort());
});

test("the base has no shell, no package manager, and user nonroot 65532", () => {
  const base = buildBase();
  const container = `${run}-base`;
  mustPodman(["create", "--name", container, base, "/never-run"]);
  try {
    const dir = mkdtempSync(join(tmpdir(), "az-base-"));
    try {
      mustPodman(["export", "--output", join(dir, "fs.tar"), container]);
      const listing = Bun.spawnSync(["tar", "-tf", join(dir, "fs.tar")], { stdout: "pipe" })
        .stdout.toString()
        .split("\n");
      const forbidden = listing.filter((p) =>
        /(^|\/)(s?bin)\/(sh|bash|dash|busybox|apt|apt-get|dpkg|perl|python3?)$/.test(p),
      );
      expect(forbidden).toEqual([]);
      expect(listing).toContain("etc/ssl/certs/ca-certificates.crt");
      const passwd = Bun.spawnSync(["tar", "-xOf", join(dir, "fs.tar"), "--wildcards", "*etc/passwd"], {
        stdout: "pipe",
      }).stdout.toString();
      expect(passwd).toContain("nonroot:x:65532:65532:");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  } finally {
    podman(["rm", "--force", container]);
  }
}, 120_000);

describe.each(programs)("image %s", (program) => {
  test("user 65532, exec entrypoint, no /bin/sh", () => {
    const [user, entrypoint] = mustPodman([
      "image",
      "inspect",
      "--format",
      "{{.Config.User}}|{{json .Config.Entrypoint}}",
      imageOf(program),
    ])
      .trim()
      .split("|");
    expect(user).toBe("65532:65532");
    expect(JSON.parse(entrypoint as string)).toEqual(["/usr/local/bin/entrypoint"]);
    const sh = podman([
      "run",
      "--rm",
      "--network",
      "none",
      "--entrypoint",
      "/bin/sh",
      imageOf(program),
      "-c",
      "true",
    ]);
    expect(sh.code).not.toBe(0);
    expect(sh.stderr).toMatch(/no such file or directory|not found/);
  }, 60_000);

  test("starts read-only as 65532 with no network and answers its health subcommand", async () => {
    const container = `${run}-${program}`;
    const volume = `${container}-sock`;
    const dir = mkdtempSync(join(tmpdir(), "az-img-"));
    mustPodman([
      "volume",
      "create",
      "--opt",
      "type=tmpfs",
      "--opt",
      "device=tmpfs",
      "--opt",
      "o=uid=65532,gid=65532,mode=0700",
      volume,
    ]);
    const common = [
      "run",
      "--detach",
      "--name",
      container,
      "--read-only",
      "--user",
      "65532",
      "--network",
      "none",
      "--cap-drop",
      "ALL",
    ];
    try {
      let health: string[];
      if (program === "angzarr") {
        writeFileSync(join(dir, "angzarr.yaml"), "storage: { backend: memory }\ncomponents: []\n");
        chmodSync(dir, 0o755); // readable by 65532 through the bind mount
        mustPodman([
          ...common,
          "--volume",
          `${dir}:/etc/angzarr:ro`,
          imageOf(program),
          "standalone",
          "--config",
          "/etc/angzarr/angzarr.yaml",
          "--data",
          "/tmp/data",
        ]);
        health = ["/usr/local/bin/angzarr", "health"];
      } else {
        const socket = `/run/angzarr/${program}.sock`;
        mustPodman([
          ...common,
          "--volume",
          `${volume}:/run/angzarr`,
          "--env",
          `PROJECTOR_DB=/tmp/${program}.db`,
          imageOf(program),
          "--socket",
          socket,
        ]);
        health = [`/usr/local/bin/${program}`, "health", "--socket", socket];
      }
      let answer = { code: -1, stdout: "", stderr: "" };
      for (let i = 0; i < 100 && answer.code !== 0; i++) {
        answer = podman(["exec", container, ...health]);
        if (answer.code !== 0) await Bun.sleep(200);
      }
      expect(answer.stdout).toStartWith("SERVING ");
      expect(answer.code).toBe(0);
      mustPodman(["stop", "--time", "10", container]);
      expect(mustPodman(["inspect", "--format", "{{.State.ExitCode}}", container]).trim()).toBe("0");
    } finally {
      podman(["rm", "--force", container]);
      podman(["volume", "rm", "--force", volume]);
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

/** The chart's standalone pod with our local images, optionally with fewer components. */
function standalonePod(components?: { name: string; kind: string }[]): {
  workload: Manifest;
  configMaps: Manifest[];
} {
  const dir = mkdtempSync(join(tmpdir(), "az-values-"));
  try {
    const values = join(dir, "images.yaml");
    const images = Object.fromEntries(
      programs.map((p) => [p, { repository: `${IMAGE_REPO}/${p}`, tag: IMAGE_TAG }]),
    );
    writeFileSync(values, JSON.stringify({ images, ...(components ? { components } : {}) }));
    const manifests = render("standalone", { values: [values] });
    const workload = manifests.find((m) => m.kind === "StatefulSet");
    if (!workload) throw new Error("no StatefulSet rendered");
    return { workload, configMaps: manifests.filter((m) => m.kind === "ConfigMap") };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function exampleClient(port: number): Promise<{ code: number; output: string }> {
  const proc = Bun.spawn(
    [process.execPath, join(ROOT, "scripts", "client-example.ts"), "--gateway", `http://127.0.0.1:${port}`],
    {
      cwd: ROOT,
      stdout: "pipe",
      stderr: "pipe",
    },
  );
  const [code, out, err] = await Promise.all([
    proc.exited,
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
  ]);
  return { code, output: `${out}${err}` };
}

describe("pods", () => {
  test("a coordinator and its domain program: two containers sharing the socket through one volume", async () => {
    const { workload, configMaps } = standalonePod([{ name: "order", kind: "aggregate" }]);
    const spec = (
      workload.spec as { template: { spec: { initContainers: unknown[]; containers: unknown[] } } }
    ).template.spec;
    expect(spec.initContainers).toHaveLength(1);
    expect(spec.containers).toHaveLength(1);
    const pod = await runPod(`${run}-pair`, workload, configMaps);
    try {
      const client = await exampleClient(pod.port(1310));
      if (client.code !== 0) console.log(pod.logs());
      expect(client.output).toContain("OrderCreated");
      expect(client.code).toBe(0);
    } finally {
      pod.stop();
    }
  }, 180_000);

  test("the standalone pod serves the README's example client through a published port", async () => {
    const { workload, configMaps } = standalonePod();
    expect(chartValues("standalone").components.length).toBeGreaterThan(10);
    const pod = await runPod(`${run}-standalone`, workload, configMaps);
    try {
      const client = await exampleClient(pod.port(1310));
      if (client.code !== 0) console.log(pod.logs());
      expect(client.code).toBe(0);
      expect(client.output).toContain("OrderCreated");
    } finally {
      pod.stop();
    }
  }, 300_000);
});
