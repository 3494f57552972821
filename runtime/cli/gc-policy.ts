// How the long-running processes (`angzarr standalone` and the distributed roles) collect their
// JS heap. JavaScriptCore runs a full collection only once the old generation holds about two
// thirds of the heap's limit; under the command load, every young collection promotes the
// requests then in flight, which die soon after, so the heap climbed to ~3× its live size
// between full collections (75–90 MB of a 14–20 MB live heap, the largest part of the
// coordinator's resident memory; bench/README.md "Coordinator memory"). Asking for the full
// collection once the old generation holds 40 % of the limit kept the heap under 50 MB.
//
// The distributed roles also run with Bun's mimalloc "hole purge" off (MIMALLOC_PURGE_HOLES=0):
// with it on, each time the event loop woke after a few idle milliseconds mimalloc had returned
// the free parts of the pages it held to the OS, and the next turn faulted them back in: a paced
// wake-up cost 300-450 µs of CPU where the same work back to back cost ~10 µs. A role and its
// handler programs are woken thousands of times a second at a paced rate (the saga hop at 500
// orders/s: every process 17-33 % less CPU per order; bench/README.md "Each wake-up's pages").
// Free whole pages are still returned after mimalloc's purge delay. The handler programs a role
// spawns inherit its environment, and so the option.
//
// JavaScriptCore and mimalloc read their options from the environment when the process starts,
// so the entry point starts itself again (execve: same pid, same arguments, same descriptors)
// with the options set, once; an option the operator set is left as it is.

/** The JavaScriptCore options the runtime runs with, as environment variables. */
export const GC_POLICY: Readonly<Record<string, string>> = {
  BUN_JSC_minEdenToOldGenerationRatio: "0.6",
};

/** What the distributed roles run with: GC_POLICY, and mimalloc's hole purge off. */
export const ROLE_POLICY: Readonly<Record<string, string>> = {
  ...GC_POLICY,
  MIMALLOC_PURGE_HOLES: "0",
};

/** The environment to start again with, or undefined when every option is set already. */
export function policyEnv(
  env: Readonly<Record<string, string | undefined>>,
  policy: Readonly<Record<string, string>> = GC_POLICY,
): Record<string, string> | undefined {
  const missing = Object.entries(policy).filter(([name]) => env[name] === undefined);
  if (missing.length === 0) return undefined;
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) if (value !== undefined) out[name] = value;
  for (const [name, value] of missing) out[name] = value;
  return out;
}

/**
 * The argv that starts this process again: a compiled executable (its script under Bun's
 * embedded `/$bunfs/`) takes its own arguments; `bun <script>` takes its runtime flags and the
 * script too.
 */
export function restartArgv(
  execPath: string,
  execArgv: readonly string[],
  argv: readonly string[],
): string[] {
  const script = argv[1] ?? "";
  const compiled = script.startsWith("/$bunfs/") || script.startsWith("B:/~BUN/");
  return compiled ? [execPath, ...argv.slice(2)] : [execPath, ...execArgv, ...argv.slice(1)];
}

/**
 * Starts the process again under `policy` (GC_POLICY, or ROLE_POLICY for a distributed role) when
 * it lacks it. Returns only when nothing was to be done or the restart failed (the process then
 * runs on with the defaults).
 */
export function applyGcPolicy(
  onFailure: (error: Error) => void,
  policy: Readonly<Record<string, string>> = GC_POLICY,
): void {
  const env = policyEnv(process.env, policy);
  if (env === undefined) return;
  if (typeof process.execve !== "function") {
    onFailure(new Error("process.execve is not available"));
    return;
  }
  try {
    process.execve(process.execPath, restartArgv(process.execPath, process.execArgv, process.argv), env);
  } catch (err) {
    onFailure(err instanceof Error ? err : new Error(String(err)));
  }
}
