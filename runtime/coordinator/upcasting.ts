// Upcasting (runtime.md §9): a domain may have an upcaster that turns stored old-version pages
// into current ones. It is applied on every read that feeds a handler or a client, never to
// storage. A failure is INTERNAL `Upcaster failed: ...`.
import { type EventBook, EventBookSchema, type EventPage } from "@angzarr/proto";
import { create } from "@bufbuild/protobuf";
import { ConnectError } from "@connectrpc/connect";
import * as E from "./errors";

/** Upgrades one domain's pages (same count, same order). */
export type PageUpcaster = (domain: string, pages: EventPage[]) => Promise<EventPage[]>;

/** The upcasters of every domain, however they are reached (in process, a handler program). */
export interface Upcasters {
  /** True when the domain has one (the aggregate pipeline's byte fast path is off for it). */
  has(domain: string): boolean;
  /** The pages upgraded; the same pages for a domain without an upcaster. */
  upcast: PageUpcaster;
}

/** A registry of per-domain upcaster functions. */
export class UpcasterRegistry implements Upcasters {
  private readonly byDomain = new Map<string, PageUpcaster>();

  constructor(entries: Iterable<[string, PageUpcaster]> = []) {
    for (const [domain, fn] of entries) this.byDomain.set(domain, fn);
  }

  set(domain: string, fn: PageUpcaster): void {
    this.byDomain.set(domain, fn);
  }

  has(domain: string): boolean {
    return this.byDomain.has(domain);
  }

  domains(): string[] {
    return [...this.byDomain.keys()].sort();
  }

  upcast = async (domain: string, pages: EventPage[]): Promise<EventPage[]> => {
    const fn = this.byDomain.get(domain);
    if (!fn || pages.length === 0) return pages;
    const out = await fn(domain, pages);
    if (out.length !== pages.length) {
      throw new Error(`the ${domain} upcaster returned ${out.length} pages for ${pages.length}`);
    }
    return out;
  };
}

const upcasterFailure = /^Upcaster failed: /;

/** Applies `upcast` (when given) and turns any failure into INTERNAL `Upcaster failed: ...`. */
export async function applyUpcaster(
  upcast: PageUpcaster | undefined,
  domain: string,
  pages: EventPage[],
): Promise<EventPage[]> {
  if (!upcast || pages.length === 0) return pages;
  try {
    return await upcast(domain, pages);
  } catch (err) {
    const message =
      err instanceof ConnectError ? err.rawMessage : err instanceof Error ? err.message : String(err);
    if (upcasterFailure.test(message)) throw err;
    throw E.internal(E.Messages.upcasterFailed(message));
  }
}

/** The book with its pages upcast (its cover's domain names the upcaster). */
export async function upcastBook(upcast: PageUpcaster | undefined, book: EventBook): Promise<EventBook> {
  if (!upcast || book.pages.length === 0) return book;
  const pages = await applyUpcaster(upcast, book.cover?.domain ?? "", book.pages);
  return pages === book.pages ? book : create(EventBookSchema, { ...book, pages });
}
