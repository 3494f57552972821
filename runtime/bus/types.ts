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
}

export interface EventBus {
  publish(book: EventBook): Promise<void>;
  subscribe(name: string, filter: BusFilter, handler: BusHandler): BusSubscription;
  close(): Promise<void>;
}
