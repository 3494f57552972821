// The one rule for names a client chooses — domains, components (sagas, process managers,
// projectors) and editions: 1 to 128 characters, letters, digits, '.', '_' or '-', starting with
// a letter or digit. And the one way client values are echoed in messages: cut to 128 characters,
// so an error never grows with what the client sent.

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
export const MAX_NAME_LENGTH = 128;
/** Longest status message sent to a client (the listener cuts anything longer). */
export const MAX_MESSAGE_LENGTH = 1024;

export type NameKind = "domain" | "component" | "edition";

/** A client value for a message, cut to MAX_NAME_LENGTH characters (with "..." when cut). */
export function shown(value: string): string {
  return value.length > MAX_NAME_LENGTH ? `${value.slice(0, MAX_NAME_LENGTH)}...` : value;
}

/** A client value echoed in a message, quoted and cut to a readable length. */
export function echo(value: string): string {
  return JSON.stringify(shown(value));
}

/** Why `value` is not a valid name of `kind`, or undefined when it is. */
export function nameProblem(kind: NameKind, value: string): string | undefined {
  if (value.length > 0 && value.length <= MAX_NAME_LENGTH && NAME.test(value)) return undefined;
  return `Invalid ${kind} name ${echo(value)}: use 1 to ${MAX_NAME_LENGTH} letters, digits, '.', '_' or '-', starting with a letter or digit`;
}

/** A status message cut to MAX_MESSAGE_LENGTH characters. */
export function boundedMessage(message: string): string {
  return message.length > MAX_MESSAGE_LENGTH ? `${message.slice(0, MAX_MESSAGE_LENGTH)}...` : message;
}
