// The chart, offline: helm lint --strict and helm template per profile, every manifest against the
// Kubernetes schemas, the policy, the runtime accepting the ConfigMap, values refused by the
// schema; and each check shown to fail on a deliberately broken copy.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadConfig } from "../runtime/config/load";
import { removeDir, tempDir } from "../runtime/testing/processes";
import {
  CHART,
  chartCopy,
  chartValues,
  helm,
  lint,
  type Manifest,
  type Profile,
  parseManifests,
  render,
  template,
} from "./chart";
import { validateKubernetes } from "./kube-schema";
import { checkPolicy } from "./policy";
import { ROOT } from "./tools";

/** The Secrets the chart reads, as the support script writes them. */
function scriptSecrets(): Manifest[] {
  const done = Bun.spawnSync(
    [
      "/usr/bin/python3",
      join(ROOT, "deploy", "ops", "angzarr_secrets.py"),
      "--postgres-url",
      "postgres://angzarr:pw@postgres:5432/angzarr",
      "--amqp-url",
      "amqp://angzarr:pw@rabbitmq:5672",
      "--namespace",
      "angzarr",
      "--out",
      "-",
    ],
    { stdout: "pipe", stderr: "pipe" },
  );
  if (done.exitCode !== 0) throw new Error(`angzarr_secrets.py failed: ${done.stderr}`);
  return parseManifests(done.stdout.toString());
}

const profiles: Profile[] = ["distributed", "standalone"];
/** The example system with another language's programs (distributed mode, values-<language>.yaml). */
const languages: Profile[] = ["python", "go"];
const rendered = new Map<Profile, Manifest[]>();
let secrets: Manifest[] = [];
let scratch: string;

beforeAll(() => {
  for (const p of [...profiles, ...languages]) rendered.set(p, render(p));
  secrets = scriptSecrets();
  scratch = tempDir("az-chart-test-");
}, 120_000); // helm is fetched here on first use when the test command has not fetched it
afterAll(() => {
  if (scratch) removeDir(scratch);
});

// biome-ignore lint/suspicious/noExplicitAny: the tests walk and break rendered manifests as free-form data
type Loose = any;
const manifestsOf = (p: Profile) => structuredClone(rendered.get(p) as Manifest[]);
const find = (ms: Manifest[], kind: string, name: string): Loose =>
  ms.find((m) => m.kind === kind && m.metadata.name === name);
const policy = (p: Profile, ms = manifestsOf(p)) =>
  checkPolicy(ms, { values: chartValues(p), externalSecrets: secrets });

describe.each(profiles)("profile %s", (profile) => {
  test("helm lint --strict is clean", () => {
    const run = lint(profile);
    expect(run.stderr + run.stdout).toContain("0 chart(s) failed");
    expect(run.code).toBe(0);
  });

  test("every rendered manifest passes the Kubernetes schemas", () => {
    expect(manifestsOf(profile).length).toBeGreaterThan(4);
    expect(validateKubernetes(manifestsOf(profile))).toEqual([]);
  });

  test("the policy holds", () => {
    expect(policy(profile)).toEqual([]);
  });

  test("NOTES.txt says where the gateway is and how to wait for the roles", () => {
    const run = helm([
      "install",
      "rel",
      CHART,
      "--dry-run=client",
      "--namespace",
      "angzarr",
      ...(profile === "standalone" ? ["-f", join(CHART, "values-standalone.yaml")] : []),
    ]);
    expect(run.code).toBe(0);
    const notes = run.stdout.slice(run.stdout.indexOf("NOTES:"));
    expect(notes).toContain(`(${profile} mode)`);
    expect(notes).toContain(
      `service/rel-angzarr-${profile === "standalone" ? "standalone" : "gateway"} 1310:1310`,
    );
    expect(notes).toContain("wait_ready.py --namespace angzarr --release rel");
    if (profile === "distributed")
      expect(notes).toContain("port-forward deployment/rel-angzarr-admin 1311:1311");
    else expect(notes).not.toContain("Admin role");
  });

  test("the runtime accepts the ConfigMap's YAML", () => {
    const cm = manifestsOf(profile).find((m) => m.kind === "ConfigMap") as Manifest & {
      data: Record<string, string>;
    };
    const file = join(scratch, `${profile}.yaml`);
    writeFileSync(file, cm.data["angzarr.yaml"] as string);
    const config = loadConfig({ file, env: { ANGZARR_PG_URL: "postgres://u@h/db" } });
    expect(config.host).toBe("0.0.0.0");
    expect(config.components.map((c) => c.name).sort()).toEqual(
      chartValues(profile)
        .components.map((c) => c.name)
        .sort(),
    );
    expect(config.components.every((c) => c.launch.type === "external")).toBe(true);
    expect(config.storage.backend).toBe(profile === "standalone" ? "sqlite" : "postgres");
  });
});

