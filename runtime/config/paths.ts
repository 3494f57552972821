// Where the runtime runs from: the source tree (`bun runtime/cli/main.ts`) or a compiled
// single-file executable (`dist/angzarr`), and where programs and the bun binary are.
import { dirname, join, resolve } from "node:path";

/** True inside a `bun build --compile` executable. */
export function isCompiled(): boolean {
  return Bun.main.startsWith("/$bunfs/") || Bun.main.includes("~BUN");
}

/** The project root: the repository when running from source, the folder above dist/ when compiled. */
export function projectRoot(): string {
  return isCompiled() ? dirname(dirname(process.execPath)) : resolve(import.meta.dir, "..", "..");
}

/** Folder of compiled programs: next to the compiled CLI, else `<root>/dist`. */
export function distDir(): string {
  return isCompiled() ? dirname(process.execPath) : join(projectRoot(), "dist");
}

/** The bun binary for `["bun", ...]` commands: this process's own when running under bun. */
export function bunBinary(): string {
  return isCompiled() ? (Bun.which("bun") ?? "bun") : process.execPath;
}
