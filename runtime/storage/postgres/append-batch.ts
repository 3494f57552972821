// Group commit of main-timeline appends (group-commit.ts): appends of different aggregates that
// wait at the same time go as one append_main_batch statement (migration 11), one aggregate per
// statement at most, in the order every writer takes aggregate locks in; a lone append goes as
// append_main. A sequence conflict or a recorded causation refuses that append alone.
import { MAX_SEQUENCE } from "../errors";
import { byteaArray, integerArray, textArray } from "./array-literal";
import type { Sql } from "./client";
import { GroupCommit, type GroupCommitOptions } from "./group-commit";

/** What append_main / append_main_batch answer for one append. */
export interface AppendOutcome {
  outcome: string;
  next: bigint;
  first: bigint | null;
}

/** One main-timeline append, as the columns the statements take. */
export interface MainAppend {
  lock: string;
  domain: string;
  root: Uint8Array;
  expected: number | null;
  typeUrls: (string | null)[];
  payloads: (Uint8Array | null)[];
  seconds: bigint[];
  nanos: number[];
  correlationId: string;
  snapshotType: string | null;
  snapshot: Uint8Array | null;
  causation: {
    component: string;
    domain: string;
    edition: string;
    root: Uint8Array;
    sequence: number;
  } | null;
  traceparent: string | null;
}

/** A group commit of main-timeline appends: `single` sends one append alone (append_main). */
export function appendBatcher(
  sql: Sql,
  single: (item: MainAppend) => Promise<AppendOutcome>,
  options: GroupCommitOptions = {},
): GroupCommit<MainAppend, AppendOutcome> {
  return new GroupCommit<MainAppend, AppendOutcome>(
    {
      key: (item) => item.lock,
      compare: (a, b) => (a.lock < b.lock ? -1 : a.lock > b.lock ? 1 : 0),
      single,
      many: async (items) => {
        const rows = await appendMany(sql, items);
        const byItem = new Map(rows.map((row) => [Number(row.item), row]));
        return items.map((_, i) => {
          const row = byItem.get(i + 1);
          if (row === undefined) throw new Error("append_main_batch returned no row for an append");
          return { outcome: row.outcome, next: row.next, first: row.first };
        });
      },
    },
    options,
  );
}

/** Several appends of different aggregates, in lock order, as one append_main_batch statement. */
async function appendMany(sql: Sql, items: MainAppend[]) {
  const counts: number[] = [];
  const typeUrls: (string | null)[] = [];
  const payloads: (Uint8Array | null)[] = [];
  const seconds: bigint[] = [];
  const nanos: number[] = [];
  for (const item of items) {
    counts.push(item.typeUrls.length);
    typeUrls.push(...item.typeUrls);
    payloads.push(...item.payloads);
    seconds.push(...item.seconds);
    nanos.push(...item.nanos);
  }
  const c = items.map((item) => item.causation);
  return (await sql`
      SELECT r_item AS item, r_outcome AS outcome, r_next AS next, r_first AS first FROM append_main_batch(
        ${textArray(items.map((i) => i.lock))}::text[], ${textArray(items.map((i) => i.domain))}::text[],
        ${byteaArray(items.map((i) => i.root))}::bytea[], ${integerArray(items.map((i) => i.expected))}::int8[],
        ${MAX_SEQUENCE}::int8, ${integerArray(counts)}::int4[],
        ${textArray(typeUrls)}::text[], ${byteaArray(payloads)}::bytea[],
        ${integerArray(seconds)}::int8[], ${integerArray(nanos)}::int4[],
        ${textArray(items.map((i) => i.correlationId))}::text[],
        ${textArray(items.map((i) => i.snapshotType))}::text[], ${byteaArray(items.map((i) => i.snapshot))}::bytea[],
        ${textArray(c.map((x) => x?.component ?? null))}::text[], ${textArray(c.map((x) => x?.domain ?? null))}::text[],
        ${textArray(c.map((x) => x?.edition ?? null))}::text[], ${byteaArray(c.map((x) => x?.root ?? null))}::bytea[],
        ${integerArray(c.map((x) => x?.sequence ?? null))}::int8[],
        ${textArray(items.map((i) => i.traceparent))}::text[])`) as {
    item: number;
    outcome: string;
    next: bigint;
    first: bigint | null;
  }[];
}
