// Group commit on PostgreSQL: writes that wait at the same time go to the server as ONE statement
// (a plpgsql function looping over them), i.e. one round trip, one transaction and one commit
// for all of them instead of one each. Each write keeps its own outcome: the function decides
// each one as the single-write statement would and writes nothing for one it refuses. Whatever
// fails the statement as a whole (an error raised in it, a deadlock, a failing COMMIT) fails it
// before anything is acknowledged, and the server rolled it back: every write of it is then
// tried again on its own, so only the write at fault fails. A connection lost during the
// statement (its outcome cannot be known) fails every write of it, as it fails a single one.
import { sqlState } from "./client";

export interface GroupCommitOptions {
  /** Statements in flight at once (each holds one pooled connection); default 2. */
  maxInFlight?: number;
  /** Writes per statement; default 128. */
  maxItems?: number;
  /** Observes every statement sent: how many writes it carried (tests, benchmarks). */
  onBatch?: (size: number) => void;
  /** Observes a statement that failed as a whole and was retried write by write. */
  onRetried?: (size: number, error: unknown) => void;
}

/** How one kind of write is sent alone and in a group. */
export interface GroupCommitPlan<I, O> {
  /** Writes with one key never share a statement (the later one waits for the next). */
  key?: (item: I) => string;
  /** The order of writes inside a statement (the order every writer takes its locks in). */
  compare?: (a: I, b: I) => number;
  /** One write in its own statement. */
  single: (item: I) => Promise<O>;
  /** Several writes in one statement: one outcome per write, in their order. */
  many: (items: I[]) => Promise<O[]>;
}

interface Waiting<I, O> {
  item: I;
  resolve: (outcome: O) => void;
  reject: (error: unknown) => void;
}

/** A server error that ended the statement (its implicit transaction rolled back), connection intact. */
function rolledBack(error: unknown): boolean {
  const state = sqlState(error);
  return state !== undefined && !/^(08|57P0)/.test(state);
}

export class GroupCommit<I, O> {
  private readonly queue: Waiting<I, O>[] = [];
  private inFlight = 0;
  private scheduled = false;
  private readonly maxInFlight: number;
  private readonly maxItems: number;

  constructor(
    private readonly plan: GroupCommitPlan<I, O>,
    private readonly options: GroupCommitOptions = {},
  ) {
    this.maxInFlight = Math.max(1, options.maxInFlight ?? 2);
    this.maxItems = Math.max(1, options.maxItems ?? 128);
  }

  /** Resolves with the write's own outcome once the statement that carried it committed. */
  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.schedule();
    });
  }

  /** Flushes at the end of this turn: writes submitted in the same turn share a statement. */
  private schedule(): void {
    if (this.scheduled || this.inFlight >= this.maxInFlight || this.queue.length === 0) return;
    this.scheduled = true;
    queueMicrotask(() => {
      this.scheduled = false;
      while (this.inFlight < this.maxInFlight && this.queue.length > 0) this.send(this.take());
    });
  }

  /** Up to maxItems waiting writes, one per key, in the plan's order. */
  private take(): Waiting<I, O>[] {
    const batch: Waiting<I, O>[] = [];
    const keys = new Set<string>();
    const rest: Waiting<I, O>[] = [];
    const keyOf = this.plan.key;
    for (const waiting of this.queue) {
      const key = keyOf?.(waiting.item);
      if (batch.length < this.maxItems && (key === undefined || !keys.has(key))) {
        if (key !== undefined) keys.add(key);
        batch.push(waiting);
      } else rest.push(waiting);
    }
    this.queue.length = 0;
    this.queue.push(...rest);
    const compare = this.plan.compare;
    return compare ? batch.sort((a, b) => compare(a.item, b.item)) : batch;
  }

  private send(batch: Waiting<I, O>[]): void {
    this.inFlight++;
    this.options.onBatch?.(batch.length);
    const done = batch.length === 1 ? this.runSingle(batch[0] as Waiting<I, O>) : this.runMany(batch);
    void done.finally(() => {
      this.inFlight--;
      this.schedule();
    });
  }

  private async runSingle(waiting: Waiting<I, O>): Promise<void> {
    try {
      waiting.resolve(await this.plan.single(waiting.item));
    } catch (error) {
      waiting.reject(error);
    }
  }

  private async runMany(batch: Waiting<I, O>[]): Promise<void> {
    let outcomes: O[];
    try {
      outcomes = await this.plan.many(batch.map((w) => w.item));
    } catch (error) {
      if (!rolledBack(error)) {
        for (const waiting of batch) waiting.reject(error);
        return;
      }
      // Nothing of the batch is stored: each write on its own, so that only the one at fault fails.
      this.options.onRetried?.(batch.length, error);
      await Promise.all(batch.map((waiting) => this.runSingle(waiting)));
      return;
    }
    batch.forEach((waiting, i) => {
      if (i < outcomes.length) waiting.resolve(outcomes[i] as O);
      else waiting.reject(new Error("a grouped statement returned no outcome for a write"));
    });
  }
}

/** Rows of a grouped statement (`item`: 1-based place of the write) split by write, in order. */
export function rowsByItem<R extends { item: number | bigint }>(rows: R[], count: number): R[][] {
  const out: R[][] = Array.from({ length: count }, () => []);
  for (const row of rows) out[Number(row.item) - 1]?.push(row);
  return out;
}
