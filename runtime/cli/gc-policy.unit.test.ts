// The GC policy's restart: which environment it starts again with, and with which argv.
import { expect, test } from "bun:test";
import { GC_POLICY, policyEnv, ROLE_POLICY, restartArgv } from "./gc-policy";

test("a process without the options starts again with them, and with everything else it had", () => {
  const env = policyEnv({ PATH: "/bin", ANGZARR_LOG: "error", UNSET: undefined });
  expect(env).toEqual({ PATH: "/bin", ANGZARR_LOG: "error", ...GC_POLICY });
});

test("a process with the options set (by the restart or the operator) is left as it is", () => {
  expect(policyEnv({ PATH: "/bin", ...GC_POLICY })).toBeUndefined();
  const mine = Object.fromEntries(Object.keys(GC_POLICY).map((name) => [name, "0.9"]));
  expect(policyEnv({ PATH: "/bin", ...mine })).toBeUndefined();
});

test("bun <script> restarts with its runtime flags and the script; a compiled executable with its arguments", () => {
  expect(
    restartArgv(
      "/usr/bin/bun",
      ["--smol"],
      ["/usr/bin/bun", "/app/runtime/cli/main.ts", "standalone", "--port", "0"],
    ),
  ).toEqual(["/usr/bin/bun", "--smol", "/app/runtime/cli/main.ts", "standalone", "--port", "0"]);
  expect(
    restartArgv(
      "/usr/local/bin/angzarr",
      [],
      ["bun", "/$bunfs/root/angzarr", "aggregate", "--domain", "order"],
    ),
  ).toEqual(["/usr/local/bin/angzarr", "aggregate", "--domain", "order"]);
});

test("a distributed role's policy is the GC policy with mimalloc's hole purge off; set options are kept", () => {
  expect(ROLE_POLICY).toEqual({ ...GC_POLICY, MIMALLOC_PURGE_HOLES: "0" });
  expect(policyEnv({ PATH: "/bin", ...GC_POLICY }, ROLE_POLICY)).toEqual({ PATH: "/bin", ...ROLE_POLICY });
  expect(policyEnv({ PATH: "/bin", ...GC_POLICY, MIMALLOC_PURGE_HOLES: "1" }, ROLE_POLICY)).toBeUndefined();
});