test("distributed: a gateway, the admin role and one Deployment per component, each with its program as a native sidecar", () => {
  const ms = manifestsOf("distributed");
  const deployments = ms.filter((m) => m.kind === "Deployment");
  expect(deployments).toHaveLength(chartValues("distributed").components.length + 2);
  const order = find(ms, "Deployment", "rel-angzarr-agg-order");
  const pod = order.spec.template.spec;
  expect(pod.initContainers[0]).toMatchObject({
    name: "agg-order",
    image: "agg-order:0.1.0",
    restartPolicy: "Always",
  });
  expect(pod.containers[0].args).toEqual([
    "aggregate",
    "--domain",
    "order",
    "--config",
    "/etc/angzarr/angzarr.yaml",
    "--port",
    "1320",
  ]);
  expect(pod.volumes.find((v: { name: string }) => v.name === "sockets").emptyDir.medium).toBe("Memory");
  const env = (name: string) =>
    pod.containers[0].env.find((e: { name: string }) => e.name === name).value as string;
  expect(env("ANGZARR_PEERS").split(",")).toContain("order=http://rel-angzarr-agg-order:1320");
  expect(env("ANGZARR_PEERS")).not.toContain("saga-");
  expect(env("ANGZARR_REACTIVE_PEERS").split(",")).toContain(
    "projector-order-summary=http://rel-angzarr-projector-order-summary:1320",
  );
  expect(env("ANGZARR_REACTIVE_PEERS")).not.toContain("order=http://rel-angzarr-agg-order");
  expect(env("ANGZARR_HANDLER_SOCKET")).toBe("/run/angzarr/agg-order.sock");
});

