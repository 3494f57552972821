// The outbox in memory. A write checks everything first (guards, sequence numbers) and then
// applies every part in one synchronous step, so it is atomic like a transaction.
import { Editions, type EventPage } from "@angzarr/proto";
import { InvalidInputError, SequenceConflictError } from "../errors";
import type {
  CausationKey,
  OutboxEntry,
  OutboxInput,
  OutboxStore,
  OutboxWrite,
  OutboxWriteResult,
} from "../types";
import type { MemoryCausationStore } from "./memory-causation-store";
import type { MemoryDeadLetterStore } from "./memory-dead-letter-store";
import type { AppendPlan, MemoryEventStore } from "./memory-event-store";
import { aggregateKey, checkRef, checkSequence } from "./validation";

const SETTLED = new Set(["delivered", "rejected", "parked"]);

function copy(entry: OutboxEntry): OutboxEntry {
  return {
    ...entry,
    cause: { ...entry.cause, root: entry.cause.root.slice() },
    payload: entry.payload.slice(),
    createdAt: new Date(entry.createdAt),
    ...(entry.result ? { result: entry.result.slice() } : {}),
  };
}

function causeKey(cause: CausationKey): string {
  return `${cause.component}\u0000${aggregateKey(cause.domain, Editions.normalize(cause.edition), cause.root)}\u0000${cause.sequence}`;
}

function checkText(value: unknown, what: string): void {
  if (typeof value !== "string") throw new InvalidInputError(`${what} must be a string`);
}

function checkId(value: unknown): void {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0)
    throw new InvalidInputError(`Invalid outbox id: ${String(value)}`);
}

export class MemoryOutboxStore implements OutboxStore {
  readonly #entries = new Map<number, OutboxEntry>();
  /** cause key + name → id: one entry per name and cause. */
  readonly #names = new Map<string, number>();
  #lastId = 0;

  constructor(
    private readonly events: MemoryEventStore,
    private readonly causations: MemoryCausationStore,
    private readonly deadLetters: MemoryDeadLetterStore,
  ) {}

  async write(writes: OutboxWrite[]): Promise<OutboxWriteResult[]> {
    if (!Array.isArray(writes)) throw new InvalidInputError("writes must be an array");
    for (const w of writes) this.check(w);
    return writes.map((w) => this.writeOne(w));
  }

  async pending(options: { limit: number; lane?: string; afterId?: number }): Promise<OutboxEntry[]> {
    if (!Number.isSafeInteger(options?.limit) || options.limit < 0)
      throw new InvalidInputError(`Invalid limit: ${String(options?.limit)}`);
    if (options.afterId !== undefined) checkId(options.afterId);
    const after = options.afterId ?? 0;
    const out: OutboxEntry[] = [];
    for (const entry of this.#entries.values()) {
      if (out.length >= options.limit) break;
      if (entry.status !== "pending" || entry.id <= after) continue;
      if (options.lane !== undefined && entry.lane !== options.lane) continue;
      out.push(copy(entry));
    }
    return out;
  }

