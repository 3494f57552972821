// Group commit of main-timeline appends on PostgreSQL. Appends of different aggregates that wait
// at the same time go to the server as ONE statement (append_main_batch, migration 11): one round
// trip, one transaction, one commit for all of them, instead of one each. Each append keeps its
// own outcome: a sequence conflict or a recorded causation refuses that append alone (the
// function decides each item as append_main would and writes nothing for it). Whatever fails the
// statement as a whole (an error raised in it, a deadlock, a failing COMMIT) fails it before
// anything is acknowledged, and the server rolled it back: every append of it is then tried again
// on its own (append_main), so only the append at fault fails. A connection lost during the
// statement (the outcome cannot be known) fails every append of it, as it fails a single one.
import { MAX_SEQUENCE } from "../errors";
import { type Sql, sqlState } from "./client";

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

export interface AppendBatcherOptions {
  /** Statements in flight at once (each holds one pooled connection); default 2. */
  maxInFlight?: number;
  /** Appends per statement; default 128. */
  maxItems?: number;
  /** Observes every statement sent: how many appends it carried (tests, benchmarks). */
  onBatch?: (size: number) => void;
  /** Observes a batch that failed as a whole and was retried append by append. */
  onRetried?: (size: number, error: unknown) => void;
}

interface Waiting {
  item: MainAppend;
  resolve: (outcome: AppendOutcome) => void;
  reject: (error: unknown) => void;
}

/** A server error that ended the statement (so its implicit transaction rolled back), connection intact. */
function rolledBack(error: unknown): boolean {
  const state = sqlState(error);
  return state !== undefined && !/^(08|57P0)/.test(state);
}

export class AppendBatcher {
  private readonly queue: Waiting[] = [];
  private inFlight = 0;
  private scheduled = false;
  private readonly maxInFlight: number;
  private readonly maxItems: number;

  constructor(
    private readonly sql: Sql,
    private readonly single: (item: MainAppend) => Promise<AppendOutcome>,
    private readonly options: AppendBatcherOptions = {},
  ) {
    this.maxInFlight = Math.max(1, options.maxInFlight ?? 2);
    this.maxItems = Math.max(1, options.maxItems ?? 128);
  }

  /** Resolves with the append's own outcome once the statement that carried it committed. */
  submit(item: MainAppend): Promise<AppendOutcome> {
    return new Promise<AppendOutcome>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.schedule();
    });
  }

  /** Flushes at the end of this turn: appends submitted in the same turn share a statement. */
  private schedule(): void {
    if (this.scheduled || this.inFlight >= this.maxInFlight || this.queue.length === 0) return;
    this.scheduled = true;
    queueMicrotask(() => {
      this.scheduled = false;
      while (this.inFlight < this.maxInFlight && this.queue.length > 0) this.send(this.take());
    });
  }

  /**
   * Up to maxItems waiting appends, one per aggregate (a second append of an aggregate waits for
   * the next statement: its number depends on the first), in lock order.
   */
  private take(): Waiting[] {
    const batch: Waiting[] = [];
    const locks = new Set<string>();
    const rest: Waiting[] = [];
    for (const waiting of this.queue) {
      if (batch.length < this.maxItems && !locks.has(waiting.item.lock)) {
        locks.add(waiting.item.lock);
        batch.push(waiting);
      } else rest.push(waiting);
    }
    this.queue.length = 0;
    this.queue.push(...rest);
    // The order every writer takes aggregate locks in (events.ts `lock`): no cycle between batches.
    return batch.sort((a, b) => (a.item.lock < b.item.lock ? -1 : a.item.lock > b.item.lock ? 1 : 0));
  }

  private send(batch: Waiting[]): void {
    this.inFlight++;
    this.options.onBatch?.(batch.length);
    const done = batch.length === 1 ? this.runSingle(batch[0] as Waiting) : this.runBatch(batch);
    void done.finally(() => {
      this.inFlight--;
      this.schedule();
    });
  }

  private async runSingle(waiting: Waiting): Promise<void> {
    try {
      waiting.resolve(await this.single(waiting.item));
    } catch (error) {
      waiting.reject(error);
    }
  }

  private async runBatch(batch: Waiting[]): Promise<void> {
    let rows: { item: number; outcome: string; next: bigint; first: bigint | null }[];
    try {
      rows = await this.statement(batch.map((w) => w.item));
    } catch (error) {
      if (!rolledBack(error)) {
        for (const waiting of batch) waiting.reject(error);
        return;
      }
      // Nothing of the batch is stored: each append on its own, so that only the one at fault fails.
      this.options.onRetried?.(batch.length, error);
      await Promise.all(batch.map((waiting) => this.runSingle(waiting)));
      return;
    }
    const byItem = new Map(rows.map((row) => [Number(row.item), row]));
    batch.forEach((waiting, i) => {
      const row = byItem.get(i + 1);
      if (row === undefined) waiting.reject(new Error("append_main_batch returned no row for an append"));
      else waiting.resolve({ outcome: row.outcome, next: row.next, first: row.first });
    });
  }

  private async statement(items: MainAppend[]) {
    const sql = this.sql;
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
    const text = (values: (string | null)[]) => sql.array(values, "TEXT");
    const blob = (values: (Uint8Array | null)[]) => sql.array(values, "BYTEA");
    const int8 = (values: (number | bigint | null)[]) => sql.array(values, "INT8");
    return (await sql`
      SELECT r_item AS item, r_outcome AS outcome, r_next AS next, r_first AS first FROM append_main_batch(
        ${text(items.map((i) => i.lock))}::text[], ${text(items.map((i) => i.domain))}::text[],
        ${blob(items.map((i) => i.root))}::bytea[], ${int8(items.map((i) => i.expected))}::int8[],
        ${MAX_SEQUENCE}::int8, ${sql.array(counts, "INT4")}::int4[],
        ${text(typeUrls)}::text[], ${blob(payloads)}::bytea[],
        ${int8(seconds)}::int8[], ${sql.array(nanos, "INT4")}::int4[],
        ${text(items.map((i) => i.correlationId))}::text[],
        ${text(items.map((i) => i.snapshotType))}::text[], ${blob(items.map((i) => i.snapshot))}::bytea[],
        ${text(c.map((x) => x?.component ?? null))}::text[], ${text(c.map((x) => x?.domain ?? null))}::text[],
        ${text(c.map((x) => x?.edition ?? null))}::text[], ${blob(c.map((x) => x?.root ?? null))}::bytea[],
        ${int8(c.map((x) => x?.sequence ?? null))}::int8[],
        ${text(items.map((i) => i.traceparent))}::text[])`) as {
      item: number;
      outcome: string;
      next: bigint;
      first: bigint | null;
    }[];
  }
}
