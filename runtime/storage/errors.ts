// Typed storage errors. The service layer maps each kind to one gRPC code (runtime.md §11).

export type StorageErrorKind =
  | "conflict"
  | "invalid"
  | "not_found"
  | "already_exists"
  | "internal"
  | "unavailable";

export abstract class StorageError extends Error {
  abstract readonly kind: StorageErrorKind;
}

/** Another writer got there first, or the first page is not at the next sequence (ABORTED). */
export class SequenceConflictError extends StorageError {
  readonly kind = "conflict";
  override readonly name: string = "SequenceConflictError";
  constructor(
    readonly expected: number,
    readonly actual: number,
  ) {
    super(`Sequence conflict: expected ${expected}, got ${actual}`);
  }
}

/** Malformed input: bad root, negative or overflowing numbers, main-timeline deletion (INVALID_ARGUMENT). */
export class InvalidInputError extends StorageError {
  readonly kind = "invalid";
  override readonly name: string = "InvalidInputError";
}

/** Unknown edition, dead-letter entry or other named item (NOT_FOUND). */
export class NotFoundError extends StorageError {
  readonly kind = "not_found";
  override readonly name: string = "NotFoundError";
}

export class UnknownEditionError extends NotFoundError {
  override readonly name: string = "UnknownEditionError";
  constructor(readonly edition: string) {
    super(`Unknown edition: ${edition}`);
  }
}

export class AlreadyExistsError extends StorageError {
  readonly kind = "already_exists";
  override readonly name: string = "AlreadyExistsError";
}

/** An append carried a causation key that is already recorded: the effect happened before. */
export class CausationRecordedError extends AlreadyExistsError {
  override readonly name: string = "CausationRecordedError";
  constructor(readonly component: string) {
    super(`Already recorded: ${component} has handled this source`);
  }
}

/** The backend failed (INTERNAL). */
export class StorageFailure extends StorageError {
  readonly kind: StorageErrorKind = "internal";
  override readonly name: string = "StorageFailure";
}

/** The backend could not be reached (a dropped or refused connection): UNAVAILABLE, worth a retry. */
export class StorageUnavailable extends StorageFailure {
  override readonly kind = "unavailable";
  override readonly name: string = "StorageUnavailable";
}

export const MAX_SEQUENCE = 0xffff_ffff;
