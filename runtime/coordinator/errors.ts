// The coordinator's error messages as named constants (wire-contract §3.8), and constructors
// that give each its status code.
import {
  CascadeFailureSchema,
  CommandResponseSchema,
  CoverSchema,
  type EventBook,
  EventBookSchema,
  EventPages,
  type Projection,
  SnapshotSchema,
} from "@angzarr/proto";
import { create, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { nameProblem, shown } from "../naming/names";

export const Messages = {
  noCover: "CommandBook must have a cover",
  noRoot: "Cover must have a root UUID",
  invalidUuid: (detail: string) => `Invalid UUID: ${detail}`,
  noPages: "CommandBook must have at least one page",
  unknownDomain: (domain: string) => `No handler registered for domain: ${shown(domain)}`,
  sequenceMismatch: (expected: number, actual: number) =>
    `Sequence mismatch: command expects ${expected}, aggregate at ${actual}`,
  sequenceConflict: (expected: number, actual: number) =>
    `Sequence conflict: expected ${expected}, got ${actual}`,
  revoked: (reason: string) => `Command revoked: ${reason}`,
  clientRevoke:
    "RevokeEventCommand is sent only by the runtime's saga compensation, never by a client command",
  syncNoCommand: "SyncCommandBook must have a command",
  dryRunNoCommand: "DryRunRequest must have a command",
  dryRunNoPoint: "DryRun requires either as_of_sequence or as_of_timestamp",
  persistFailed: (e: string) => `Failed to persist events: ${e}`,
  loadFailed: (e: string) => `Failed to load events: ${e}`,
  upcasterFailed: (e: string) => `Upcaster failed: ${e}`,
  projectorSyncFailed: (e: string) => `Projector sync failed: ${e}`,
  cascadeFailed: (persisted: string, failures: string) =>
    `Cascade failed after the command was persisted (${persisted}): ${failures}`,
} as const;

/** A command's domain must follow the name rule: INVALID_ARGUMENT otherwise. */
export function checkDomainName(domain: string): void {
  const problem = nameProblem("domain", domain);
  if (problem) throw new ConnectError(problem, Code.InvalidArgument);
}

export const invalid = (message: string) => new ConnectError(message, Code.InvalidArgument);
export const notFound = (message: string) => new ConnectError(message, Code.NotFound);
export const internal = (message: string) => new ConnectError(message, Code.Internal);
export const failedPrecondition = (message: string) => new ConnectError(message, Code.FailedPrecondition);
export const aborted = (message: string) => new ConnectError(message, Code.Aborted);
export const unavailable = (message: string) => new ConnectError(message, Code.Unavailable);
export const alreadyExists = (message: string) => new ConnectError(message, Code.AlreadyExists);

/**
 * Largest sequence-mismatch detail, encoded bytes. Its base64 (about 5.5 KiB) fits in
 * `grpc-status-details-bin` under grpcio's default 8 KiB metadata limit with room to spare.
 */
export const MISMATCH_DETAIL_LIMIT = 4096;

/**
 * The detail of a sequence mismatch: the book the handler would be given (latest snapshot and the
 * pages after it) when it encodes within `limit` bytes; otherwise only the aggregate's address
 * (domain, root, edition) and where it stands, as a snapshot marker without state at `next - 1`,
 * so `EventBooks.nextSequence` of it is `next` and the sender can re-read the rest.
 */
export function boundedBook(book: EventBook, next: number, limit = MISMATCH_DETAIL_LIMIT): EventBook {
  if (toBinary(EventBookSchema, book).byteLength <= limit) return book;
  const cover = book.cover;
  return create(EventBookSchema, {
    ...(cover
      ? {
          cover: create(CoverSchema, {
            domain: cover.domain,
            edition: cover.edition,
            ...(cover.root ? { root: cover.root } : {}),
          }),
        }
      : {}),
    ...(next > 0 ? { snapshot: create(SnapshotSchema, { sequence: next - 1 }) } : {}),
  });
}

/** ABORTED with the aggregate's current book (bounded, see boundedBook) so the sender can rebase. */
export function sequenceMismatch(expected: number, actual: number, current: EventBook): ConnectError {
  return new ConnectError(Messages.sequenceMismatch(expected, actual), Code.Aborted, undefined, [
    { desc: EventBookSchema, value: boundedBook(current, actual) },
  ]);
}

/**
 * A CASCADE whose command persisted but whose chain failed: FAILED_PRECONDITION naming the
 * persisted events and each failed component, with an `angzarr.ext.CascadeFailure` detail holding
 * the persisted events, the projections gathered and the failures (so the sender never resends).
 */
/** "{component}: {reason}" or "{component} aborted: {reason}" → its parts. */
export function splitFailure(text: string): { component: string; reason: string } {
  const at = text.indexOf(":");
  if (at < 0) return { component: "", reason: text };
  const head = text.slice(0, at);
  const aborted = head.endsWith(" aborted");
  return {
    component: aborted ? head.slice(0, -" aborted".length) : head,
    reason: aborted ? `aborted:${text.slice(at + 1)}` : text.slice(at + 1).trim(),
  };
}

export function cascadeFailed(
  persisted: EventBook,
  projections: Projection[],
  failures: string[],
): ConnectError {
  const numbers = persisted.pages.map((p) => EventPages.sequence(p) ?? -1);
  const range =
    numbers.length === 0 ? "no events" : `${persisted.cover?.domain} events ${numbers[0]}..${numbers.at(-1)}`;
  const text = failures.join("; ");
  const detail = create(CascadeFailureSchema, {
    persisted: create(CommandResponseSchema, { events: persisted, projections }),
    failures: failures.map(splitFailure),
  });
  return new ConnectError(Messages.cascadeFailed(range, text), Code.FailedPrecondition, undefined, [
    { desc: CascadeFailureSchema, value: detail },
  ]);
}

export function isRetryable(err: unknown): boolean {
  return err instanceof ConnectError && err.code === Code.Aborted;
}