describe("distributed: the admin role", () => {
  const adminOf = (ms: Manifest[]) => find(ms, "Deployment", "rel-angzarr-admin");
  const envOf = (container: Loose) =>
    new Map<string, Loose>(container.env.map((e: Loose) => [e.name, e.value ?? e.valueFrom]));

  test("`angzarr admin` on its port, probed by `angzarr health` there; loopback only, so no Service", () => {
    const ms = manifestsOf("distributed");
    const admin = adminOf(ms);
    expect(admin.spec.replicas).toBe(1);
    const [container] = admin.spec.template.spec.containers;
    expect(container.image).toBe("angzarr:0.1.0");
    expect(container.args).toEqual([
      "admin",
      "--config",
      "/etc/angzarr/angzarr.yaml",
      "--admin-port",
      "1311",
    ]);
    expect(container.ports).toEqual([{ name: "admin", containerPort: 1311, protocol: "TCP" }]);
    for (const probe of ["startupProbe", "readinessProbe", "livenessProbe"])
      expect(container[probe].exec.command).toEqual([
        "/usr/local/bin/angzarr",
        "health",
        "--addr",
        "http://127.0.0.1:1311",
      ]);
    const env = envOf(container);
    // It asks the roles over the peer transport and reads the shared store and bus.
    expect(env.get("ANGZARR_PEERS")).toContain("order=http://rel-angzarr-agg-order:1320");
    expect(env.get("ANGZARR_REACTIVE_PEERS")).toContain(
      "projector-order-summary=http://rel-angzarr-projector-order-summary:1320",
    );
    expect(env.get("ANGZARR_PG_URL").secretKeyRef.name).toBe("angzarr-postgres");
    expect(env.has("ANGZARR_ADMIN_HOST")).toBe(false);
    expect(env.has("ANGZARR_ADMIN_TOKEN")).toBe(false);
    expect(find(ms, "Service", "rel-angzarr-admin")).toBeUndefined();
    expect(find(ms, "PodDisruptionBudget", "rel-angzarr-admin")).toBeDefined();
  });

  test("with a token Secret: every interface, the token from the Secret, a Service; the runtime accepts it", () => {
    const ms = render("distributed", {
      set: ["admin.tokenSecret.name=angzarr-admin", "admin.tokenSecret.key=token"],
    });
    const [container] = adminOf(ms).spec.template.spec.containers;
    const env = envOf(container);
    expect(env.get("ANGZARR_ADMIN_HOST")).toBe("0.0.0.0");
    expect(env.get("ANGZARR_ADMIN_TOKEN")).toEqual({ secretKeyRef: { name: "angzarr-admin", key: "token" } });
    const service = find(ms, "Service", "rel-angzarr-admin");
    expect(service.spec.ports).toEqual([{ name: "admin", port: 1311, targetPort: "admin", protocol: "TCP" }]);
    expect(service.spec.selector["app.kubernetes.io/component"]).toBe("admin");
    const adminSecret: Manifest = { apiVersion: "v1", kind: "Secret", metadata: { name: "angzarr-admin" } };
    const values = {
      ...chartValues("distributed"),
      admin: { tokenSecret: { name: "angzarr-admin", key: "token" } },
    };
    expect(validateKubernetes(ms)).toEqual([]);
    expect(checkPolicy(ms, { values, externalSecrets: [...secrets, adminSecret] })).toEqual([]);
    expect(checkPolicy(ms, { values, externalSecrets: secrets }).join("\n")).toContain(
      "Secret angzarr-admin is referenced but neither rendered nor given",
    );
    // The shared ConfigMap with the admin pod's environment: bound beyond loopback, with the token;
    // the same host without the token is refused (the other pods never get either).
    const cm = ms.find((m) => m.kind === "ConfigMap") as Manifest & { data: Record<string, string> };
    const file = join(scratch, "admin.yaml");
    writeFileSync(file, cm.data["angzarr.yaml"] as string);
    const base = { ANGZARR_PG_URL: "postgres://u@h/db", ANGZARR_ADMIN_HOST: "0.0.0.0" };
    expect(loadConfig({ file, env: { ...base, ANGZARR_ADMIN_TOKEN: "t" } }).admin).toMatchObject({
      host: "0.0.0.0",
      token: "t",
    });
    expect(() => loadConfig({ file, env: base })).toThrow(/admin\.host/);
  });

  test("admin.enabled=false leaves it out, and the policy agrees", () => {
    const ms = render("distributed", { set: ["admin.enabled=false"] });
    expect(adminOf(ms)).toBeUndefined();
    const values = { ...chartValues("distributed"), admin: { enabled: false } };
    expect(checkPolicy(ms, { values, externalSecrets: secrets })).toEqual([]);
  });

  test("a chart without the admin Deployment fails the policy", () => {
    const copy = chartCopy();
    try {
      rmSync(join(copy.dir, "templates", "admin.yaml"));
      const problems = checkPolicy(render("distributed", { chart: copy.dir }), {
        values: chartValues("distributed"),
        externalSecrets: secrets,
      });
      expect(problems).toContain("the admin Deployment is not rendered");
    } finally {
      copy.remove();
    }
  });
});