  async byCause(cause: CausationKey): Promise<OutboxEntry[]> {
    this.causations.check(cause);
    const key = causeKey(cause);
    return [...this.#entries.values()].filter((e) => causeKey(e.cause) === key).map(copy);
  }

  async get(id: number): Promise<OutboxEntry | undefined> {
    checkId(id);
    const entry = this.#entries.get(id);
    return entry ? copy(entry) : undefined;
  }

  async retryLater(id: number, dueAt: number, error: string): Promise<void> {
    checkId(id);
    if (!Number.isSafeInteger(dueAt)) throw new InvalidInputError(`Invalid due time: ${String(dueAt)}`);
    checkText(error, "error");
    const entry = this.#entries.get(id);
    if (entry?.status !== "pending") return;
    entry.attempts++;
    entry.dueAt = dueAt;
    entry.lastError = error;
  }

  private check(w: OutboxWrite): void {
    if (w === null || typeof w !== "object") throw new InvalidInputError("outbox write missing");
    for (const c of w.causations ?? []) this.causations.check(c);
    if (w.settle) {
      checkId(w.settle.id);
      if (!SETTLED.has(w.settle.status))
        throw new InvalidInputError(`Invalid settled status: ${String(w.settle.status)}`);
    }
    for (const a of w.appends ?? []) {
      checkRef(a.ref);
      checkText(a.correlationId, "correlation id");
      if (!Array.isArray(a.pages)) throw new InvalidInputError("pages must be an array");
      for (const page of a.pages) {
        if (page.sequence.case === "num") checkSequence(page.sequence.value, "page sequence");
      }
    }
    for (const e of w.enqueue ?? []) checkInput(e, this.causations);
    if (w.deadLetter) this.deadLetters.check(w.deadLetter);
  }

  private writeOne(w: OutboxWrite): OutboxWriteResult {
    // Guards: a repeated step writes nothing.
    if ((w.causations ?? []).some((c) => this.causations.recorded(c))) return { kind: "duplicate" };
    const settled = w.settle ? this.#entries.get(w.settle.id) : undefined;
    if (w.settle && settled?.status !== "pending") return { kind: "duplicate" };
    for (const e of w.enqueue ?? []) {
      if (this.#names.has(`${causeKey(e.cause)}\u0000${e.name}`)) return { kind: "duplicate" };
    }
    // Sequence checks of every append, aggregates written twice counted once.
    const planned = new Map<string, number>();
    const plans: AppendPlan[] = [];
    for (const a of w.appends ?? []) {
      const r = checkRef(a.ref);
      const key = aggregateKey(r.domain, r.edition, r.root);
      try {
        plans.push(this.events.planAppend(r, a.pages, a.correlationId, planned.get(key) ?? 0));
      } catch (err) {
        if (err instanceof SequenceConflictError) {
          return { kind: "conflict", expected: err.expected, actual: err.actual };
        }
        throw err;
      }
      planned.set(key, (planned.get(key) ?? 0) + a.pages.length);
    }
    // Checked: apply every part.
    for (const c of w.causations ?? []) this.causations.claim(c);
    const stored: EventPage[][] = plans.map((p) => p.apply());
    const outcome = w.outcome?.(stored);
    const last = w.causations?.at(-1);
    if (last && outcome) this.causations.setOutcome(last, outcome);
    if (w.settle && settled) {
      settled.status = w.settle.status;
      if (outcome) settled.result = outcome.slice();
    }
    const enqueued = (w.enqueue ?? []).map((input) => {
      const entry: OutboxEntry = {
        cause: {
          ...input.cause,
          edition: Editions.normalize(input.cause.edition),
          root: input.cause.root.slice(),
        },
        name: input.name,
        lane: input.lane,
        kind: input.kind,
        payload: input.payload.slice(),
        ...(input.traceparent ? { traceparent: input.traceparent } : {}),
        id: ++this.#lastId,
        status: "pending",
        attempts: 0,
        dueAt: 0,
        lastError: "",
        createdAt: new Date(),
      };
      this.#entries.set(entry.id, entry);
      this.#names.set(`${causeKey(entry.cause)}\u0000${entry.name}`, entry.id);
      return copy(entry);
    });
    if (w.deadLetter) this.deadLetters.addNow(w.deadLetter);
    return { kind: "written", stored, enqueued };
  }
}

function checkInput(e: OutboxInput, causations: MemoryCausationStore): void {
  if (e === null || typeof e !== "object") throw new InvalidInputError("outbox entry missing");
  causations.check(e.cause);
  checkText(e.name, "entry name");
  checkText(e.lane, "lane");
  checkText(e.kind, "kind");
  if (!(e.payload instanceof Uint8Array)) throw new InvalidInputError("payload must be bytes");
  if (e.traceparent !== undefined) checkText(e.traceparent, "traceparent");
}
