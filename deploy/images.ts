// Building the images with podman, offline, as CI does on this machine kind:
//   1. a local base equivalent to gcr.io/distroless/cc-debian12:nonroot, made from the same
//      Debian packages (glibc, libgcc, libstdc++, CA certificates, tzdata, base-files, netbase),
//      user nonroot 65532, /tmp and /home/nonroot; no shell, no package manager;
//   2. a local builder: that base plus this machine's bun and a bun install cache holding the
//      production dependencies of bun.lock, so the Containerfile's `bun install` needs no network;
//   3. the Containerfile once per program with BASE and BUILDER pointing at those two, built with
//      --network none. Layers up to the compile step are shared by every program.
// Images are tagged localhost/angzarr-test/<program>:ci and kept, so a later run reuses layers.
//
//   4. the language images (examples-python, examples-go: every program of that language in one
//      image) from examples/<language>/Containerfile: Python on a local distroless-python equivalent
//      with Debian's grpcio and protobuf; Go built in GOPATH mode by a local builder holding Debian's
//      Go toolchain and /usr/share/gocode, onto a local distroless-static equivalent.
//
//   bun deploy/images.ts [program...]      build (default: every program and language image) and print sizes
import { createHash } from "node:crypto";
import {
  chmodSync,
  chownSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { dirname, join } from "node:path";
import { targets } from "../scripts/build";
import { CACHE, ROOT } from "./tools";

export const IMAGE_REPO = "localhost/angzarr-test";
export const IMAGE_TAG = "ci";
export const imageOf = (program: string) => `${IMAGE_REPO}/${program}:${IMAGE_TAG}`;

/** Packages of distroless cc (debian12), from this machine's Debian archive. */
export const BASE_PACKAGES = [
  "base-files",
  "netbase",
  "tzdata",
  "ca-certificates",
  "libc6",
  "libgcc-s1",
  "libstdc++6",
];

/** Packages of distroless static (debian12): no C library, for static binaries (Go). */
export const STATIC_PACKAGES = ["base-files", "netbase", "tzdata", "ca-certificates"];

/**
 * Distroless cc plus what distroless python3 (debian12) holds, and Debian's grpcio and protobuf
 * with the libraries they link: the Python programs' base. Depends closure of python3-grpcio,
 * python3-protobuf and python3-minimal, less the maintainer scripts' tools (dpkg, perl, tar,
 * install-info, mailcap).
 */
export const PYTHON_PACKAGES = [
  ...BASE_PACKAGES,
  "gcc-12-base",
  "python3",
  "python3-minimal",
  "python3.11",
  "python3.11-minimal",
  "libpython3-stdlib",
  "libpython3.11-minimal",
  "libpython3.11-stdlib",
  "media-types",
  "libbz2-1.0",
  "libcrypt1",
  "libdb5.3",
  "libexpat1",
  "libffi8",
  "libgdbm6",
  "liblzma5",
  "libncursesw6",
  "libtinfo6",
  "libnsl2",
  "libtirpc3",
  "libtirpc-common",
  "libgssapi-krb5-2",
  "libk5crypto3",
  "libkeyutils1",
  "libkrb5-3",
  "libkrb5support0",
  "libcom-err2",
  "libreadline8",
  "libsqlite3-0",
  "libssl3",
  "libuuid1",
  "zlib1g",
  "python3-grpcio",
  "python3-protobuf",
  "libabsl20220623",
  "libc-ares2",
  "libprotobuf32",
  "libre2-9",
];

/** A distroless-like base: which packages, and anything done to the unpacked tree before import. */
interface BaseSpec {
  /** Repository suffix: localhost/angzarr-base-<name>. */
  name: string;
  packages: string[];
  finish?: (root: string) => void;
}

export const BASES = {
  cc: { name: "cc", packages: BASE_PACKAGES },
  static: { name: "static", packages: STATIC_PACKAGES },
  python: {
    name: "python",
    packages: PYTHON_PACKAGES,
    // Byte code compiled now, with this machine's python3 of the same Debian release (the root
    // filesystem is read-only at run time), recorded under the image's own paths.
    finish: (root: string) =>
      sh([
        "/usr/bin/python3",
        "-m",
        "compileall",
        "-q",
        "-j",
        "0",
        "-s",
        root,
        "-p",
        "/",
        join(root, "usr", "lib", "python3.11"),
        join(root, "usr", "lib", "python3", "dist-packages"),
      ]),
  },
} satisfies Record<string, BaseSpec>;

const WORK = join(CACHE, "images");
/** Carried by the local builder, so by every intermediate image of a build stage. */
const BUILD_LABEL = "org.angzarr.ci=build-stage";
const CONTAINERS_CONF = join(WORK, "containers.conf");

/** podman here needs runc (crun fails on cgroups) and limits below the machine's ceiling. */
function containersConf(): string {
  mkdirSync(WORK, { recursive: true });
  writeFileSync(
    CONTAINERS_CONF,
    [
      "[engine]",
      'runtime = "runc"',
      "",
      "[containers]",
      'default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]',
      "",
    ].join("\n"),
  );
  return CONTAINERS_CONF;
}

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

export function podman(args: string[], options: { stdin?: Uint8Array; timeoutMs?: number } = {}): Run {
  const done = Bun.spawnSync(["podman", ...args], {
    stdout: "pipe",
    stderr: "pipe",
    ...(options.stdin ? { stdin: options.stdin } : {}),
    ...(options.timeoutMs ? { timeout: options.timeoutMs } : {}),
    env: {
      ...process.env,
      CONTAINERS_CONF: existsSync(CONTAINERS_CONF) ? CONTAINERS_CONF : containersConf(),
    },
  });
  return { code: done.exitCode ?? 1, stdout: done.stdout.toString(), stderr: done.stderr.toString() };
}

export function mustPodman(args: string[], options: { stdin?: Uint8Array; timeoutMs?: number } = {}): string {
  const run = podman(args, options);
  if (run.code !== 0) throw new Error(`podman ${args.join(" ")} failed (${run.code}): ${run.stderr.trim()}`);
  return run.stdout;
}

/** One line naming what is missing, or undefined when podman can build and run here. */
export function podmanProblem(): string | undefined {
  const has = (cmd: string) => Bun.which(cmd) !== null || existsSync(`/usr/sbin/${cmd}`);
  const missing = ["podman", "runc"].filter((c) => !has(c));
  if (missing.length > 0)
    return `the images suite needs ${missing.join(" and ")}: install with \`sudo apt-get install podman runc\``;
  if (typeof process.getuid === "function" && process.getuid() !== 0)
    return "the images suite runs podman as root (runc, image import): run the test command as root";
  const info = podman(["info", "--format", "{{.Host.OCIRuntime.Name}}"]);
  if (info.code !== 0) return `podman does not work here: ${info.stderr.trim().split("\n")[0]}`;
  return undefined;
}

function sh(cmd: string[], cwd = ROOT, env: Record<string, string> = {}): string {
  const done = Bun.spawnSync(cmd, { cwd, stdout: "pipe", stderr: "pipe", env: { ...process.env, ...env } });
  if (done.exitCode !== 0) throw new Error(`${cmd.join(" ")} failed: ${done.stderr.toString().trim()}`);
  return done.stdout.toString();
}

const hash = (...parts: (string | Uint8Array)[]) => {
  const h = createHash("sha256");
  for (const p of parts) h.update(p);
  return h.digest("hex").slice(0, 16);
};

const imageExists = (ref: string) => podman(["image", "exists", ref]).code === 0;

/** The .deb files apt would fetch, by name (their versions make the base image's tag). */
function baseDebs(packages: string[]): { name: string; url: string }[] {
  const ask = () =>
    Bun.spawnSync(["apt-get", "download", "--print-uris", ...packages], {
      stdout: "pipe",
      stderr: "pipe",
    });
  let done = ask();
  if (done.exitCode !== 0 || done.stdout.toString().trim() === "") {
    sh(["apt-get", "update", "-qq"]);
    done = ask();
  }
  const rows = [...done.stdout.toString().matchAll(/^'([^']+)' (\S+\.deb) /gm)].map((m) => ({
    url: m[1] as string,
    name: m[2] as string,
  }));
  if (rows.length !== packages.length)
    throw new Error(`apt-get download --print-uris found ${rows.length} of ${packages.length} packages`);
  return rows;
}

