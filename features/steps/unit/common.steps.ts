// Steps every aggregate shares: named stages, snapshots, requests the aggregate cannot read,
// revocations, and the checks on what a command recorded, refused or left behind.

import { RevokeEventCommandSchema } from "@angzarr/proto";
import { Code } from "@angzarr/sdk";
import { create, type Message } from "@bufbuild/protobuf";
import { AnySchema } from "@bufbuild/protobuf/wkt";
import { type DataTable, Given, Then, When } from "@cucumber/cucumber";
import type { DomainDriver, UnitWorld } from "../../support/unit-world.ts";
import { assertFields, buildStage, eventTypeName, pascal } from "./vocabulary.ts";

/** Bytes no protobuf reader accepts as any message (wire type 7 in the first tag). */
const GARBLED = new Uint8Array([0xff, 0xfe, 0xfd, 0x00, 0xde, 0xad]);

// ---- helpers -------------------------------------------------------------------------------

function succeeded(world: UnitWorld): Message[] {
  const { error, events } = world.outcome;
  if (error) throw new Error(`expected success, got ${Code[error.code]}: ${error.rawMessage}`);
  return events;
}

function theOnly(world: UnitWorld, phrase: string): Message {
  const type = eventTypeName(phrase);
  const events = succeeded(world);
  const found = events.filter((e) => e.$typeName === type);
  if (found.length !== 1) {
    const got = events.map((e) => e.$typeName).join(", ") || "nothing";
    throw new Error(`expected one "${phrase}" (${type}), got ${got}`);
  }
  return found[0] as Message;
}

const pairs = (table: DataTable): Array<[string, string]> =>
  table.raw().map((row) => [row[0] ?? "", row[1] ?? ""]);

function assertShows(world: UnitWorld, driver: DomainDriver, state: Message, table: DataTable): void {
  world.use(driver);
  assertFields(state, pairs(table));
}

// ---- given ---------------------------------------------------------------------------------

Given("a(n) {aggregate} that is {stage}", function (this: UnitWorld, driver: DomainDriver, stage: string) {
  buildStage(this, driver, stage);
});

Given("its history so far is condensed into a snapshot", function (this: UnitWorld) {
  this.condense(this.allEvents().length);
});

Given("its first {int} event(s) is/are condensed into a snapshot", function (this: UnitWorld, count: number) {
  this.condense(count);
});

// ---- when ----------------------------------------------------------------------------------

When(
  "the {aggregate} receives a request it does not recognise",
  function (this: UnitWorld, driver: DomainDriver) {
    const unknown = create(AnySchema, {
      typeUrl: "type.googleapis.com/examples.TeleportEverything",
      value: new Uint8Array(),
    });
    this.send(driver, unknown);
  },
);

When(
  "the {aggregate} receives a request with nothing in it",
  function (this: UnitWorld, driver: DomainDriver) {
    this.sendEmpty(driver);
  },
);

When(
  "the {aggregate} receives a garbled {string} request",
  function (this: UnitWorld, driver: DomainDriver, request: string) {
    const garbled = create(AnySchema, {
      typeUrl: `type.googleapis.com/examples.${pascal(request)}`,
      value: GARBLED,
    });
    this.send(driver, garbled);
  },
);

When(
  "{string} reports to the {aggregate} that its follow-up was refused with {string}",
  function (this: UnitWorld, workflow: string, driver: DomainDriver, reason: string) {
    const revoke = create(RevokeEventCommandSchema, {
      sagaName: workflow,
      rejectionReason: reason,
      triggeringEventSequence: Math.max(0, this.nextSequence() - 1),
    });
    this.send(driver, revoke);
  },
);

// ---- then: refusals ------------------------------------------------------------------------

Then("it is {verdict} because {string}", function (this: UnitWorld, code: Code, fragment: string) {
  const { error, events } = this.outcome;
  if (!error) {
    const got = events.map((e) => e.$typeName).join(", ");
    throw new Error(`expected ${Code[code]} "${fragment}", but it was accepted and recorded ${got}`);
  }
  if (error.code !== code) {
    throw new Error(`expected ${Code[code]}, got ${Code[error.code]}: "${error.rawMessage}"`);
  }
  if (!error.rawMessage.toLowerCase().includes(fragment.toLowerCase())) {
    throw new Error(`expected a message containing "${fragment}", got "${error.rawMessage}"`);
  }
  if (events.length > 0) throw new Error("a refused command must record nothing");
});

