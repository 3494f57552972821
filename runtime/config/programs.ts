// Program naming and discovery: which domain programs exist (source entry points under
// `domains/`, or compiled executables in a dist folder) and what each one is called.
//
//   domains/<d>/agg/main.ts          agg-<d>                 aggregate of domain <d>
//   domains/<d>/saga-<x>/main.ts     saga-<d>-<x>            saga from <d>
//   domains/<d>/prj-<x>/main.ts      projector-<d>-<x>       projector of <d>
//   domains/pmg-<x>/main.ts          pmg-<x>                 process manager
//   domains/prj-<x>/main.ts          projector-<x>           projector
import { accessSync, constants, existsSync, readdirSync, statSync } from "node:fs";
import { join, sep } from "node:path";

export type ComponentKind = "aggregate" | "saga" | "projector" | "process_manager";

export interface ProgramInfo {
  /** Executable / program name: `agg-order`, `saga-order-inventory`, ... */
  program: string;
  kind: ComponentKind;
  /** Component name: the domain for aggregates, the program name otherwise. */
  name: string;
  /** Domain the component belongs to (aggregates) or listens to (sagas, scoped projectors). */
  domain?: string;
}

export interface DiscoveredProgram extends ProgramInfo {
  /** Entry point relative to the project root (`domains/order/agg/main.ts`), when the source exists. */
  entry?: string;
  /** Absolute path of the compiled executable, when it exists. */
  executable?: string;
}

/** Names a program from its entry point path relative to the project root; undefined if not a program. */
export function programFromEntry(entry: string): ProgramInfo | undefined {
  const parts = entry.split(/[\\/]/);
  if (parts[0] !== "domains" || parts.at(-1) !== "main.ts") return undefined;
  const dirs = parts.slice(1, -1);
  if (dirs.length === 1) {
    const dir = dirs[0] as string;
    if (dir.startsWith("pmg-"))
      return { program: dir, kind: "process_manager", name: dir, domain: dir.slice("pmg-".length) };
    if (dir.startsWith("prj-")) {
      const program = `projector-${dir.slice("prj-".length)}`;
      return { program, kind: "projector", name: program };
    }
    return undefined;
  }
  if (dirs.length === 2) {
    const [domain, dir] = dirs as [string, string];
    if (dir === "agg") return { program: `agg-${domain}`, kind: "aggregate", name: domain, domain };
    if (dir.startsWith("saga-")) {
      const program = `saga-${domain}-${dir.slice("saga-".length)}`;
      return { program, kind: "saga", name: program, domain };
    }
    if (dir.startsWith("prj-")) {
      const program = `projector-${domain}-${dir.slice("prj-".length)}`;
      return { program, kind: "projector", name: program, domain };
    }
  }
  return undefined;
}

/** Names a compiled program from its file name; undefined if it is not one of ours. */
export function programFromExecutable(file: string): ProgramInfo | undefined {
  const agg = /^agg-([a-z0-9_-]+)$/.exec(file);
  if (agg) return { program: file, kind: "aggregate", name: agg[1] as string, domain: agg[1] as string };
  if (/^saga-[a-z0-9_-]+$/.test(file)) return { program: file, kind: "saga", name: file };
  if (/^pmg-[a-z0-9_-]+$/.test(file)) return { program: file, kind: "process_manager", name: file };
  if (/^projector-[a-z0-9_-]+$/.test(file)) return { program: file, kind: "projector", name: file };
  return undefined;
}

/** Every domain program entry point under `<root>/domains`, sorted, relative to root. */
export function findEntries(root: string): string[] {
  const domains = join(root, "domains");
  if (!existsSync(domains)) return [];
  const glob = new Bun.Glob("**/main.ts");
  const entries: string[] = [];
  for (const path of glob.scanSync({ cwd: domains, onlyFiles: true })) {
    const entry = ["domains", ...path.split(sep)].join("/");
    if (entry.includes("/node_modules/")) continue;
    if (programFromEntry(entry)) entries.push(entry);
  }
  return entries.sort();
}

function isExecutable(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Programs from the source tree, each with its compiled executable when `distDir` holds one;
 * plus compiled programs whose source is absent (a shipped dist folder on its own).
 */
export function discoverPrograms(root: string, distDir: string): DiscoveredProgram[] {
  const byProgram = new Map<string, DiscoveredProgram>();
  for (const entry of findEntries(root)) {
    const info = programFromEntry(entry) as ProgramInfo;
    const executable = join(distDir, info.program);
    byProgram.set(info.program, { ...info, entry, ...(isExecutable(executable) ? { executable } : {}) });
  }
  if (existsSync(distDir)) {
    for (const file of readdirSync(distDir)) {
      const info = programFromExecutable(file);
      const path = join(distDir, file);
      if (!info || byProgram.has(info.program) || !isExecutable(path)) continue;
      byProgram.set(info.program, { ...info, executable: path });
    }
  }
  return [...byProgram.values()].sort((a, b) => a.program.localeCompare(b.program));
}