/** Removes the other tags of a repository (an older base or builder), unless still in use. */
function dropOthers(ref: string): void {
  const repo = ref.slice(0, ref.lastIndexOf(":"));
  const tags = podman(["images", "--format", "{{.Repository}}:{{.Tag}}", repo]).stdout.split("\n");
  for (const other of tags.map((t) => t.trim()).filter((t) => t !== "" && t !== ref)) podman(["rmi", other]);
}

/** Builds (or reuses) the local distroless-cc equivalent; returns its reference. */
export function buildBase(say: (line: string) => void = () => {}): string {
  return buildBaseOf(BASES.cc, say);
}

/** Builds (or reuses) one distroless-like base from Debian packages; returns its reference. */
export function buildBaseOf(spec: BaseSpec, say: (line: string) => void = () => {}): string {
  const debs = baseDebs(spec.packages);
  const ref = `localhost/angzarr-base-${spec.name}:debian12-${hash(...debs.map((d) => d.name))}`;
  if (imageExists(ref)) return ref;
  const dir = join(WORK, `base-${spec.name}`);
  rmSync(dir, { recursive: true, force: true });
  const root = join(dir, "rootfs");
  mkdirSync(join(dir, "debs"), { recursive: true });
  mkdirSync(root, { recursive: true });
  say(`base ${spec.name}: apt-get download ${spec.packages.join(" ")}`);
  sh(["apt-get", "download", ...spec.packages], join(dir, "debs"));
  for (const deb of debs) sh(["dpkg-deb", "-x", join(dir, "debs", deb.name), root]);
  // What distroless keeps out: maintainer scripts' tools, manuals, no shell (none is unpacked).
  for (const path of [
    "usr/sbin/update-ca-certificates",
    "usr/share/man",
    "usr/share/info",
    "usr/share/lintian",
  ])
    rmSync(join(root, path), { recursive: true, force: true });
  mkdirSync(join(root, "etc", "ssl", "certs"), { recursive: true });
  const certsDir = join(root, "usr", "share", "ca-certificates", "mozilla");
  const bundle = new Bun.Glob("*.crt").scanSync({ cwd: certsDir });
  writeFileSync(
    join(root, "etc", "ssl", "certs", "ca-certificates.crt"),
    [...bundle]
      .sort()
      .map((f) => readFileSync(join(certsDir, f), "utf8"))
      .join(""),
  );
  writeFileSync(
    join(root, "etc", "passwd"),
    "root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n",
  );
  writeFileSync(
    join(root, "etc", "group"),
    "root:x:0:\ntty:x:5:\nstaff:x:50:\nnobody:x:65534:\nnonroot:x:65532:\n",
  );
  mkdirSync(join(root, "home", "nonroot"), { recursive: true });
  mkdirSync(join(root, "tmp"), { recursive: true });
  chmodSync(join(root, "tmp"), 0o1777);
  chownSync(join(root, "home", "nonroot"), 65532, 65532);
  chmodSync(join(root, "home", "nonroot"), 0o700);
  spec.finish?.(root);
  sh(["tar", "--numeric-owner", "-C", root, "-cf", join(dir, "rootfs.tar"), "."]);
  mustPodman([
    "import",
    "--change",
    "USER=65532:65532",
    "--change",
    "WORKDIR=/home/nonroot",
    "--change",
    "ENV=PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "--change",
    "ENV=SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt",
    join(dir, "rootfs.tar"),
    ref,
  ]);
  rmSync(dir, { recursive: true, force: true });
  dropOthers(ref);
  say(`base ${spec.name}: ${ref}`);
  return ref;
}

