// Shared pieces of the reactive components (sagas, process managers, projectors): decoding the
// pages of a book by type, skipping what a component does not handle, and building commands.
import {
  AnyPayload,
  type CommandBook,
  CommandBookSchema,
  CommandPageSchema,
  type Cover,
  CoverSchema,
  type EventBook,
  type EventPage,
  type Subscription,
  SubscriptionSchema,
  TypeUrl,
} from "@angzarr/proto";
import { create, type DescMessage, fromBinary, type Message, type MessageShape } from "@bufbuild/protobuf";
import { isKeptPage } from "./fast/history-pages";
import { log } from "./log";

/** One decoded page of a book, with its sequence. */
export interface DecodedPage {
  sequence: number;
  page: EventPage;
  event: Message;
}

/** Hears about a page a component skips, with the reason (never an error, example-domains §1.1). */
export type SkipHandler = (page: EventPage, why: string) => void;

/** The default skip log of a component: one structured line on stderr. */
export function logSkippedPage(component: string): SkipHandler {
  return (page, why) =>
    log.info("component.page_skipped", {
      component,
      sequence: page.sequence.case === "num" ? page.sequence.value : null,
      type_url: page.event?.typeUrl ?? "",
      reason: why,
    });
}

/** A set of event schemas a component reacts to, by full name. */
export class EventTypes {
  private readonly byName = new Map<string, DescMessage>();
  /** Decoded pages of kept histories (fast/history-pages.ts): each page is decoded once. */
  private readonly decoded = new WeakMap<EventPage, DecodedPage>();

  constructor(schemas: DescMessage[]) {
    for (const s of schemas) this.byName.set(s.typeName, s);
  }

  names(): string[] {
    return [...this.byName.keys()];
  }

  /**
   * Decodes the pages this component knows, in order. Unknown types and undecodable payloads are
   * skipped (never an error, example-domains §1.1); `onSkip` hears about the undecodable ones and
   * `onUnhandled` about the pages of other types.
   */
  decode(book: EventBook | undefined, onSkip?: SkipHandler, onUnhandled?: SkipHandler): DecodedPage[] {
    const out: DecodedPage[] = [];
    for (const page of book?.pages ?? []) {
      const known = this.decoded.get(page);
      if (known !== undefined) {
        out.push(known);
        continue;
      }
      const name = TypeUrl.fullName(page.event?.typeUrl ?? "");
      const schema = this.byName.get(name);
      if (!schema || !page.event) {
        onUnhandled?.(page, `not handled: ${name === "" ? "page without event" : name}`);
        continue;
      }
      try {
        const decoded: DecodedPage = {
          sequence: page.sequence.case === "num" ? page.sequence.value : -1,
          page,
          event: fromBinary(schema, page.event.value),
        };
        if (isKeptPage(page)) this.decoded.set(page, decoded);
        out.push(decoded);
      } catch (err) {
        onSkip?.(page, `failed to decode ${name}: ${(err as Error).message}`);
      }
    }
    return out;
  }
}

/** Narrowing helper: `if (isEvent(e, OrderCreatedSchema)) e.items ...` */
export function isEvent<D extends DescMessage>(event: Message, schema: D): event is MessageShape<D> {
  return event.$typeName === schema.typeName;
}

/** A one-page command (sequence 0; the runtime stamps saga/PM commands) for another aggregate. */
export function commandFor<D extends DescMessage>(
  target: { domain: string; root: Uint8Array; correlationId: string; edition?: Cover["edition"] },
  schema: D,
  command: MessageShape<D>,
): CommandBook {
  return create(CommandBookSchema, {
    cover: create(CoverSchema, {
      domain: target.domain,
      root: { value: target.root },
      correlationId: target.correlationId,
      ...(target.edition ? { edition: target.edition } : {}),
    }),
    pages: [create(CommandPageSchema, { sequence: 0, command: AnyPayload.pack(schema, command) })],
  });
}

export function subscription(domain: string, types: EventTypes | string[]): Subscription {
  return create(SubscriptionSchema, { domain, eventTypes: Array.isArray(types) ? types : types.names() });
}
