// The in-process bus: each subscriber has its own queue, delivered in publish order, one book at
// a time, after `publish` returns. A failing handler is logged and never blocks other subscribers.
import type { EventBook } from "@angzarr/proto";
import { log } from "../../observability/log";
import { matches } from "../filter";
import type { BusFilter, BusHandler, BusSubscription, EventBus } from "../types";

interface Subscriber {
  name: string;
  filter: BusFilter;
  handler: BusHandler;
  queue: EventBook[];
  draining: boolean;
  active: boolean;
}

/** A hook for tests: return false to drop a delivery (simulates a lossy bus). */
export type DeliveryGate = (subscriber: string, book: EventBook) => boolean;

export class MemoryBus implements EventBus {
  private readonly subscribers = new Set<Subscriber>();
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly gate?: DeliveryGate) {}

  async publish(book: EventBook): Promise<void> {
    for (const sub of this.subscribers) {
      if (!sub.active || !matches(sub.filter, book)) continue;
      if (this.gate && !this.gate(sub.name, book)) continue;
      sub.queue.push(book);
      if (!sub.draining) {
        sub.draining = true;
        queueMicrotask(() => void this.drain(sub));
      }
    }
  }

  subscribe(name: string, filter: BusFilter, handler: BusHandler): BusSubscription {
    const sub: Subscriber = { name, filter, handler, queue: [], draining: false, active: true };
    this.subscribers.add(sub);
    return {
      unsubscribe: () => {
        sub.active = false;
        this.subscribers.delete(sub);
      },
      ready: () => Promise.resolve(),
    };
  }

  /** Resolves when every queue is empty and no handler runs. */
  async idle(): Promise<void> {
    if (this.isIdle()) return;
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  private isIdle(): boolean {
    for (const sub of this.subscribers) if (sub.draining || sub.queue.length > 0) return false;
    return true;
  }

  private async drain(sub: Subscriber): Promise<void> {
    while (sub.active && sub.queue.length > 0) {
      const book = sub.queue.shift() as EventBook;
      try {
        await sub.handler(book);
      } catch (err) {
        log.error("bus.handler_failed", { subscriber: sub.name, error: (err as Error).message });
      }
    }
    sub.draining = false;
    if (this.isIdle()) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  async close(): Promise<void> {
    for (const sub of this.subscribers) sub.active = false;
    this.subscribers.clear();
  }
}
