// Upcasters: a domain's old event versions turned into current ones, as plain functions in the
// domain program. The runtime calls them through the wire `Upcaster` service on every read that
// feeds a handler or a client (it never rewrites storage); a program serves the service by adding
// `upcasterComponent(...)` next to its aggregate (`serve(combine(aggregateComponent(a),
// upcasterComponent(u)))`), and the runtime finds it through the health service.
//
// Rules are keyed by the old message's full name; a page of any other type passes unchanged, and
// a rule's output is looked up again, so v1 → v2 → v3 chains work. A page that does not decode as
// its old type fails the whole call (INVALID_ARGUMENT `failed to decode ...`), which the runtime
// reports as INTERNAL `Upcaster failed: ...`.
import {
  AnyPayload,
  type EventPage,
  EventPageSchema,
  TypeUrl,
  Upcaster as UpcasterService,
  UpcastRequestSchema,
  UpcastResponseSchema,
} from "@angzarr/proto";
import {
  create,
  type DescMessage,
  fromBinary,
  type Message,
  type MessageShape,
  toBinary,
} from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { asEntries, decodeUpcastRequest, entriesOf, pageTypeUrl } from "./fast/page-codec";
import { decodeBody } from "./rpc/protocol";
import type { Component } from "./serve";

export interface UpcastRule {
  from: DescMessage;
  to: DescMessage;
  convert(old: Message): Message;
}

/** One rule: pages holding `from` become pages holding `convert(from)`, a `to`. */
export function upcast<F extends DescMessage, T extends DescMessage>(
  from: F,
  to: T,
  convert: (old: MessageShape<F>) => MessageShape<T>,
): UpcastRule {
  return { from, to, convert: convert as unknown as (old: Message) => Message };
}

export interface UpcasterDefinition {
  domain: string;
  rules: UpcastRule[];
}

/** Longest chain followed on one page (a rule cycle is a bug, reported as such). */
const MAX_CHAIN = 16;

export class UpcasterProgram {
  readonly domain: string;
  private readonly byName = new Map<string, UpcastRule>();

  constructor(definition: UpcasterDefinition) {
    this.domain = definition.domain;
    for (const rule of definition.rules) this.byName.set(rule.from.typeName, rule);
  }

  /** True when pages of this type are upgraded. */
  handles(typeUrl: string): boolean {
    return this.byName.has(TypeUrl.fullName(typeUrl));
  }

  /** The page upgraded to its current version (the same page when it already is). */
  upcastPage(page: EventPage): EventPage {
    let event = page.event;
    for (let step = 0; event && step <= MAX_CHAIN; step++) {
      const rule = this.byName.get(TypeUrl.fullName(event.typeUrl));
      if (!rule) return event === page.event ? page : create(EventPageSchema, { ...page, event });
      let old: Message;
      try {
        old = fromBinary(rule.from, event.value);
      } catch (err) {
        throw new ConnectError(
          `failed to decode ${rule.from.typeName}: ${(err as Error).message}`,
          Code.InvalidArgument,
        );
      }
      event = AnyPayload.pack(rule.to, rule.convert(old) as MessageShape<typeof rule.to>);
    }
    throw new ConnectError(`upcast rules of ${this.domain} loop on ${page.event?.typeUrl}`, Code.Internal);
  }

  upcastPages(pages: EventPage[]): EventPage[] {
    return pages.map((p) => this.upcastPage(p));
  }
}

export function defineUpcaster(definition: UpcasterDefinition): UpcasterProgram {
  return new UpcasterProgram(definition);
}

/** The wire face: `angzarr.Upcaster/Upcast` (same pages, same count and order, upgraded). */
/**
 * The answer to an encoded UpcastRequest whose pages no rule applies to (a catch-up's usual
 * batch): the same page bytes, as UpcastResponse.events. Undefined when some page has a rule, or
 * the request is not one the walk reads (the general path answers, or refuses, it).
 */
function passedThrough(upcaster: UpcasterProgram, body: Uint8Array): Uint8Array | undefined {
  const entries = entriesOf(body, 2, 1);
  if (entries === undefined || (entries.text !== "" && entries.text !== upcaster.domain)) return undefined;
  const { starts, ends } = entries;
  for (let i = 0; i < starts.length; i++) {
    const type = pageTypeUrl(body, starts[i] as number, ends[i] as number);
    if (type === undefined || upcaster.handles(type)) return undefined;
  }
  return asEntries(body, starts, ends, 1);
}

export function upcasterComponent(upcaster: UpcasterProgram): Component {
  const upcastRequest = (request: { domain: string; events: EventPage[] }) => {
    if (request.domain !== "" && request.domain !== upcaster.domain) {
      throw new ConnectError(
        `this program upcasts ${upcaster.domain}, not ${request.domain}`,
        Code.InvalidArgument,
      );
    }
    return upcaster.upcastPages(request.events);
  };
  return {
    register(router) {
      // A consumer's catch-up sends a batch of hundreds of pages: read by the page codec (the
      // pages protobuf-es reads; protobuf-es reads what the codec declines).
      router.addRaw(UpcasterService.method.upcast, (body) => {
        const unchanged = passedThrough(upcaster, body);
        if (unchanged !== undefined) return unchanged;
        const request = decodeUpcastRequest(body) ?? decodeBody(UpcastRequestSchema, body);
        const pages = upcastRequest(request);
        return toBinary(UpcastResponseSchema, create(UpcastResponseSchema, { events: pages }));
      });
      return [UpcasterService.typeName];
    },
  };
}
