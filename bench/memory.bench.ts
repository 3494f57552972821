// Idle memory: the standalone coordinator (as its own process, every example program
// registered) and each domain program it supervises, read from /proc after a short idle.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BenchReporter } from "./harness";

const IDLE_MS = 3_000;

export function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? 0);
  return kb / 1024;
}

function children(pid: number): { pid: number; name: string }[] {
  const out: { pid: number; name: string }[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const status = readFileSync(`/proc/${entry}/status`, "utf8");
      if (Number(/^PPid:\s+(\d+)/m.exec(status)?.[1]) !== pid) continue;
      const cmd = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0").filter(Boolean);
      const socket = cmd[cmd.indexOf("--socket") + 1] ?? cmd.join(" ");
      out.push({
        pid: Number(entry),
        name:
          socket
            .split("/")
            .at(-1)
            ?.replace(/\.sock$/, "") ?? entry,
      });
    } catch {
      // the process went away
    }
  }
  return out;
}

export default async function (r: BenchReporter): Promise<void> {
  const root = join(import.meta.dir, "..");
  r.progress("source programs (bun <entry>)");
  await measure(r, "bun <entry>", [process.execPath, join(root, "runtime", "cli", "main.ts"), "standalone"]);
  const dist = mkdtempSync(join(tmpdir(), "angzarr-bench-dist-"));
  try {
    r.progress("compiling the CLI and every program (bun build --compile)");
    const build = Bun.spawnSync([process.execPath, join(root, "scripts", "build.ts"), "--outdir", dist], {
      stdout: "ignore",
      stderr: "inherit",
    });
    if (build.exitCode !== 0) throw new Error("build failed");
    await measure(r, "compiled", [join(dist, "angzarr"), "standalone", "--compiled"]);
  } finally {
    rmSync(dist, { recursive: true, force: true });
  }
}

async function measure(r: BenchReporter, label: string, command: string[]): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "angzarr-bench-mem-"));
  const proc = Bun.spawn([...command, "--port", "0", "--data", dir], {
    stdout: "pipe",
    stderr: "ignore",
    env: { ...process.env, ANGZARR_LOG: "error" },
  });
  try {
    const reader = proc.stdout.getReader();
    let text = "";
    while (!text.includes("listening on")) {
      const { value, done } = await reader.read();
      if (done) throw new Error("the runtime exited before listening");
      text += new TextDecoder().decode(value);
    }
    r.progress(`idle for ${IDLE_MS} ms`);
    await Bun.sleep(IDLE_MS);
    r.record({
      name: `coordinator RSS idle, all example domains (${label})`,
      value: rssMb(proc.pid),
      unit: "MB",
      budget: 120,
      better: "lower",
    });
    const programs = children(proc.pid);
    let worst = 0;
    for (const child of programs) worst = Math.max(worst, rssMb(child.pid));
    r.record({
      name: `largest domain program RSS idle, of ${programs.length} (${label})`,
      value: worst,
      unit: "MB",
      budget: 50,
      better: "lower",
    });
  } finally {
    proc.kill("SIGTERM");
    await proc.exited;
    rmSync(dir, { recursive: true, force: true });
  }
}
