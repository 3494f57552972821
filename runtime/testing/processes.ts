// Helpers for integration tests that run real child processes on real sockets: fixture
// programs, short temporary folders (socket paths are limited to ~107 bytes), process checks
// through /proc, and command books for the synthetic aggregates.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  AnyPayload,
  type CommandBook,
  CommandBooks,
  type ContextualCommand,
  ContextualCommandSchema,
  Covers,
  Uuid,
} from "@angzarr/proto";
import { create } from "@bufbuild/protobuf";
import { StringValueSchema, UInt32ValueSchema } from "@bufbuild/protobuf/wkt";
import type { ComponentConfig, HandlerSettings } from "../config/load";

export const FIXTURES = join(import.meta.dir, "fixtures");

/** Absolute path of a fixture program (`echo-agg`, `multi-agg`, `never-healthy`). */
export function fixture(name: string): string {
  return join(FIXTURES, `${name}.ts`);
}

/** A fresh folder under the system temp dir; remove it with `rmSync(dir, {recursive: true})`. */
export function tempDir(prefix = "az-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/**
 * Fast handler settings for tests. The health bound is how long a program may take to start and
 * answer: generous, since a busy 2-core machine takes seconds to start one `bun` program (a
 * test of the health timeout sets its own).
 */
export function testHandlerSettings(overrides: Partial<HandlerSettings> = {}): HandlerSettings {
  return {
    timeoutMs: 10_000,
    healthTimeoutMs: 20_000,
    stopGraceMs: 2_000,
    restart: { initialMs: 50, maxMs: 500 },
    ...overrides,
  };
}

/** A supervised aggregate component running a fixture with the bun of this process. */
export function fixtureAggregate(domain: string, program: string, args: string[] = []): ComponentConfig {
  return {
    name: domain,
    kind: "aggregate",
    domain,
    program: `agg-${domain}`,
    launch: {
      type: "spawn",
      argv: [process.execPath, fixture(program), "--domain", domain, ...args],
      cwd: FIXTURES,
    },
    transport: "connect",
    env: {},
  };
}

/** True while the process exists and is not a zombie. */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    return state !== "Z" && state !== "X";
  } catch {
    return false;
  }
}

/** Direct children of a process (from /proc). */
export function childPids(pid: number): number[] {
  const out: number[] = [];
  try {
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      const text = readFileSync(`/proc/${pid}/task/${task}/children`, "utf8").trim();
      if (text) out.push(...text.split(/\s+/).map(Number));
    }
  } catch {
    // gone
  }
  return out;
}

/**
 * Polls until `check` holds; throws with `what` after `timeoutMs`. The bound is a guard against a
 * hang, never a measurement: its default leaves room for a busy 2-core machine, where starting one
 * more `bun` program (a restart) can take several seconds, and stays under a test's 30 s.
 */
export async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 20_000) {
  const deadline = performance.now() + timeoutMs;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await Bun.sleep(10);
  }
}

export function newRoot(): Uint8Array {
  return Uuid.fromText(crypto.randomUUID());
}

/** A client command for the echo fixture: StringValue{value}. */
export function echoCommand(domain: string, root: Uint8Array, value: string, sequence = 0): CommandBook {
  const cover = Covers.make({ domain, root });
  return CommandBooks.make(
    cover,
    AnyPayload.pack(StringValueSchema, create(StringValueSchema, { value })),
    sequence,
  );
}

/** A client command for the multi-event fixture: UInt32Value{count}. */
export function multiCommand(domain: string, root: Uint8Array, count: number, sequence = 0): CommandBook {
  const cover = Covers.make({ domain, root });
  return CommandBooks.make(
    cover,
    AnyPayload.pack(UInt32ValueSchema, create(UInt32ValueSchema, { value: count })),
    sequence,
  );
}

/** The handler request for a command with no prior history. */
export function contextual(command: CommandBook): ContextualCommand {
  return create(ContextualCommandSchema, { command });
}
