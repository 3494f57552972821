// A large reaction's commands, written to the outbox in bounded steps (issue 15, defect 2). A saga
// or PM may decide tens of thousands of commands at once; inserting them all in the write that
// records the reaction would hold the event loop (SQLite is synchronous) for seconds. Instead,
// that write stores the whole decision as one entry of kind DECISION (its commands framed in one
// payload: one row, one copy), atomically with the causation record and the facts, so the
// decision is all-or-nothing as before. The dispatcher then expands the entry into one entry per
// command, `chunk` at a time, each chunk one write, the event loop handed over between chunks;
// the last chunk settles the decision entry in the same write. Every expanded entry is named by
// its place in the stored decision (`decision#command-{i}`), so a crash between chunks loses
// nothing and doubles nothing: the decision entry stays pending, its expansion starts again after
// the restart, and the chunks already written are refused as duplicates by their names.
import { type CommandBook, CommandBookSchema } from "@angzarr/proto";
import { toBinary } from "@bufbuild/protobuf";
import { BinaryReader } from "@bufbuild/protobuf/wire";
import type { CausationKey, OutboxInput } from "../storage/types";
import { reactiveTurn } from "./fair-share";

/** Outbox kind of a stored decision (expanded by the dispatcher, never sent anywhere). */
export const DECISION = "decision";
/** Name of the decision entry under its cause; its commands are `decision#command-{i}`. */
export const DECISION_NAME = "decision";
/** Default size of a chunk: commands per expansion write, and the smallest stored decision. */
export const DEFAULT_DECISION_CHUNK = 256;

/** Name of the `index`th command of a stored decision. */
export function decisionCommandName(index: number): string {
  return `${DECISION_NAME}#command-${index}`;
}

/** Appends `n` as a protobuf varint (the encoder sizes its one buffer exactly: no regrowth). */
function varint(n: number, out: number[]): void {
  let v = n;
  while (v >= 0x80) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
}

/**
 * One payload for a decision: the kind its commands are delivered as, then each command's
 * bytes, each with its length before it. Built in steps (the event loop turns in between).
 */
export async function encodeDecision(kind: string, commands: Uint8Array[]): Promise<Uint8Array> {
  const head: number[] = [];
  const kindBytes = new TextEncoder().encode(kind);
  varint(kindBytes.length, head);
  let size = head.length + kindBytes.length;
  const lengths: number[][] = [];
  for (const c of commands) {
    const l: number[] = [];
    varint(c.length, l);
    lengths.push(l);
    size += l.length + c.length;
  }
  const out = new Uint8Array(size);
  out.set(head, 0);
  out.set(kindBytes, head.length);
  let at = head.length + kindBytes.length;
  for (let i = 0; i < commands.length; i++) {
    if (i % DEFAULT_DECISION_CHUNK === 0) await reactiveTurn();
    const c = commands[i] as Uint8Array;
    out.set(lengths[i] as number[], at);
    at += (lengths[i] as number[]).length;
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/**
 * The kind and the commands of a stored decision (views into the payload, nothing copied). The
 * framing is protobuf's length-delimited one, so protobuf-es's reader takes it apart.
 */
export function decodeDecision(payload: Uint8Array): { kind: string; commands: Uint8Array[] } {
  const reader = new BinaryReader(payload);
  try {
    const kind = reader.string();
    const commands: Uint8Array[] = [];
    while (reader.pos < reader.len) commands.push(reader.bytes());
    return { kind, commands };
  } catch {
    throw new Error("stored decision is truncated");
  }
}

/**
 * The outbox entries of a reaction's commands: one per command (each `command-{i}`) when there
 * are fewer than `chunk`, else one stored decision that the dispatcher expands `chunk` at a time.
 */
export async function decidedEntries(
  base: { cause: CausationKey; lane: string; kind: string; traceparent?: string },
  commands: Uint8Array[],
  chunk: number,
): Promise<OutboxInput[]> {
  if (commands.length < chunk) {
    return commands.map((payload, index) => ({ ...base, name: `command-${index}`, payload }));
  }
  return [
    { ...base, name: DECISION_NAME, kind: DECISION, payload: await encodeDecision(base.kind, commands) },
  ];
}

/** Each command's bytes, encoded in steps (a reaction may decide 100,000 commands). */
export async function encodeCommands(commands: CommandBook[]): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for (let i = 0; i < commands.length; i++) {
    if (i % DEFAULT_DECISION_CHUNK === 0) await reactiveTurn();
    out.push(toBinary(CommandBookSchema, commands[i] as CommandBook));
  }
  return out;
}
