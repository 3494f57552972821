// The unit suite's world: one aggregate under test, the history it already has (optionally a
// snapshot followed by later events), and what the last command produced. Nothing here does I/O;
// every command is decided by calling the aggregate's handler with the history in memory.

import type { Outcome } from "@angzarr/sdk";
import type { Message } from "@bufbuild/protobuf";
import { setWorldConstructor, World } from "@cucumber/cucumber";

/** A snapshot stands in for the events before it; `sequence` is the number of its last event. */
export interface Snapshot {
  sequence: number;
  state: Message;
}

/** What an aggregate already knows before the command arrives. */
export interface History {
  snapshot?: Snapshot;
  /** Events after the snapshot (or all of them when there is none), oldest first. */
  pages: Message[];
}

/** One domain's aggregate, with its state type erased so the world can hold any of the six. */
export interface DomainDriver {
  /** The business word the features use: cart, customer, product, order, inventory, shipment. */
  readonly word: string;
  /** Decides one command against a history. */
  decide(history: History, command: Message): Outcome<Message>;
  /** Sends a request that carries no instruction at all. */
  decideEmpty(history: History): Outcome<Message>;
  /** The state a history rebuilds to (snapshot first when present). */
  rebuild(history: History): Message;
  /** Throws unless both states are equal, printing both. */
  assertSameState(what: string, actual: Message, expected: Message): void;
  /** The §1.5 check of a successful outcome: its state equals replaying history plus its events. */
  assertReportedStateConsistent(history: History, outcome: Outcome<Message>): void;
}

export class UnitWorld extends World {
  private driver: DomainDriver | undefined;
  private snapshot: Snapshot | undefined;
  private pages: Message[] = [];
  /** Every event the aggregate has ever recorded, for full replays regardless of snapshots. */
  private everything: Message[] = [];
  private last: Outcome<Message> | undefined;
  /** The history as it was when the last command was decided. */
  private historyBeforeCommand: History | undefined;

  /** Selects the aggregate under test; a scenario talks to one aggregate only. */
  use(driver: DomainDriver): DomainDriver {
    if (this.driver && this.driver !== driver) {
      throw new Error(`this scenario is about the ${this.driver.word}, not the ${driver.word}`);
    }
    this.driver = driver;
    return driver;
  }

  get domain(): DomainDriver {
    if (!this.driver) throw new Error("no aggregate chosen yet: start with a Given naming one");
    return this.driver;
  }

  /** Appends prior events to the history. */
  record(driver: DomainDriver, ...events: Message[]): void {
    this.use(driver);
    this.pages.push(...events);
    this.everything.push(...events);
  }

  history(): History {
    return this.snapshot ? { snapshot: this.snapshot, pages: [...this.pages] } : { pages: [...this.pages] };
  }

  /** Full history as events, ignoring any snapshot. */
  allEvents(): Message[] {
    return [...this.everything];
  }

  /** The number the next recorded event gets. */
  nextSequence(): number {
    return (this.snapshot ? this.snapshot.sequence + 1 : 0) + this.pages.length;
  }

  /** Replaces the first `count` events with a snapshot of the state they produce. */
  condense(count: number): void {
    if (count < 1 || count > this.everything.length) {
      throw new Error(`cannot condense ${count} of ${this.everything.length} events into a snapshot`);
    }
    const before = this.everything.slice(0, count);
    const state = this.domain.rebuild({ pages: before });
    this.snapshot = { sequence: count - 1, state };
    this.pages = this.everything.slice(count);
  }

  /** State rebuilt from the current history. */
  currentState(): Message {
    return this.domain.rebuild(this.history());
  }

  /** Decides one command against the current history and keeps the outcome. */
  send(driver: DomainDriver, command: Message): Outcome<Message> {
    this.use(driver);
    this.historyBeforeCommand = this.history();
    this.last = driver.decide(this.historyBeforeCommand, command);
    return this.last;
  }

  /** Sends the aggregate a request with no instruction in it. */
  sendEmpty(driver: DomainDriver): Outcome<Message> {
    this.use(driver);
    this.historyBeforeCommand = this.history();
    this.last = driver.decideEmpty(this.historyBeforeCommand);
    return this.last;
  }

  get outcome(): Outcome<Message> {
    if (!this.last) throw new Error("no command has been sent yet");
    return this.last;
  }

  get historyAtCommand(): History {
    if (!this.historyBeforeCommand) throw new Error("no command has been sent yet");
    return this.historyBeforeCommand;
  }
}

// support/ is shared with the acceptance suite, which brings its own world.
const suite = process.env.ANGZARR_FEATURES ?? process.argv[2] ?? "unit";
if (suite === "unit") setWorldConstructor(UnitWorld);
