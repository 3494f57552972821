// The coordinator's error messages as named constants (wire-contract §3.8), and constructors
// that give each its status code.
import { type EventBook, EventBookSchema } from "@angzarr/proto";
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
} as const;

export const invalid = (message: string) => new ConnectError(message, Code.InvalidArgument);
export const notFound = (message: string) => new ConnectError(message, Code.NotFound);
export const internal = (message: string) => new ConnectError(message, Code.Internal);
export const failedPrecondition = (message: string) => new ConnectError(message, Code.FailedPrecondition);
export const aborted = (message: string) => new ConnectError(message, Code.Aborted);

/** ABORTED with the aggregate's current book attached so the sender can rebase. */
export function sequenceMismatch(expected: number, actual: number, current: EventBook): ConnectError {
  return new ConnectError(Messages.sequenceMismatch(expected, actual), Code.Aborted, undefined, [
    { desc: EventBookSchema, value: current },
  ]);
}

export function isRetryable(err: unknown): boolean {
  return err instanceof ConnectError && err.code === Code.Aborted;
}