describe.each(languages)("profile %s", (language) => {
  test("helm lint --strict is clean, the schemas and the policy hold", () => {
    const run = lint(language);
    expect(run.stderr + run.stdout).toContain("0 chart(s) failed");
    expect(validateKubernetes(manifestsOf(language))).toEqual([]);
    expect(policy(language)).toEqual([]);
  });

  test("each component in that language runs its program from the language's image, over gRPC, probed by its health subcommand", () => {
    const image = `examples-${language}`;
    const ms = manifestsOf(language);
    const mine = chartValues(language).components.filter((c) => c.image === image);
    expect(mine.length).toBeGreaterThanOrEqual(10);
    const cm = ms.find((m) => m.kind === "ConfigMap") as Manifest & { data: Record<string, string> };
    const file = join(scratch, `${language}.yaml`);
    writeFileSync(file, cm.data["angzarr.yaml"] as string);
    const config = loadConfig({ file, env: { ANGZARR_PG_URL: "postgres://u@h/db" } });
    for (const c of mine) {
      const program = c.kind === "aggregate" ? `agg-${c.name}` : c.name;
      const role = c.kind === "aggregate" ? `agg-${c.name}` : c.name;
      const sidecar = find(ms, "Deployment", `rel-angzarr-${role}`).spec.template.spec.initContainers[0];
      expect(sidecar.image).toBe(`${image}:0.1.0`);
      expect(sidecar.command).toEqual([`/usr/local/bin/${program}`]);
      expect(sidecar.args).toEqual(["--socket", `/run/angzarr/${program}.sock`]);
      expect(sidecar.readinessProbe.exec.command).toEqual([
        `/usr/local/bin/${program}`,
        "health",
        "--socket",
        `/run/angzarr/${program}.sock`,
      ]);
      expect(config.components.find((x) => x.name === c.name)?.transport).toBe("grpc");
    }
    // The components without a version in that language keep their own (TypeScript) images.
    const summary = find(ms, "Deployment", "rel-angzarr-projector-order-summary").spec.template.spec;
    expect(summary.initContainers[0].image).toBe("projector-order-summary:0.1.0");
    expect(summary.initContainers[0].command).toBeUndefined();
  });
});

test("standalone: one StatefulSet with one replica, SQLite on a PersistentVolumeClaim", () => {
  const ms = manifestsOf("standalone");
  expect(ms.filter((m) => m.kind === "Deployment")).toEqual([]);
  const [sts] = ms.filter((m) => m.kind === "StatefulSet") as Loose[];
  expect(sts?.spec.replicas).toBe(1);
  expect(sts?.spec.volumeClaimTemplates[0].metadata.name).toBe("data");
  expect(sts?.spec.template.spec.initContainers).toHaveLength(chartValues("standalone").components.length);
});

test("a ConfigMap change changes the pods' checksum annotation (pods roll)", () => {
  const annotation = (ms: Manifest[]) =>
    (
      find(ms, "Deployment", "rel-angzarr-gateway").spec.template.metadata.annotations as Record<
        string,
        string
      >
    )["checksum/config"];
  const before = annotation(manifestsOf("distributed"));
  const after = annotation(render("distributed", { set: ["config.log=debug"] }));
  expect(before).toMatch(/^[a-f0-9]{64}$/);
  expect(after).not.toBe(before);
});

test("adding a component is a values change: a new Deployment, policy and schemas hold", () => {
  const extra = join(scratch, "extra.yaml");
  const values = Bun.YAML.parse(readFileSync(join(CHART, "values.yaml"), "utf8")) as {
    components: unknown[];
  };
  writeFileSync(
    extra,
    JSON.stringify({
      images: { "agg-billing": { repository: "registry.example/agg-billing", tag: "1.2.3" } },
      components: [...values.components, { name: "billing", kind: "aggregate", replicas: 3 }],
    }),
  );
  const ms = render("distributed", { values: [extra] });
  const billing = find(ms, "Deployment", "rel-angzarr-agg-billing");
  expect(billing.spec.replicas).toBe(3);
  expect(billing.spec.template.spec.initContainers[0].image).toBe("registry.example/agg-billing:1.2.3");
  expect(validateKubernetes(ms)).toEqual([]);
  const base = chartValues("distributed");
  const merged = {
    ...base,
    images: { ...base.images, "agg-billing": { repository: "registry.example/agg-billing", tag: "1.2.3" } },
    components: [...base.components, { name: "billing", kind: "aggregate" as const }],
  };
  expect(checkPolicy(ms, { values: merged, externalSecrets: secrets })).toEqual([]);
});

