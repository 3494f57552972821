// The images, for real, with podman: every program's image builds offline from the Containerfile
// (on a local distroless-cc equivalent), starts read-only as user 65532 with no network and
// answers its own health subcommand; no image has a shell; a coordinator and its domain program
// run as two containers sharing the socket through one volume, as in the pod; the standalone pod
// (runtime + every domain program as sidecars) serves the README's example client through a
// published port. The language images (examples-python, examples-go) likewise: user 65532, no
// shell, every program in them answering its health subcommand, a Python aggregate serving a
// coordinator in a pod. Sizes and build times are printed.
import { beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AnyPayload, CommandBooks, CommandGateway, Covers, Identity } from "@angzarr/proto";
import { CreateOrderSchema, LineItemSchema } from "@angzarr/proto/examples.ts";
import { create } from "@bufbuild/protobuf";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { type ComponentValues, chartValues, type Manifest, render } from "./chart";
import {
  type Built,
  buildAll,
  buildBase,
  buildLanguageImage,
  IMAGE_REPO,
  IMAGE_TAG,
  imageOf,
  LANGUAGE_IMAGES,
  languagePrograms,
  mustPodman,
  PROGRAMS,
  podman,
  podmanProblem,
  type Run,
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
  for (const image of LANGUAGE_IMAGES)
    built.set(image, await buildLanguageImage(image, (line) => console.log(line)));
  const total = [...built.values()].reduce((n, b) => n + b.bytes, 0);
  console.log(
    `images: ${built.size} built in ${((performance.now() - started) / 1000).toFixed(1)}s, ${(total / 1e6).toFixed(0)} MB in all`,
  );
}, 1_200_000);