const LOCK_INPUTS = [
  "package.json",
  "bun.lock",
  "bunfig.toml",
  "proto/package.json",
  "sdk/package.json",
  "runtime/package.json",
];

/** Builds (or reuses) the local builder: base + this bun + a warm install cache; returns its reference. */
export function buildBuilder(base: string, say: (line: string) => void = () => {}): string {
  const bun = process.execPath;
  const inputs = LOCK_INPUTS.map((f) => readFileSync(join(ROOT, f)));
  const ref = `localhost/angzarr-builder:${Bun.version}-${hash(base, Bun.version, BUILD_LABEL, ...inputs)}`;
  if (imageExists(ref)) return ref;
  const dir = join(WORK, "builder");
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, "project"), { recursive: true });
  for (const f of LOCK_INPUTS) {
    mkdirSync(join(dir, "project", f, ".."), { recursive: true });
    copyFileSync(join(ROOT, f), join(dir, "project", f));
  }
  say("builder: filling a bun install cache with the production dependencies");
  sh([bun, "install", "--frozen-lockfile", "--production", "--ignore-scripts"], join(dir, "project"), {
    BUN_INSTALL_CACHE_DIR: join(dir, "cache"),
  });
  copyFileSync(bun, join(dir, "bun"));
  writeFileSync(
    join(dir, "Containerfile"),
    [
      `FROM ${base}`,
      // Every build-stage layer inherits this label: buildAll prunes those layers by it.
      `LABEL ${BUILD_LABEL}`,
      "COPY bun /usr/local/bin/bun",
      "COPY cache/ /opt/bun-cache/",
      "ENV BUN_INSTALL_CACHE_DIR=/opt/bun-cache",
      "USER 0:0",
      "",
    ].join("\n"),
  );
  mustPodman(["build", "--network", "none", "-q", "-t", ref, dir], { timeoutMs: 300_000 });
  rmSync(dir, { recursive: true, force: true });
  dropOthers(ref);
  say(`builder: ${ref}`);
  return ref;
}

