// Behaviour on angzarr.EventBook: next sequence and construction.
import { create } from "@bufbuild/protobuf";
import { type Cover, type EventBook, EventBookSchema, type EventPage } from "../gen/angzarr/types_pb";
import * as Page from "./event-page";

/**
 * The sequence the next event of this aggregate gets: last page + 1, else snapshot + 1, else 0.
 * Pages the store has not numbered yet (force) each take one position after the last numbered one.
 */
export function nextSequence(book: EventBook | undefined): number {
  if (book === undefined) return 0;
  const pages = book.pages;
  for (let i = pages.length - 1; i >= 0; i--) {
    const num = Page.sequence(pages[i] as EventPage);
    if (num !== undefined) return num + (pages.length - i);
  }
  const base = book.snapshot ? book.snapshot.sequence + 1 : 0;
  return base + pages.length;
}

/** A book for `cover` holding `pages`. */
export function make(cover: Cover | undefined, pages: EventPage[] = []): EventBook {
  return create(EventBookSchema, { ...(cover ? { cover } : {}), pages });
}

/** Sequence of the last page, or undefined when the book has no numbered page. */
export function lastSequence(book: EventBook): number | undefined {
  const last = book.pages.at(-1);
  return last === undefined ? undefined : Page.sequence(last);
}