test("autoscaling: HPAs for the gateway and an aggregate, which then leave replicas to them", () => {
  const extra = join(scratch, "hpa.yaml");
  const values = Bun.YAML.parse(readFileSync(join(CHART, "values.yaml"), "utf8")) as {
    components: { name: string }[];
  };
  writeFileSync(
    extra,
    JSON.stringify({
      gateway: { autoscaling: { enabled: true, minReplicas: 2, maxReplicas: 8 } },
      components: values.components.map((c) =>
        c.name === "order" ? { ...c, autoscaling: { enabled: true, maxReplicas: 5 } } : c,
      ),
    }),
  );
  const ms = render("distributed", { values: [extra] });
  const hpas = ms.filter((m) => m.kind === "HorizontalPodAutoscaler").map((m) => m.metadata.name);
  expect(hpas.sort()).toEqual(["rel-angzarr-agg-order", "rel-angzarr-gateway"]);
  expect(find(ms, "Deployment", "rel-angzarr-gateway").spec.replicas).toBeUndefined();
  expect(validateKubernetes(ms)).toEqual([]);
  expect(policy("distributed", ms)).toEqual([]);
});

test("a digest pins the image", () => {
  const digest = `sha256:${"ab".repeat(32)}`;
  const ms = render("distributed", {
    set: [`images.agg-order.digest=${digest}`, "images.agg-order.tag=abc"],
  });
  expect(find(ms, "Deployment", "rel-angzarr-agg-order").spec.template.spec.initContainers[0].image).toBe(
    `agg-order:abc@${digest}`,
  );
});

describe("bad values are refused at install time, naming the key path", () => {
  test.each([
    ["an unknown top-level key", ["replicas=3"], "additional properties 'replicas' not allowed"],
    [
      "an unknown key in a component",
      ["components[0].name=order", "components[0].kind=aggregate", "components[0].replica=2"],
      "/components/0",
    ],
    ["a wrong type", ["gateway.port=http"], "/gateway/port"],
    ["an unknown kind", ["components[0].name=x", "components[0].kind=widget"], "/components/0"],
    ["a latest tag", ["images.angzarr.tag=latest"], "/images/angzarr/tag"],
    [
      "a plain URL where a Secret name belongs",
      ["secrets.postgres.name=postgres://u:p@h/db"],
      "/secrets/postgres/name",
    ],
    ["an unknown mode", ["mode=cluster"], "/mode"],
    ["an unknown admin key", ["admin.host=0.0.0.0"], "/admin"],
    [
      "a token itself where the admin token's Secret name belongs",
      ["admin.tokenSecret.name=s3cr3t Token", "admin.tokenSecret.key=token"],
      "/admin/tokenSecret/name",
    ],
  ])("%s", (_what, set, path) => {
    const run = template("distributed", { set });
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain(path);
  });

  test("a component whose program has no image fails with the key to add", () => {
    const run = template("distributed", { set: ["components[0].name=ghost", "components[0].kind=saga"] });
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain("images.ghost");
  });
});

