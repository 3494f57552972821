// Type URLs inside Any: `<prefix>/<full.message.Name>`. Routing uses only the full name.

/** The prefix the framework and our handlers write. */
export const DEFAULT_PREFIX = "type.googleapis.com/";

/** The full message name: the text after the last `/`, or the whole string without one. */
export function fullName(typeUrl: string): string {
  const slash = typeUrl.lastIndexOf("/");
  return slash < 0 ? typeUrl : typeUrl.slice(slash + 1);
}

/** A type URL with the default prefix. */
export function forName(name: string): string {
  return DEFAULT_PREFIX + name;
}

/**
 * Subscription matching (wire-contract §3.4): an entry matches a full name when it equals it
 * or when the full name ends with `.` followed by the entry (short names such as `OrderCreated`).
 */
export function matchesEventType(entry: string, name: string): boolean {
  if (entry === name) return true;
  return name.length > entry.length && name.endsWith(entry) && name[name.length - entry.length - 1] === ".";
}
