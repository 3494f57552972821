// The event bus port: one published message per command (the delta book), routed by domain.
// The bus is a fast path, never the source of truth: consumers repair gaps from the store.
import type { EventBook } from "@angzarr/proto";

export interface BusFilter {
  /** Source domain; absent = every domain (including framework meta books). */
  domain?: string;
  /** Event type names (full or short, wire-contract §3.4); empty = all. */
  eventTypes?: string[];
}

export type BusHandler = (book: EventBook) => Promise<void> | void;

export interface BusSubscription {
  unsubscribe(): void;
  /** Resolves once the subscription receives what is published from now on (queue bound). */
  ready(): Promise<void>;
  /**
   * Whether this subscriber is the one its durable queue delivers to now. A broker that lets one
   * consumer per queue be active (RabbitMQ) answers false for a replica on standby; absent =
   * always active (one subscriber per name, as in the memory bus).
   */
  active?(): boolean;
}

export interface SubscribeOptions {
  /**
   * A live tail for this process only (a client's stream): nothing is kept for it while it is
   * gone, and subscribers of the same name do not share its books. Default false: a durable
   * consumer whose name is shared by its replicas.
   */
  transient?: boolean;
}

export interface EventBus {
  /** Publishes a book; resolves once the bus has it (a broker: once it confirmed). */
  publish(book: EventBook): Promise<void>;
  /**
   * Publishes a book nobody relies on receiving (a projector's output streamed to whoever follows
   * its correlation id, wire-contract §3.9), without waiting for it, nor, on a broker, for its
   * confirm; a failure is the bus's to log. Absent: `publish` is used.
   */
  notify?(book: EventBook): void;
  /**
   * Hands every published book the filter wants to `handler`, one at a time, in publish order per
   * aggregate. A durable bus counts a book as delivered once the handler's promise resolves (a
   * book whose handler rejects, or whose process dies first, comes again).
   */
  subscribe(
    name: string,
    filter: BusFilter,
    handler: BusHandler,
    options?: SubscribeOptions,
  ): BusSubscription;
  close(): Promise<void>;
}
