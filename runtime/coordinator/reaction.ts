// What a saga or process-manager reaction caused, and how it is kept: with the trigger's causation
// record (what the reaction stored itself) and with each outbox entry (what its delivery caused).
import { type EventBook, EventBookSchema } from "@angzarr/proto";
import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";

/** What reacting to one book caused. */
export interface Reaction {
  /** Delta books persisted as a consequence (command events, facts, PM events, compensation). */
  books: EventBook[];
  /** Failures to report to a waiting (cascade) caller. */
  failures: string[];
}

export const emptyReaction = (): Reaction => ({ books: [], failures: [] });

/** Adds one reaction's books and failures to another. */
export function mergeReaction(into: Reaction, from: Reaction): void {
  // One by one: a reaction may hold more books than a call takes arguments.
  for (const book of from.books) into.books.push(book);
  for (const failure of from.failures) into.failures.push(failure);
}

/**
 * A reaction as stored, so whoever finds the work already done (the async consumer and a CASCADE
 * caller race for it) still learns what it caused.
 */
export function encodeReaction(reaction: Reaction): Uint8Array {
  const json = JSON.stringify({
    failures: reaction.failures,
    books: reaction.books.map((b) => Buffer.from(toBinary(EventBookSchema, b)).toString("base64")),
  });
  return new TextEncoder().encode(json);
}

export function decodeReaction(bytes: Uint8Array | undefined): Reaction {
  if (!bytes || bytes.length === 0) return emptyReaction();
  const parsed = JSON.parse(new TextDecoder().decode(bytes)) as { failures?: string[]; books?: string[] };
  return {
    failures: parsed.failures ?? [],
    books: (parsed.books ?? []).map((b) =>
      fromBinary(EventBookSchema, new Uint8Array(Buffer.from(b, "base64"))),
    ),
  };
}

/** Errors that mean "try again later", not "the command was refused". */
export function isTransient(err: unknown): boolean {
  if (!(err instanceof ConnectError)) return true;
  return [Code.Unavailable, Code.Internal, Code.DeadlineExceeded, Code.Unknown, Code.Canceled].includes(
    err.code,
  );
}

/** The error's message without the status prefix. */
export function reasonOf(err: unknown): string {
  return err instanceof ConnectError ? err.rawMessage : err instanceof Error ? err.message : String(err);
}
