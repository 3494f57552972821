// Contract: concurrent writers (connections and processes) and a catch-up reader.

import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { SequenceConflictError } from "../errors";
import type { AggregateRef, Storage } from "../types";
import type { AppendWorkerJob } from "./append-worker";
import {
  type ContractContext,
  forced,
  hex,
  numbered,
  nums,
  ref,
  textOf,
  texts,
  visibleLog,
} from "./fixtures";

const WRITERS = 16;
const APPENDS_EACH = 10;
const TIMEOUT_MS = 60_000;

/** A connection per writer when the backend offers one; the shared storage otherwise. */
async function connections(
  ctx: ContractContext,
  count: number,
): Promise<{ conns: Storage[]; close: () => Promise<void> }> {
  const connect = ctx.fixture.connect;
  const conns: Storage[] = [];
  for (let i = 0; i < count; i++) conns.push(connect ? await connect() : ctx.storage);
  return {
    conns,
    close: async () => {
      for (const c of conns) if (c !== ctx.storage) await c.close();
    },
  };
}

/** Appends `count` explicit events one at a time, re-reading the next sequence on conflict. */
async function writeWithRetry(
  storage: Storage,
  target: AggregateRef,
  tag: string,
  count: number,
): Promise<number> {
  let conflicts = 0;
  for (let i = 0; i < count; ) {
    if (conflicts > 10_000) throw new Error(`${tag}: gave up after ${conflicts} conflicts`);
    const next = await storage.events.nextSequence(target);
    try {
      await storage.events.append(target, numbered(next, `${tag}-${i}`), { correlationId: tag });
      i++;
    } catch (err) {
      if (!(err instanceof SequenceConflictError)) throw err;
      conflicts++;
    }
  }
  return conflicts;
}

async function expectExactlyOnce(
  storage: Storage,
  target: AggregateRef,
  tags: string[],
  each: number,
): Promise<void> {
  const pages = await storage.events.get(target);
  const total = tags.length * each;
  expect(pages).toHaveLength(total);
  expect(nums(pages)).toEqual(Array.from({ length: total }, (_, i) => i));
  const expected = tags.flatMap((tag) => Array.from({ length: each }, (_, i) => `${tag}-${i}`)).sort();
  expect(texts(pages).sort()).toEqual(expected);
  // Every writer's own events keep their order.
  for (const tag of tags) {
    const mine = texts(pages).filter((t) => t.startsWith(`${tag}-`));
    expect(mine).toEqual(Array.from({ length: each }, (_, i) => `${tag}-${i}`));
  }
  const log = await visibleLog(storage, 0n, total);
  expect(log).toHaveLength(total);
  for (let i = 1; i < log.length; i++)
    expect((log[i]?.position ?? 0n) > (log[i - 1]?.position ?? 0n)).toBe(true);
  expect(await storage.events.nextSequence(target)).toBe(total);
}

export function defineConcurrencyContract(ctx: ContractContext, options: { multiProcess: boolean }): void {
  describe("concurrency", () => {
    test(
      `${WRITERS} concurrent writers on one aggregate: no gaps, no duplicates`,
      async () => {
        const target = ref("contended", 1);
        const { conns, close } = await connections(ctx, WRITERS);
        try {
          const tags = conns.map((_, w) => `w${w}`);
          await Promise.all(conns.map((c, w) => writeWithRetry(c, target, tags[w] ?? "", APPENDS_EACH)));
          await expectExactlyOnce(ctx.storage, target, tags, APPENDS_EACH);
        } finally {
          await close();
        }
      },
      TIMEOUT_MS,
    );

    if (options.multiProcess) {
      test(
        `${WRITERS} writer processes on one aggregate: no gaps, no duplicates`,
        async () => {
          const config = ctx.fixture.processConfig;
          if (config === undefined) throw new Error("a multi-process backend must give processConfig");
          const target = ref("contended", 2);
          const worker = join(import.meta.dir, "append-worker.ts");
          const tags = Array.from({ length: WRITERS }, (_, w) => `p${w}`);
          const results = await Promise.all(
            tags.map(async (tag) => {
              const job: AppendWorkerJob = {
                config,
                domain: target.domain,
                root: hex(target.root),
                count: APPENDS_EACH,
                tag,
              };
              const proc = Bun.spawn([process.execPath, worker, JSON.stringify(job)], {
                stdout: "pipe",
                stderr: "pipe",
              });
              const [out, err, code] = await Promise.all([
                new Response(proc.stdout).text(),
                new Response(proc.stderr).text(),
                proc.exited,
              ]);
              if (code !== 0) throw new Error(`worker ${tag} exited ${code}: ${err.trim()}`);
              return JSON.parse(out.trim().split("\n").at(-1) ?? "{}") as {
                appended: number;
                conflicts: number;
              };
            }),
          );
          for (const r of results) expect(r.appended).toBe(APPENDS_EACH);
          await expectExactlyOnce(ctx.storage, target, tags, APPENDS_EACH);
        },
        TIMEOUT_MS,
      );
    }

    test(
      "a catch-up reader sees every event exactly once, in strictly increasing position order",
      async () => {
        const writerCount = 6;
        const batches = 20;
        const { conns, close } = await connections(ctx, writerCount);
        const expected = new Set<string>();
        const seen: { position: bigint; label: string }[] = [];
        let writersDone = false;
        let outOfOrder = 0;
        try {
          const writers = conns.map(async (conn, w) => {
            // Each writer spreads over its own aggregate and one shared with others.
            const targets = [ref(`dom${w % 3}`, w + 1), ref(`dom${w % 3}`, 100)];
            for (let b = 0; b < batches; b++) {
              const target = targets[b % 2] as AggregateRef;
              const labels = Array.from({ length: 1 + (b % 3) }, (_, i) => `w${w}-b${b}-${i}`);
              for (;;) {
                try {
                  await conn.events.append(target, forced(...labels), { correlationId: `w${w}` });
                  break;
                } catch (err) {
                  if (!(err instanceof SequenceConflictError)) throw err;
                }
              }
              for (const label of labels) expected.add(label);
            }
          });
          const reader = (async () => {
            let last = 0n;
            let idleSince = performance.now();
            for (;;) {
              const batch = await ctx.storage.events.readAll(last, 25);
              for (const event of batch) {
                if (event.position <= last) outOfOrder++;
                last = event.position;
                seen.push({ position: event.position, label: textOf(event.page) });
              }
              if (batch.length > 0) {
                idleSince = performance.now();
                continue;
              }
              if (writersDone && (seen.length >= expected.size || performance.now() - idleSince > 10_000))
                return;
              await Bun.sleep(1);
            }
          })();
          await Promise.all(writers);
          writersDone = true;
          await reader;
        } finally {
          await close();
        }
        expect(outOfOrder).toBe(0);
        const labels = seen.map((s) => s.label);
        expect(new Set(labels).size).toBe(labels.length);
        expect([...labels].sort()).toEqual([...expected].sort());
        const full = await ctx.storage.events.readAll(0n, expected.size * 2);
        expect(full.map((e) => e.position)).toEqual(seen.map((s) => s.position));
      },
      TIMEOUT_MS,
    );
  });
}