test("podman can build and run images here", () => {
  expect(problem).toBeUndefined();
  expect([...built.keys()].sort()).toEqual([...programs, ...LANGUAGE_IMAGES].sort());
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

/** A tmpfs volume owned by 65532, for the programs' sockets. */
function socketVolume(volume: string): void {
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
}

/** `podman run` of a detached container as the chart runs it: read-only, 65532, no network, no capabilities. */
const lockedDown = (container: string) => [
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

/** The health command's answer inside the container, asked until it says SERVING (or 20 s). */
async function healthOf(container: string, health: string[]): Promise<Run> {
  let answer: Run = { code: -1, stdout: "", stderr: "" };
  for (let i = 0; i < 100 && answer.code !== 0; i++) {
    answer = podman(["exec", container, ...health]);
    if (answer.code !== 0) await Bun.sleep(200);
  }
  return answer;
}

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
    socketVolume(volume);
    const common = lockedDown(container);
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
      const answer = await healthOf(container, health);
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

describe.each(LANGUAGE_IMAGES)("language image %s", (image) => {
  test("user 65532, no entrypoint (the program is the command), no /bin/sh", () => {
    const [user, entrypoint] = mustPodman([
      "image",
      "inspect",
      "--format",
      "{{.Config.User}}|{{json .Config.Entrypoint}}",
      imageOf(image),
    ])
      .trim()
      .split("|");
    expect(user).toBe("65532:65532");
    expect(JSON.parse(entrypoint as string) ?? []).toEqual([]);
    const sh = podman(["run", "--rm", "--network", "none", imageOf(image), "/bin/sh", "-c", "true"]);
    expect(sh.code).not.toBe(0);
    expect(sh.stderr).toMatch(/no such file or directory|not found/);
  }, 60_000);

  test("one program serves read-only as 65532 with no network; every program answers its health subcommand", async () => {
    const container = `${run}-${image}`;
    const volume = `${container}-sock`;
    const socket = "/run/angzarr/agg-order.sock";
    socketVolume(volume);
    try {
      mustPodman([
        ...lockedDown(container),
        "--volume",
        `${volume}:/run/angzarr`,
        imageOf(image),
        "/usr/local/bin/agg-order",
        "--socket",
        socket,
      ]);
      const answer = await healthOf(container, ["/usr/local/bin/agg-order", "health", "--socket", socket]);
      expect(answer.stdout.trim()).toBe(`SERVING unix:${socket}`);
      expect(answer.code).toBe(0);
      // Every program of the image is there and runs: asked about a socket nobody serves, each
      // says so in one line and exits 1.
      const programs = languagePrograms(image);
      expect(programs.length).toBeGreaterThanOrEqual(10);
      for (const program of programs) {
        const none = podman([
          "exec",
          container,
          `/usr/local/bin/${program}`,
          "health",
          "--socket",
          "/run/angzarr/none.sock",
          "--timeout",
          "1000",
        ]);
        expect(`${program}: ${none.stdout.trim()}`).toStartWith(
          `${program}: NOT_SERVING unix:/run/angzarr/none.sock`,
        );
        expect(none.code).toBe(1);
      }
      mustPodman(["stop", "--time", "10", container]);
      expect(mustPodman(["inspect", "--format", "{{.State.ExitCode}}", container]).trim()).toBe("0");
    } finally {
      podman(["rm", "--force", container]);
      podman(["volume", "rm", "--force", volume]);
    }
  }, 120_000);
});

/** The chart's standalone pod with our local images, optionally with fewer components. */
function standalonePod(components?: ComponentValues[]): {
  workload: Manifest;
  configMaps: Manifest[];
} {
  const dir = mkdtempSync(join(tmpdir(), "az-values-"));
  try {
    const values = join(dir, "images.yaml");
    const images = Object.fromEntries(
      [...programs, ...LANGUAGE_IMAGES].map((p) => [p, { repository: `${IMAGE_REPO}/${p}`, tag: IMAGE_TAG }]),
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

/** One CreateOrder through the gateway on `port`; the type names of the events it stored. */
async function createOrder(port: number): Promise<string[]> {
  const transport = createConnectTransport({
    baseUrl: `http://127.0.0.1:${port}`,
    httpVersion: "2",
    useBinaryFormat: true,
  });
  const root = Identity.orderRoot(`ORD-PAIR-${Date.now()}`);
  const command = create(CreateOrderSchema, {
    customerId: "CUST-001",
    items: [
      create(LineItemSchema, { productId: "SKU-001", name: "Widget", quantity: 1, unitPriceCents: 1000 }),
    ],
  });
  const response = await createClient(CommandGateway, transport).execute(
    CommandBooks.make(Covers.make({ domain: "order", root }), AnyPayload.pack(CreateOrderSchema, command), 0),
  );
  return (response.events?.pages ?? []).map((p) => AnyPayload.nameOf(p.event));
}

/** Runs the pod, creates one order through its gateway, stops it: the stored events' type names. */
async function orderThroughPod(name: string, workload: Manifest, configMaps: Manifest[]): Promise<string[]> {
  const pod = await runPod(name, workload, configMaps);
  try {
    return await createOrder(pod.port(1310));
  } catch (err) {
    console.log(pod.logs());
    throw err;
  } finally {
    pod.stop();
  }
}

describe("pods", () => {
  test("a coordinator and its domain program: two containers sharing the socket through one volume", async () => {
    const { workload, configMaps } = standalonePod([{ name: "order", kind: "aggregate" }]);
    const spec = (
      workload.spec as { template: { spec: { initContainers: unknown[]; containers: unknown[] } } }
    ).template.spec;
    expect(spec.initContainers).toHaveLength(1);
    expect(spec.containers).toHaveLength(1);
    // Only the order domain runs here (the example client also stocks inventory first): one
    // CreateOrder through the gateway, answered by the program in the other container.
    expect(await orderThroughPod(`${run}-pair`, workload, configMaps)).toEqual(["examples.OrderCreated"]);
  }, 180_000);

  test("a coordinator and a Python program from the examples-python image, over gRPC, as values-python.yaml runs it", async () => {
    const { workload, configMaps } = standalonePod([
      { name: "order", kind: "aggregate", image: "examples-python", handler: { transport: "grpc" } },
    ]);
    expect(await orderThroughPod(`${run}-python`, workload, configMaps)).toEqual(["examples.OrderCreated"]);
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
