// Subscription filters: parsing ANGZARR_SUBSCRIPTIONS and matching books against a filter.
import { type EventBook, TypeUrl } from "@angzarr/proto";
import type { BusFilter } from "./types";

/** True when the book is from the filter's domain and holds at least one wanted event type. */
export function matches(filter: BusFilter, book: EventBook): boolean {
  if (filter.domain !== undefined && book.cover?.domain !== filter.domain) return false;
  const types = filter.eventTypes ?? [];
  if (types.length === 0) return true;
  return book.pages.some((page) => {
    const name = TypeUrl.fullName(page.event?.typeUrl ?? "");
    return types.some((entry) => TypeUrl.matchesEventType(entry, name));
  });
}

/** Parses `domain:TypeA,TypeB;domain2` (types empty = all) into filters. */
export function parseSubscriptions(text: string): BusFilter[] {
  return text
    .split(";")
    .map((part) => part.trim())
    .filter((part) => part.length > 0)
    .map((part) => {
      const [domain = "", types = ""] = part.split(":", 2);
      const eventTypes = types
        .split(",")
        .map((t) => t.trim())
        .filter((t) => t.length > 0);
      return { domain: domain.trim(), eventTypes };
    });
}
