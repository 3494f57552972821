// The coordinator's error messages as named constants (wire-contract §3.8), and constructors
// that give each its status code.
import {
  CascadeFailureSchema,
  CommandResponseSchema,
  type EventBook,
  EventBookSchema,
  EventPages,
  type Projection,
} from "@angzarr/proto";
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";

export const Messages = {
  noCover: "CommandBook must have a cover",
  noRoot: "Cover must have a root UUID",
  invalidUuid: (detail: string) => `Invalid UUID: ${detail}`,
  noPages: "CommandBook must have at least one page",
  unknownDomain: (domain: string) => `No handler registered for domain: ${domain}`,
  sequenceMismatch: (expected: number, actual: number) =>
    `Sequence mismatch: command expects ${expected}, aggregate at ${actual}`,
  sequenceConflict: (expected: number, actual: number) =>
    `Sequence conflict: expected ${expected}, got ${actual}`,
  revoked: (reason: string) => `Command revoked: ${reason}`,
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

export const invalid = (message: string) => new ConnectError(message, Code.InvalidArgument);
export const notFound = (message: string) => new ConnectError(message, Code.NotFound);
export const internal = (message: string) => new ConnectError(message, Code.Internal);
export const failedPrecondition = (message: string) => new ConnectError(message, Code.FailedPrecondition);
export const aborted = (message: string) => new ConnectError(message, Code.Aborted);
export const alreadyExists = (message: string) => new ConnectError(message, Code.AlreadyExists);

/** ABORTED with the aggregate's current book attached so the sender can rebase. */
export function sequenceMismatch(expected: number, actual: number, current: EventBook): ConnectError {
  return new ConnectError(Messages.sequenceMismatch(expected, actual), Code.Aborted, undefined, [
    { desc: EventBookSchema, value: current },
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