export interface Built {
  program: string;
  image: string;
  seconds: number;
  bytes: number;
}

/**
 * `podman build` offline of `containerfile` in `context` as imageOf(name), with layers cached;
 * the image it replaces is removed (unless still in use).
 */
async function podmanBuild(
  name: string,
  containerfile: string,
  context: string,
  args: string[],
): Promise<Built> {
  const image = imageOf(name);
  const previous = podman(["image", "inspect", "--format", "{{.Id}}", image]).stdout.trim();
  const started = performance.now();
  const proc = Bun.spawn(
    ["podman", "build", "--network", "none", "--layers", "-f", containerfile, ...args, "-t", image, context],
    { stdout: "pipe", stderr: "pipe", env: { ...process.env, CONTAINERS_CONF: containersConf() } },
  );
  const [code, out, err] = await Promise.all([
    proc.exited,
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
  ]);
  if (code !== 0)
    throw new Error(`podman build ${name} failed (${code}):\n${out.slice(-2000)}${err.slice(-2000)}`);
  const seconds = (performance.now() - started) / 1000;
  const [id, size] = mustPodman(["image", "inspect", "--format", "{{.Id}} {{.Size}}", image])
    .trim()
    .split(" ");
  if (previous && previous !== id) podman(["rmi", previous]); // the replaced image, unless still in use
  return { program: name, image, seconds, bytes: Number(size) };
}

const sizeLine = (b: Built) =>
  `image ${b.program.padEnd(28)} ${(b.bytes / 1e6).toFixed(1).padStart(6)} MB  ${b.seconds.toFixed(1)}s`;

/** Builds one program's image from the Containerfile, offline. */
export function buildImage(program: string, base: string, builder: string): Promise<Built> {
  return podmanBuild(program, join(ROOT, "Containerfile"), ROOT, [
    "--build-arg",
    `PROGRAM=${program}`,
    "--build-arg",
    `BASE=${base}`,
    "--build-arg",
    `BUILDER=${builder}`,
  ]);
}

/** Every program: the coordinator and each domain program. */
export const PROGRAMS = () => targets().map((t) => t.program);

/**
 * Builds every program's image, one after the other (podman 4.3 trips over concurrent builds that
 * share cached layers). The first fills the shared layers (sources, dependencies); each next one
 * only compiles its program and writes its two layers.
 */
export async function buildAll(
  programs = PROGRAMS(),
  say: (line: string) => void = () => {},
): Promise<Built[]> {
  const base = buildBase(say);
  const builder = buildBuilder(base, say);
  const out: Built[] = [];
  for (const program of programs) {
    const b = await buildImage(program, base, builder);
    say(sizeLine(b));
    out.push(b);
  }
  // The build stages' intermediate images (the images these builds replaced went already): each
  // holds a compiled program (~110 MB) and would pile up run after run. The next run compiles
  // each program again (seconds) instead of filling the disk.
  podman(["image", "prune", "--force", "--filter", `label=${BUILD_LABEL}`]);
  return out;
}

/** The images holding every program of one language, each built from its folder's Containerfile. */
export const LANGUAGE_IMAGES = ["examples-python", "examples-go"] as const;
export type LanguageImage = (typeof LANGUAGE_IMAGES)[number];

/** The folder (build context) of a language image. */
export const languageDir = (image: LanguageImage) => join(ROOT, "examples", image.replace(/^examples-/, ""));

