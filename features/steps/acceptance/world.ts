// The acceptance suite's world and hooks. Loaded only for ANGZARR_FEATURES=acceptance (this folder
// is imported by that suite alone), so nothing here touches the unit suite.
//
// One system serves the whole run, so scenarios must not see each other's data: every business
// key a feature names (SKU, e-mail, order number, workflow) is turned into a key unique to the
// scenario by appending the scenario's token. Features keep their readable names.

import {
  AnyPayload,
  type CommandBook,
  CommandBooks,
  type CommandResponse,
  CommandResponseSchema,
  Covers,
  type EventBook,
  EventBooks,
  EventPages,
  Identity,
  SyncMode,
  Uuid,
} from "@angzarr/proto";
import { create, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import type { Any } from "@bufbuild/protobuf/wkt";
import { ConnectError } from "@connectrpc/connect";
import {
  After,
  AfterAll,
  Before,
  BeforeAll,
  setDefaultTimeout,
  setWorldConstructor,
  World,
} from "@cucumber/cucumber";
import type { AcceptanceBackend } from "./backend";
import { openBackend } from "./backends";

setDefaultTimeout(20_000);

let current: AcceptanceBackend | undefined;

/** The backend of this run (started in BeforeAll). */
export function system(): AcceptanceBackend {
  if (!current) throw new Error("the acceptance backend is not running");
  return current;
}

BeforeAll({ timeout: 150_000 }, async () => {
  current = await openBackend();
});

AfterAll({ timeout: 30_000 }, async () => {
  await current?.stop();
  current = undefined;
});

// Scenarios that crash programs or lose messages need a runtime in this process.
Before({ tags: "@embedded" }, () => (system().embedded ? undefined : "skipped"));

After(async function (this: AcceptanceWorld) {
  for (const undo of this.cleanups.splice(0).reverse()) await undo();
});

export interface ProductRef {
  sku: string;
  root: Uint8Array;
}
export interface CustomerRef {
  email: string;
  root: Uint8Array;
}
export interface OrderRef {
  number: string;
  root: Uint8Array;
  /** The order id other domains use: the root as text. */
  id: string;
  /** Correlation id every command about this order (and its shipment) travels with. */
  workflow: string;
  /** Who ordered: the customer's record, or undefined for a walk-in customer. */
  customer: CustomerRef | undefined;
  /** The products on the order. */
  products: ProductRef[];
  /** How many events the client was told were recorded for the order (from replies). */
  recorded: number;
}

/** The outcome of the last command a step sent on purpose. */
export type Outcome = { ok: true; response: CommandResponse } | { ok: false; error: ConnectError };

export interface SendOptions {
  /** The expected number of prior events; read from the store when omitted. */
  sequence?: number;
  /** Correlation id; "" sends none, so the runtime assigns one. */
  workflow?: string;
  syncMode?: SyncMode;
  /** The edition to send into (default: the real business, the main timeline). */
  edition?: string;
}

export class AcceptanceWorld extends World {
  /** Makes this scenario's business keys unique in the shared store. */
  readonly token = crypto.randomUUID().slice(0, 8);
  readonly cleanups: (() => void | Promise<void>)[] = [];
  private readonly orders = new Map<string, OrderRef>();
  last: Outcome | undefined;
  /** Outcomes of a batch of commands sent at once. */
  batch: Outcome[] = [];

  get backend(): AcceptanceBackend {
    return system();
  }

  product(label: string): ProductRef {
    const sku = `${label}-${this.token}`;
    return { sku, root: Identity.inventoryRoot(sku) };
  }

  customer(label: string): CustomerRef {
    const at = label.indexOf("@");
    const email = at < 0 ? `${label}+${this.token}` : `${label.slice(0, at)}+${this.token}${label.slice(at)}`;
    return { email, root: Identity.customerRoot(email) };
  }

  workflow(label: string): string {
    return `${label}-${this.token}`;
  }

  /** The edition a feature calls `label`, unique to the scenario. */
  edition(label: string): string {
    return `${label}-${this.token}`;
  }

  /** The order a feature calls `label`; `workflow` binds it to a named workflow on first use. */
  order(label: string, init: { workflow?: string } = {}): OrderRef {
    const known = this.orders.get(label);
    if (known) return known;
    const number = `${label}-${this.token}`;
    const root = Identity.orderRoot(number);
    const ref: OrderRef = {
      number,
      root,
      id: Uuid.toText(root),
      workflow: init.workflow ?? this.workflow(`workflow-of-${label}`),
      customer: undefined,
      products: [],
      recorded: 0,
    };
    this.orders.set(label, ref);
    return ref;
  }

  /** Builds and sends one command; throws the gateway's error. */
  async send<D extends DescMessage>(
    domain: string,
    root: Uint8Array,
    schema: D,
    message: MessageShape<D>,
    options: SendOptions = {},
  ): Promise<CommandResponse> {
    return this.sendPayload(domain, root, AnyPayload.pack(schema, message), options);
  }

  async sendPayload(
    domain: string,
    root: Uint8Array,
    payload: Any,
    options: SendOptions = {},
  ): Promise<CommandResponse> {
    const edition = options.edition ?? "";
    const sequence = options.sequence ?? (await this.nextSequence(domain, root, edition));
    const cover = Covers.make({ domain, root, correlationId: options.workflow ?? "", edition });
    const book: CommandBook = CommandBooks.make(cover, payload, sequence);
    return this.backend.execute(book, options.syncMode ?? SyncMode.NONE);
  }

  /** Like send, but records success or refusal in `last` instead of throwing. */
  async attempt(run: () => Promise<CommandResponse>): Promise<Outcome> {
    this.last = await settleOutcome(run());
    return this.last;
  }

  /** Like attempt, for calls that are not commands (editions, speculation): refused or not. */
  async attemptCall(run: () => Promise<unknown>): Promise<Outcome> {
    try {
      await run();
      this.last = { ok: true, response: create(CommandResponseSchema) };
    } catch (err) {
      this.last = { ok: false, error: ConnectError.from(err) };
    }
    return this.last;
  }

  async nextSequence(domain: string, root: Uint8Array, edition = ""): Promise<number> {
    return EventBooks.nextSequence(await this.backend.history(domain, root, edition));
  }

  lastResponse(): CommandResponse {
    if (!this.last) throw new Error("no command has been sent");
    if (!this.last.ok) throw new Error(`the last command was refused: ${describeError(this.last.error)}`);
    return this.last.response;
  }

  lastError(): ConnectError {
    if (!this.last) throw new Error("no command has been sent");
    if (this.last.ok) throw new Error("the last command was accepted, but a refusal was expected");
    return this.last.error;
  }
}

setWorldConstructor(AcceptanceWorld);

export async function settleOutcome(pending: Promise<CommandResponse>): Promise<Outcome> {
  try {
    return { ok: true, response: await pending };
  } catch (err) {
    return { ok: false, error: ConnectError.from(err) };
  }
}

export function describeError(err: ConnectError): string {
  return `[${err.code}] ${err.rawMessage}`;
}

/** One decoded event with its number. */
export interface Recorded<T> {
  sequence: number;
  event: T;
}

/** The full message names of a book's events, in order. */
export function eventNames(book: EventBook | undefined): string[] {
  return (book?.pages ?? []).map((p) => AnyPayload.nameOf(p.event).replace(/^examples\./, ""));
}

/** The book's events of one type, decoded. */
export function eventsOf<D extends DescMessage>(
  book: EventBook | undefined,
  schema: D,
): Recorded<MessageShape<D>>[] {
  const out: Recorded<MessageShape<D>>[] = [];
  for (const page of book?.pages ?? []) {
    if (!AnyPayload.is(page.event, schema)) continue;
    out.push({ sequence: EventPages.sequence(page) ?? -1, event: AnyPayload.unpack(page.event, schema) });
  }
  return out;
}

/** The numbers of a book's pages. */
export function sequencesOf(book: EventBook | undefined): number[] {
  return (book?.pages ?? []).map((p) => EventPages.sequence(p) ?? -1);
}

/**
 * Retries `check` every 25 ms until it stops throwing or `seconds` pass; then throws its last
 * error. This is how "within N seconds" steps wait: no fixed sleeps.
 */
export async function eventually<T>(seconds: number, check: () => Promise<T> | T): Promise<T> {
  const deadline = performance.now() + seconds * 1000;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (performance.now() >= deadline) {
        const reason = err instanceof Error ? err.message : String(err);
        throw new Error(`still not true after ${seconds} s: ${reason}`);
      }
    }
    await Bun.sleep(25);
  }
}

/** Throws `message` unless `condition` holds. */
export function expect(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

export function expectEqual<T>(actual: T, expected: T, what: string): void {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) throw new Error(`${what}: expected ${e}, got ${a}`);
}