Then("its reason starts with {string}", function (this: UnitWorld, prefix: string) {
  const message = this.outcome.error?.rawMessage ?? "";
  if (!message.toLowerCase().startsWith(prefix.toLowerCase())) {
    throw new Error(`expected the reason to start with "${prefix}", got "${message}"`);
  }
});

// ---- then: what was recorded ---------------------------------------------------------------

Then("the {aggregate} records {string}", function (this: UnitWorld, driver: DomainDriver, phrase: string) {
  this.use(driver);
  theOnly(this, phrase);
});

Then(
  "the {aggregate} records {string} with:",
  function (this: UnitWorld, driver: DomainDriver, phrase: string, table: DataTable) {
    this.use(driver);
    assertFields(theOnly(this, phrase), pairs(table));
  },
);

Then(
  "the {aggregate} records {string} as number {int}",
  function (this: UnitWorld, driver: DomainDriver, phrase: string, number: number) {
    this.use(driver);
    const event = theOnly(this, phrase);
    const at = this.outcome.sequences[this.outcome.events.indexOf(event)];
    if (at !== number) throw new Error(`"${phrase}" was numbered ${at}, expected ${number}`);
  },
);

Then(
  "the {aggregate} records, in this order:",
  function (this: UnitWorld, driver: DomainDriver, table: DataTable) {
    this.use(driver);
    const events = succeeded(this);
    const expected = table.hashes().map((row) => `${row.number} ${eventTypeName(row.what ?? "")}`);
    const actual = events.map((e, i) => `${this.outcome.sequences[i]} ${e.$typeName}`);
    if (actual.join("; ") !== expected.join("; ")) {
      throw new Error(`expected ${expected.join("; ")}\n     got ${actual.join("; ")}`);
    }
  },
);

Then("it does not record {string}", function (this: UnitWorld, phrase: string) {
  const type = eventTypeName(phrase);
  if (succeeded(this).some((e) => e.$typeName === type)) throw new Error(`"${phrase}" was recorded`);
});

Then("nothing is recorded", function (this: UnitWorld) {
  const { events } = this.outcome;
  if (events.length > 0) throw new Error(`recorded ${events.map((e) => e.$typeName).join(", ")}`);
});

// ---- then: state ---------------------------------------------------------------------------

Then("the {aggregate} now shows:", function (this: UnitWorld, driver: DomainDriver, table: DataTable) {
  const outcome = this.outcome;
  if (!outcome.error && outcome.revocation === undefined) {
    driver.assertReportedStateConsistent(this.historyAtCommand, outcome);
  }
  assertShows(this, driver, outcome.state, table);
});

Then(
  "replaying the {aggregate}'s history shows:",
  function (this: UnitWorld, driver: DomainDriver, table: DataTable) {
    assertShows(this, driver, driver.rebuild({ pages: this.allEvents() }), table);
  },
);

Then("the {aggregate} is unchanged", function (this: UnitWorld, driver: DomainDriver) {
  this.use(driver);
  const before = driver.rebuild(this.historyAtCommand);
  driver.assertSameState("state after the request vs before it", this.outcome.state, before);
});

Then("the state it reports matches a full replay of its history", function (this: UnitWorld) {
  const driver = this.domain;
  const events = succeeded(this);
  driver.assertReportedStateConsistent(this.historyAtCommand, this.outcome);
  const replay = driver.rebuild({ pages: [...this.allEvents(), ...events] });
  driver.assertSameState("reported state vs replay of every event", this.outcome.state, replay);
});

Then("rebuilding from the snapshot gives the same state as a full replay", function (this: UnitWorld) {
  const driver = this.domain;
  const fromSnapshot = this.currentState();
  const replay = driver.rebuild({ pages: this.allEvents() });
  driver.assertSameState("snapshot + later events vs full replay", fromSnapshot, replay);
});

// ---- then: revocation ----------------------------------------------------------------------

Then("a system revocation is requested with reason {string}", function (this: UnitWorld, reason: string) {
  const { revocation, error } = this.outcome;
  if (error) throw new Error(`expected a revocation answer, got ${Code[error.code]}: ${error.rawMessage}`);
  if (!revocation) throw new Error("expected a revocation answer, got events");
  if (!revocation.emitSystemRevocation) throw new Error("the answer does not ask for a system revocation");
  if (revocation.reason !== reason) throw new Error(`reason "${revocation.reason}", expected "${reason}"`);
});
