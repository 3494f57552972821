// The one rule for names a client chooses (editions here; domains and components follow the same
// rule): 1 to 128 characters, letters, digits, '.', '_' or '-', starting with a letter or digit.
// Kept in one function so the whole runtime can share a single rule.

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
export const MAX_NAME_LENGTH = 128;

/** A client value echoed in a message, cut to a readable length. */
export function echo(value: string): string {
  const shown = value.length > MAX_NAME_LENGTH ? `${value.slice(0, MAX_NAME_LENGTH)}...` : value;
  return JSON.stringify(shown);
}

/** Why `value` is not a valid name of `kind`, or undefined when it is. */
export function nameProblem(kind: string, value: string): string | undefined {
  if (value.length > 0 && value.length <= MAX_NAME_LENGTH && NAME.test(value)) return undefined;
  return `Invalid ${kind} name ${echo(value)}: use 1 to ${MAX_NAME_LENGTH} letters, digits, '.', '_' or '-', starting with a letter or digit`;
}