describe("the checks fail on broken copies", () => {
  test("schemas: a misspelled field and a wrong type", () => {
    const ms = manifestsOf("distributed");
    const order = find(ms, "Deployment", "rel-angzarr-agg-order");
    order.spec.template.spec.containers[0].securityContex =
      order.spec.template.spec.containers[0].securityContext;
    const gateway = find(ms, "Service", "rel-angzarr-gateway");
    gateway.spec.ports[0].port = "grpc";
    const problems = validateKubernetes(ms);
    expect(
      problems.some(
        (p) =>
          p.startsWith("Deployment/rel-angzarr-agg-order:") &&
          /securityContex\b.*does not exist in type 'Container'/.test(p),
      ),
    ).toBe(true);
    expect(problems.some((p) => p.startsWith("Service/rel-angzarr-gateway:") && p.includes("port"))).toBe(
      true,
    );
    expect(validateKubernetes([{ apiVersion: "v1", kind: "Pod", metadata: { name: "p" } }])[0]).toContain(
      "no schema known",
    );
  });

  const breakages: [string, (ms: Manifest[]) => void, string][] = [
    [
      "root user",
      (ms) => {
        find(
          ms,
          "Deployment",
          "rel-angzarr-agg-order",
        ).spec.template.spec.containers[0].securityContext.runAsUser = 0;
      },
      "container coordinator: securityContext.runAsUser must be 65532",
    ],
    [
      "writable root",
      (ms) => {
        find(
          ms,
          "Deployment",
          "rel-angzarr-agg-order",
        ).spec.template.spec.initContainers[0].securityContext.readOnlyRootFilesystem = false;
      },
      "sidecar agg-order: securityContext.readOnlyRootFilesystem must be true",
    ],
    [
      "capabilities kept",
      (ms) => {
        find(
          ms,
          "Deployment",
          "rel-angzarr-gateway",
        ).spec.template.spec.containers[0].securityContext.capabilities = {};
      },
      "capabilities.drop must include ALL",
    ],
    [
      "no seccomp",
      (ms) => {
        delete find(ms, "Deployment", "rel-angzarr-gateway").spec.template.spec.securityContext
          .seccompProfile;
      },
      "pod securityContext.seccompProfile.type must be RuntimeDefault",
    ],
    [
      "latest image",
      (ms) => {
        find(ms, "Deployment", "rel-angzarr-agg-cart").spec.template.spec.containers[0].image =
          "angzarr:latest";
      },
      "is not pinned",
    ],
    [
      "untagged image",
      (ms) => {
        find(ms, "Deployment", "rel-angzarr-agg-cart").spec.template.spec.initContainers[0].image =
          "agg-cart";
      },
      "is not pinned",
    ],
    [
      "no resources",
      (ms) => {
        delete find(ms, "Deployment", "rel-angzarr-agg-cart").spec.template.spec.containers[0].resources;
      },
      "resources.limits.memory must be set",
    ],
    [
      "missing volume",
      (ms) => {
        find(ms, "Deployment", "rel-angzarr-agg-cart").spec.template.spec.volumes.splice(1, 1);
      },
      "volumeMount sockets names no volume",
    ],
    [
      "missing ConfigMap",
      (ms) => {
        ms.splice(
          ms.findIndex((m) => m.kind === "ConfigMap"),
          1,
        );
      },
      "ConfigMap rel-angzarr-config is referenced but not rendered",
    ],
    [
      "missing Secret",
      (ms) => {
        find(
          ms,
          "Deployment",
          "rel-angzarr-gateway",
        ).spec.template.spec.containers[0].env[1].valueFrom.secretKeyRef.name = "nope";
      },
      "Secret nope is referenced",
    ],
    [
      "missing ServiceAccount",
      (ms) => {
        ms.splice(
          ms.findIndex((m) => m.kind === "ServiceAccount"),
          1,
        );
      },
      "is not a rendered ServiceAccount",
    ],
    [
      "missing PVC",
      (ms) => {
        ms.splice(
          ms.findIndex((m) => m.kind === "PersistentVolumeClaim"),
          1,
        );
      },
      "claims a missing PVC",
    ],
    [
      "selector mismatch",
      (ms) => {
        find(ms, "Deployment", "rel-angzarr-agg-cart").spec.selector.matchLabels[
          "app.kubernetes.io/component"
        ] = "cart";
      },
      "spec.selector.matchLabels does not match the pod labels",
    ],
    [
      "service selects nothing",
      (ms) => {
        find(ms, "Service", "rel-angzarr-agg-cart").spec.selector["app.kubernetes.io/component"] = "kart";
      },
      "Service/rel-angzarr-agg-cart: selector matches no pod",
    ],
    [
      "unnamed target port",
      (ms) => {
        find(ms, "Service", "rel-angzarr-gateway").spec.ports[0].targetPort = "http";
      },
      "targetPort http is not a named port",
    ],
    [
      "no PDB",
      (ms) => {
        ms.splice(
          ms.findIndex((m) => m.kind === "PodDisruptionBudget"),
          1,
        );
      },
      "needs exactly one PodDisruptionBudget, has 0",
    ],
    [
      "component without Deployment",
      (ms) => {
        ms.splice(
          ms.findIndex(
            (m) => m.kind === "Deployment" && m.metadata.name === "rel-angzarr-pmg-order-fulfillment",
          ),
          1,
        );
      },
      "component process_manager pmg-order-fulfillment: no workload rendered",
    ],
    [
      "admin role without Deployment",
      (ms) => {
        ms.splice(
          ms.findIndex((m) => m.kind === "Deployment" && m.metadata.name === "rel-angzarr-admin"),
          1,
        );
      },
      "the admin Deployment is not rendered",
    ],
    [
      "admin Deployment running another role",
      (ms) => {
        find(ms, "Deployment", "rel-angzarr-admin").spec.template.spec.containers[0].args[0] = "gateway";
      },
      "its container must run `angzarr admin`",
    ],
    [
      "sidecar not native",
      (ms) => {
        delete find(ms, "Deployment", "rel-angzarr-agg-cart").spec.template.spec.initContainers[0]
          .restartPolicy;
      },
      "must be a native sidecar",
    ],
    [
      "probe not a health exec",
      (ms) => {
        find(ms, "Deployment", "rel-angzarr-agg-cart").spec.template.spec.containers[0].readinessProbe = {
          tcpSocket: { port: 1320 },
        };
      },
      "readinessProbe must exec the program's health subcommand",
    ],
    [
      "no checksum",
      (ms) => {
        delete find(ms, "Deployment", "rel-angzarr-agg-cart").spec.template.metadata.annotations[
          "checksum/config"
        ];
      },
      "checksum/config",
    ],
    [
      "token mounted",
      (ms) => {
        find(ms, "Deployment", "rel-angzarr-agg-cart").spec.template.spec.automountServiceAccountToken = true;
      },
      "automountServiceAccountToken must be false",
    ],
  ];
  test.each(breakages)("policy: %s", (_what, breakIt, message) => {
    const ms = manifestsOf("distributed");
    breakIt(ms);
    expect(policy("distributed", ms).join("\n")).toContain(message);
  });

  test("helm lint --strict fails on a chart copy with a broken template", () => {
    const copy = chartCopy();
    try {
      const file = join(copy.dir, "templates", "gateway.yaml");
      writeFileSync(file, readFileSync(file, "utf8").replace("{{- end }}\n", ""));
      const run = lint("distributed", { chart: copy.dir });
      expect(run.code).not.toBe(0);
    } finally {
      copy.remove();
    }
  });

  test("the policy fails on a chart copy that drops the read-only root filesystem", () => {
    const copy = chartCopy();
    try {
      const file = join(copy.dir, "templates", "_helpers.tpl");
      writeFileSync(file, readFileSync(file, "utf8").replace("readOnlyRootFilesystem: true\n", ""));
      const problems = checkPolicy(render("distributed", { chart: copy.dir }), {
        values: chartValues("distributed"),
        externalSecrets: secrets,
      });
      expect(problems.filter((p) => p.includes("readOnlyRootFilesystem")).length).toBeGreaterThan(15);
    } finally {
      copy.remove();
    }
  });

  test("the policy needs the Secrets: without the script's manifests they are missing", () => {
    const problems = checkPolicy(manifestsOf("distributed"), { values: chartValues("distributed") });
    expect(problems.join("\n")).toContain(
      "Secret angzarr-postgres is referenced but neither rendered nor given",
    );
  });
});
