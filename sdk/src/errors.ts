// Typed rejections for handler code. Each maps to one status code (example-domains.md §1.4):
// INVALID_ARGUMENT = malformed or never valid; FAILED_PRECONDITION = state forbids it now;
// NOT_FOUND = a named item inside the aggregate does not exist.
import { Code, ConnectError } from "@connectrpc/connect";

export function invalidArgument(message: string): ConnectError {
  return new ConnectError(message, Code.InvalidArgument);
}

export function failedPrecondition(message: string): ConnectError {
  return new ConnectError(message, Code.FailedPrecondition);
}

export function notFound(message: string): ConnectError {
  return new ConnectError(message, Code.NotFound);
}

/** Guard: state preconditions. Throws FAILED_PRECONDITION unless `ok`. */
export function guard(ok: boolean, message: string): asserts ok {
  if (!ok) throw failedPrecondition(message);
}

/** Validate: command input. Throws INVALID_ARGUMENT unless `ok`. */
export function validate(ok: boolean, message: string): asserts ok {
  if (!ok) throw invalidArgument(message);
}

/** Validate existence of an item inside the aggregate. Throws NOT_FOUND unless `ok`. */
export function require(ok: boolean, message: string): asserts ok {
  if (!ok) throw notFound(message);
}

export { Code, ConnectError };
