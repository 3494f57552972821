// How books and filters map onto a RabbitMQ topic exchange. A routing key is
// `<domain>.<edition>.<event type, last segment first>`: the domain and the timeline are single
// words (dots escaped), and the event type's segments come reversed so that a filter's type entry
// (a full name, or a suffix at a dot boundary, wire-contract §3.4) becomes a prefix of words,
// which a topic binding can match with a trailing `#`. A book holding several event types is
// published once per distinct type; each subscriber hands it on only from the copy of the first
// type it wants, so a book reaches a subscriber once whatever its filter.
import { Covers, type EventBook, TypeUrl } from "@angzarr/proto";
import type { BusFilter } from "../types";

/** The edition word of the main timeline ("" cannot be a topic word). */
export const MAIN_WORD = "_";

/** The characters a topic word escapes. */
const SPECIAL = /[%.*#]/;

/** One topic word: dots and the escape character escaped, never empty. */
export function encodeWord(text: string): string {
  if (text === "") return MAIN_WORD;
  if (!SPECIAL.test(text)) return text;
  return text.replace(/%/g, "%25").replace(/\./g, "%2E").replace(/\*/g, "%2A").replace(/#/g, "%23");
}

/** The distinct full event type names of a book's pages, in page order. */
export function bookTypes(book: EventBook): string[] {
  const seen: string[] = [];
  for (const page of book.pages) {
    const name = TypeUrl.fullName(page.event?.typeUrl ?? "");
    if (!seen.includes(name)) seen.push(name);
  }
  return seen;
}

/** Topic words of event type names, made once per name (every publish needs its book's). */
const typeWordsOf = new Map<string, string>();
/** Names kept at most (a deployment has tens; the map starts over past this). */
const TYPE_WORDS_KEPT = 4_096;

function typeWords(name: string): string {
  if (name === "") return MAIN_WORD;
  let words = typeWordsOf.get(name);
  if (words === undefined) {
    words = name
      .split(".")
      .reverse()
      .map((w) => encodeWord(w))
      .join(".");
    if (typeWordsOf.size >= TYPE_WORDS_KEPT) typeWordsOf.clear();
    typeWordsOf.set(name, words);
  }
  return words;
}

/** The routing key of one copy of the book (the copy for event type `type`). */
export function routingKey(book: EventBook, type: string): string {
  return `${encodeWord(book.cover?.domain ?? "")}.${encodeWord(Covers.edition(book.cover))}.${typeWords(type)}`;
}

/** One routing key per distinct event type of the book (one key for a book without pages). */
export function routingKeys(book: EventBook): { type: string; key: string }[] {
  const types = bookTypes(book);
  return (types.length === 0 ? [""] : types).map((type) => ({ type, key: routingKey(book, type) }));
}

/** The bindings that let exactly the filter's books into a queue (every timeline of the domain). */
export function bindingKeys(filter: BusFilter): string[] {
  const domain = filter.domain === undefined ? "*" : encodeWord(filter.domain);
  const types = filter.eventTypes ?? [];
  if (types.length === 0) return [filter.domain === undefined ? "#" : `${domain}.#`];
  return [...new Set(types.map((t) => `${domain}.*.${typeWords(t)}.#`))];
}

/**
 * The type of the copy a subscriber hands on: the first of the book's types the filter wants
 * ("" for a book without pages, or when the filter wants every type).
 */
export function deliveringType(filter: BusFilter, book: EventBook): string | undefined {
  const types = bookTypes(book);
  const wanted = filter.eventTypes ?? [];
  if (wanted.length === 0 || types.length === 0) return types[0] ?? "";
  return types.find((name) => wanted.some((entry) => TypeUrl.matchesEventType(entry, name)));
}
