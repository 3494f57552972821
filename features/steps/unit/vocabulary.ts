// The words the unit features use, and how they map onto the aggregates: verdicts onto status
// codes, aggregate words onto drivers, named stages onto prior histories, business phrases onto
// event and state fields, and the compact "2 x SKU-1 at 1000" notation onto order lines.

import { Identity, Uuid } from "@angzarr/proto";
import { type LineItem, LineItemSchema } from "@angzarr/proto/examples.ts";
import { Code } from "@angzarr/sdk";
import { create, type Message } from "@bufbuild/protobuf";
import { defineParameterType } from "@cucumber/cucumber";
import type { DomainDriver, UnitWorld } from "../../support/unit-world.ts";
import { DOMAIN_WORDS, domainNamed } from "./domains.ts";

// ---- verdicts ------------------------------------------------------------------------------

/** How a refusal reads in the features, and the status code it stands for (§1.4). */
export const VERDICTS: Readonly<Record<string, Code>> = {
  "rejected as invalid": Code.InvalidArgument,
  "refused by the current state": Code.FailedPrecondition,
  "rejected as not found": Code.NotFound,
};

defineParameterType({
  name: "verdict",
  regexp: new RegExp(Object.keys(VERDICTS).join("|")),
  transformer: (text: string): Code => {
    const code = VERDICTS[text];
    if (code === undefined) throw new Error(`unknown verdict "${text}"`);
    return code;
  },
});

defineParameterType({
  name: "aggregate",
  regexp: new RegExp(DOMAIN_WORDS.join("|")),
  transformer: (word: string): DomainDriver => domainNamed(word),
});

