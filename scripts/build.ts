// `bun run build`: compiles the CLI into dist/angzarr and every domain program
// (domains/**/main.ts) into dist/<program> (agg-order, saga-order-inventory, ...), each a
// single-file executable (`bun build --compile`).
//
//   bun scripts/build.ts                     everything
//   bun scripts/build.ts agg-order angzarr   only these
//   bun scripts/build.ts --outdir DIR        somewhere else than dist/
//   bun scripts/build.ts --entry FILE:NAME   also an extra entry point (tests use this)
//   bun scripts/build.ts --from-env PROGRAM --entrypoint-link --outdir DIR
//                                            the program named by $PROGRAM (the Containerfile's
//                                            build argument), plus DIR/entrypoint -> it
import { mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { bundleConsole, CONSOLE_ASSET } from "../console/serve";
import { findEntries, programFromEntry } from "../runtime/config/programs";

const root = join(import.meta.dir, "..");

export interface Target {
  program: string;
  entry: string;
  /** Carries the web console's page (the CLI: its admin listener serves /console). */
  embedsConsole?: boolean;
}

/** The CLI plus every domain program found under domains/. */
export function targets(projectRoot = root): Target[] {
  const out: Target[] = [{ program: "angzarr", entry: "runtime/cli/main.ts", embedsConsole: true }];
  for (const entry of findEntries(projectRoot)) {
    const info = programFromEntry(entry);
    if (info) out.push({ program: info.program, entry });
  }
  return out;
}

/** Compiles one target; returns the bun build output when it fails. */
export async function compile(target: Target, outdir: string): Promise<{ ok: boolean; output: string }> {
  const outfile = join(outdir, target.program);
  const assets: string[] = [];
  let scratch: string | undefined;
  if (target.embedsConsole) {
    // The executable holds no sources nor node_modules: bundle the console's page now and embed it.
    scratch = mkdtempSync(join(tmpdir(), "angzarr-console-"));
    const page = join(scratch, CONSOLE_ASSET);
    try {
      writeFileSync(page, await bundleConsole());
    } catch (err) {
      rmSync(scratch, { recursive: true, force: true });
      return { ok: false, output: `console bundle failed: ${(err as Error).message}` };
    }
    assets.push("--asset", page);
  }
  try {
    const proc = Bun.spawn(
      [process.execPath, "build", "--compile", "--minify", target.entry, ...assets, "--outfile", outfile],
      { cwd: root, stdout: "pipe", stderr: "pipe", env: { ...process.env, FORCE_COLOR: "0" } },
    );
    const [stdout, stderr, code] = await Promise.all([
      new Response(proc.stdout).text(),
      new Response(proc.stderr).text(),
      proc.exited,
    ]);
    return { ok: code === 0, output: `${stdout}${stderr}`.trim() };
  } finally {
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  }
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    args: process.argv.slice(2),
    allowPositionals: true,
    options: {
      outdir: { type: "string" },
      entry: { type: "string", multiple: true },
      "from-env": { type: "string" },
      "entrypoint-link": { type: "boolean" },
    },
  });
  const fromEnv = values["from-env"];
  if (fromEnv !== undefined) {
    const named = (process.env[fromEnv] ?? "").split(/[\s,]+/).filter((p) => p !== "");
    if (named.length === 0) {
      console.error(
        `--from-env ${fromEnv}: the variable names no program (set it, e.g. --build-arg ${fromEnv}=agg-order)`,
      );
      return 2;
    }
    positionals.push(...named);
  }
  const outdir = resolve(values.outdir ?? join(root, "dist"));
  mkdirSync(outdir, { recursive: true });
  let all = targets();
  for (const spec of values.entry ?? []) {
    const [entry, program] = spec.split(":");
    if (!entry || !program) throw new Error(`--entry expects FILE:NAME, got ${spec}`);
    all.push({ program, entry });
  }
  if (positionals.length > 0) {
    const unknown = positionals.filter((p) => !all.some((t) => t.program === p));
    if (unknown.length > 0) {
      console.error(
        `unknown program(s): ${unknown.join(", ")}; known: ${all.map((t) => t.program).join(", ")}`,
      );
      return 2;
    }
    all = all.filter((t) => positionals.includes(t.program));
  }

  const queue = [...all];
  let failed = 0;
  let totalBytes = 0;
  const worker = async () => {
    for (let t = queue.shift(); t !== undefined; t = queue.shift()) {
      const started = performance.now();
      const { ok, output } = await compile(t, outdir);
      const seconds = ((performance.now() - started) / 1000).toFixed(1);
      if (ok) {
        const size = statSync(join(outdir, t.program)).size;
        totalBytes += size;
        const mb = (size / 1024 / 1024).toFixed(0);
        console.log(`built ${t.program.padEnd(28)} ${t.entry.padEnd(40)} ${mb} MB  ${seconds}s`);
      } else {
        failed++;
        console.error(`FAILED ${t.program} (${t.entry}):\n${output}`);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(availableParallelism(), 4)) }, worker));
  console.log(`${all.length - failed} built, ${failed} failed → ${outdir}`);
  if (totalBytes > 0) {
    const total = totalBytes / 1024 / 1024;
    console.log(
      `${outdir} now holds ${total >= 1024 ? `${(total / 1024).toFixed(1)} GB` : `${total.toFixed(0)} MB`}: ` +
        "each program is a single file with the Bun runtime inside; build only some with `bun run build agg-order ...`, or delete dist/ when done",
    );
  }
  if (failed === 0 && values["entrypoint-link"]) {
    const [only, ...more] = all;
    if (!only || more.length > 0) {
      console.error("--entrypoint-link needs exactly one program");
      return 2;
    }
    // Images run `/usr/local/bin/entrypoint` whatever the program (ENTRYPOINT cannot use an ARG).
    rmSync(join(outdir, "entrypoint"), { force: true });
    symlinkSync(only.program, join(outdir, "entrypoint"));
  }
  return failed === 0 ? 0 : 1;
}

if (import.meta.main) process.exit(await main());