/** The programs a language image holds (its /usr/local/bin/<program>). */
export function languagePrograms(image: LanguageImage): string[] {
  if (image === "examples-go")
    return readdirSync(join(languageDir(image), "cmd"), { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
      .sort();
  return sh(["/usr/bin/python3", "-m", "angzarr_sdk.programs"], languageDir(image))
    .split("\n")
    .filter(Boolean)
    .sort();
}

/** Debian's Go toolchain and Go packages, as the offline Go build reads them. */
const GO_ROOT = "/usr/lib/go";
const GOCODE = "/usr/share/gocode";

/**
 * Builds (or reuses) the local Go builder: the cc base plus this machine's Go toolchain and
 * Debian's Go packages (/usr/share/gocode), so the Go Containerfile builds in GOPATH mode with no
 * network. Not labelled as a build stage: its layers (and the compiled programs) stay cached.
 */
export function buildGoBuilder(base: string, say: (line: string) => void = () => {}): string {
  const goroot = realpathSync(GO_ROOT);
  const version = readFileSync(join(goroot, "VERSION"), "utf8").split("\n")[0] ?? "";
  // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's own format fields
  const gocode = sh(["dpkg-query", "-W", "-f", "${Package} ${Version}\n", "golang-*-dev"]);
  const ref = `localhost/angzarr-go-builder:${version.replace(/[^\w.-]/g, "")}-${hash(base, version, gocode)}`;
  if (imageExists(ref)) return ref;
  const dir = join(WORK, "go-builder");
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  say(`go builder: ${version} and ${GOCODE}`);
  // Debian keeps the toolchain's sources beside it (src -> /usr/share/go-1.19/src); its tests stay out.
  const shared = dirname(realpathSync(join(goroot, "src")));
  sh([
    "tar",
    "-C",
    "/",
    `--exclude=${shared.slice(1)}/test`,
    "-cf",
    join(dir, "go.tar"),
    goroot.slice(1),
    shared.slice(1),
    GOCODE.slice(1),
  ]);
  writeFileSync(
    join(dir, "Containerfile"),
    [
      `FROM ${base}`,
      "ADD go.tar /",
      `ENV PATH=${goroot}/bin:/usr/local/bin:/usr/bin:/bin HOME=/tmp GOCACHE=/tmp/go-cache`,
      "USER 0:0",
      "",
    ].join("\n"),
  );
  mustPodman(["build", "--network", "none", "-q", "-t", ref, dir], { timeoutMs: 600_000 });
  rmSync(dir, { recursive: true, force: true });
  dropOthers(ref);
  say(`go builder: ${ref}`);
  return ref;
}

/** Builds one language image from its folder's Containerfile, offline, on the local bases. */
export async function buildLanguageImage(
  image: LanguageImage,
  say: (line: string) => void = () => {},
): Promise<Built> {
  const args =
    image === "examples-python"
      ? ["--build-arg", `BASE=${buildBaseOf(BASES.python, say)}`]
      : [
          "--build-arg",
          `BASE=${buildBaseOf(BASES.static, say)}`,
          "--build-arg",
          `BUILDER=${buildGoBuilder(buildBase(say), say)}`,
          "--build-arg",
          "GO111MODULE=off",
          "--build-arg",
          `GOPATH=/go:${GOCODE}`,
          "--build-arg",
          "GOFLAGS=-trimpath",
        ];
  const dir = languageDir(image);
  const built = await podmanBuild(image, join(dir, "Containerfile"), dir, args);
  say(sizeLine(built));
  return built;
}

if (import.meta.main) {
  const problem = podmanProblem();
  if (problem) {
    console.error(problem);
    process.exit(1);
  }
  const wanted = process.argv.slice(2);
  const started = performance.now();
  const languages = LANGUAGE_IMAGES.filter((l) => wanted.length === 0 || wanted.includes(l));
  const programs = wanted.filter((w) => !(LANGUAGE_IMAGES as readonly string[]).includes(w));
  if (wanted.length === 0 || programs.length > 0)
    await buildAll(programs.length > 0 ? programs : PROGRAMS(), (line) => console.log(line));
  for (const image of languages) await buildLanguageImage(image, (line) => console.log(line));
  console.log(`built in ${((performance.now() - started) / 1000).toFixed(1)}s`);
}