/** A named stage of an aggregate's life, e.g. "checked out" or "not opened". */
defineParameterType({ name: "stage", regexp: /[a-z][A-Za-z0-9 ,'-]*[A-Za-z0-9]/ });

// ---- stages --------------------------------------------------------------------------------

/** Builds a prior history for a named stage of an aggregate's life. */
export type StageBuilder = (world: UnitWorld) => void;

const stages = new Map<string, Map<string, StageBuilder>>();

export function defineStages(driver: DomainDriver, named: Record<string, StageBuilder>): void {
  const table = stages.get(driver.word) ?? new Map<string, StageBuilder>();
  for (const [name, build] of Object.entries(named)) table.set(name, build);
  stages.set(driver.word, table);
}

export function buildStage(world: UnitWorld, driver: DomainDriver, name: string): void {
  world.use(driver);
  const build = stages.get(driver.word)?.get(name);
  if (!build) {
    const known = [...(stages.get(driver.word)?.keys() ?? [])].join(", ");
    throw new Error(`no stage "${name}" for the ${driver.word}; known: ${known}`);
  }
  build(world);
}

// ---- names ---------------------------------------------------------------------------------

const words = (phrase: string): string[] =>
  phrase
    .toLowerCase()
    .replace(/[^a-z0-9 ]/g, "")
    .split(/\s+/)
    .filter((w) => w !== "");

/** "item added" → "ItemAdded" */
export const pascal = (phrase: string): string =>
  words(phrase)
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join("");

/** "new on hand" → "newOnHand"; "e-mail" → "email" */
export const camel = (phrase: string): string => {
  const p = pascal(phrase);
  return p.charAt(0).toLowerCase() + p.slice(1);
};

/** The full message name an event phrase stands for, e.g. "low stock alert" → examples.LowStockAlert. */
export const eventTypeName = (phrase: string): string => `examples.${pascal(phrase)}`;

// ---- order lines ---------------------------------------------------------------------------

const LINE = /^(-?\d+) x (.+) at (-?\d+)$/;

/**
 * "2 x SKU-1 at 1000, 1 x SKU-2 at 2500" → lines. "nothing" is no lines; "(no product)" is a line
 * whose product is not named.
 */
export function parseLines(text: string): LineItem[] {
  if (text.trim() === "nothing") return [];
  return text.split(",").map((part) => {
    const m = LINE.exec(part.trim());
    if (!m) throw new Error(`cannot read the line "${part.trim()}"; write it as "2 x SKU-1 at 1000"`);
    const productId = m[2] === "(no product)" ? "" : (m[2] ?? "");
    return create(LineItemSchema, {
      productId,
      name: productId === "" ? "" : `Product ${productId}`,
      quantity: Number(m[1]),
      unitPriceCents: Number(m[3]),
    });
  });
}

interface Line {
  productId: string;
  quantity: number;
  unitPriceCents: number;
}

export const formatLines = (lines: readonly Line[]): string =>
  lines.length === 0
    ? "nothing"
    : lines.map((l) => `${l.quantity} x ${l.productId} at ${l.unitPriceCents}`).join(", ");

export const subtotalOf = (lines: readonly Line[]): number =>
  lines.reduce((sum, l) => sum + l.quantity * l.unitPriceCents, 0);

// ---- fields --------------------------------------------------------------------------------

type Fields = Record<string, unknown>;

const isLine = (value: unknown): value is Line =>
  typeof value === "object" && value !== null && "productId" in value && "quantity" in value;

const linesIn = (fields: Fields): Line[] => {
  const items = fields.items;
  return Array.isArray(items) ? items.filter(isLine) : [];
};

const numberIn = (fields: Fields, key: string): number => {
  const value = fields[key];
  if (typeof value !== "number") throw new Error(`no number "${key}" here`);
  return value;
};

/** Phrases that are not one field but are computed from several. */
const DERIVED: ReadonlyArray<[RegExp, (m: RegExpExecArray, fields: Fields) => unknown]> = [
  [/^item count$/, (_m, f) => linesIn(f).length],
  [/^quantity of (.+)$/, (m, f) => linesIn(f).find((l) => l.productId === m[1])?.quantity ?? 0],
  [/^available$/, (_m, f) => numberIn(f, "onHand") - numberIn(f, "reserved")],
  [/^reservation for (.+)$/, (m, f) => (f.reservations as Record<string, number>)[m[1] ?? ""] ?? 0],
  [/^reservation count$/, (_m, f) => Object.keys(f.reservations as Record<string, number>).length],
  [/^balance$/, (_m, f) => f.loyaltyPoints],
];

/** Reads a business phrase from an event or state: a derived value, the field, or the field in cents. */
export function readField(message: Message, phrase: string): unknown {
  const fields = message as unknown as Fields;
  for (const [pattern, derive] of DERIVED) {
    const m = pattern.exec(phrase);
    if (m && !(camel(phrase) in fields)) return derive(m, fields);
  }
  for (const key of [camel(phrase), `${camel(phrase)}Cents`]) {
    if (key in fields) return fields[key];
  }
  const known = Object.keys(fields).filter((k) => !k.startsWith("$"));
  throw new Error(`${message.$typeName} has nothing called "${phrase}"; it has ${known.join(", ")}`);
}

/** A root written as "customer alice@example.com", "cart CUST-001", "order ORD-001" or "none". */
export function rootNamed(text: string): Uint8Array {
  if (text === "none") return new Uint8Array();
  const m = /^(customer|cart|order) (.+)$/.exec(text);
  if (!m || m[2] === undefined) throw new Error(`cannot read the root "${text}"`);
  if (m[1] === "customer") return Identity.customerRoot(m[2]);
  if (m[1] === "cart") return Identity.cartRoot(m[2]);
  return Identity.orderRoot(m[2]);
}

/** The value as the features write it, so that a mismatch prints in their words. */
export function describeValue(value: unknown): string {
  if (value instanceof Uint8Array) return value.length === 0 ? "none" : Uuid.toText(value);
  if (Array.isArray(value)) {
    if (value.every(isLine)) return formatLines(value);
    return value.length === 0 ? "none" : value.map(String).join(", ");
  }
  if (typeof value === "string") return value === "" ? "none" : value;
  if (typeof value === "boolean") return value ? "yes" : "no";
  return String(value);
}

/** The expected text normalised the way `describeValue` writes the actual value. */
function normaliseExpected(actual: unknown, expected: string): string {
  if (actual instanceof Uint8Array) return describeValue(rootNamed(expected));
  if (typeof actual === "string" && expected === "") return "none";
  return expected;
}

/** Throws unless every row's phrase reads as its value. */
export function assertFields(message: Message, rows: ReadonlyArray<readonly [string, string]>): void {
  const wrong: string[] = [];
  for (const [phrase, expected] of rows) {
    const actual = readField(message, phrase);
    const got = describeValue(actual);
    const want = normaliseExpected(actual, expected);
    if (got !== want) wrong.push(`${phrase}: expected "${want}", got "${got}"`);
  }
  if (wrong.length > 0) throw new Error(`${message.$typeName}:\n  ${wrong.join("\n  ")}`);
}
