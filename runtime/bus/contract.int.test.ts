// The bus contract against every adapter: the in-process bus, and RabbitMQ (ANGZARR_AMQP_URL,
// default amqp://guest:guest@127.0.0.1:5672) with a random exchange and queue prefix per test,
// deleted afterwards. Outages are simulated with a TCP proxy this test owns; the shared broker is
// never stopped.
import { randomUUID } from "node:crypto";
import { Connection } from "rabbitmq-client";
import { TcpProxy } from "../testing/tcp-proxy";
import { defineBusContract } from "./contract/define-bus-contract";
import { MemoryBus } from "./memory/memory-bus";
import { RabbitBus } from "./rabbitmq/rabbit-bus";
import type { EventBus } from "./types";

export const AMQP_URL = process.env.ANGZARR_AMQP_URL ?? "amqp://guest:guest@127.0.0.1:5672";

defineBusContract("memory", { durable: false, outages: false }, async () => {
  const bus = new MemoryBus();
  return {
    open: async () => bus,
    durable: false,
    cleanup: () => bus.close(),
  };
});

defineBusContract("rabbitmq", { durable: true, outages: true }, async () => {
  const id = randomUUID().slice(0, 8);
  const exchange = `test.bus.${id}`;
  const queuePrefix = `test.${id}`;
  const buses: RabbitBus[] = [];
  const proxies: TcpProxy[] = [];
  const url = new URL(AMQP_URL);
  const open = async (via?: TcpProxy): Promise<RabbitBus> => {
    const target = new URL(AMQP_URL);
    if (via) {
      target.hostname = "127.0.0.1";
      target.port = String(via.port);
    }
    const bus = new RabbitBus({
      url: target.toString(),
      exchange,
      queuePrefix,
      publishTimeoutMs: 1_500,
      retry: { lowMs: 50, highMs: 500 },
    });
    buses.push(bus);
    await bus.connect();
    return bus;
  };
  return {
    open: () => open(),
    durable: true,
    crash: (bus: EventBus) => (bus as RabbitBus).connection.unsafeDestroy(),
    openBehindProxy: async () => {
      const proxy = await new TcpProxy(url.hostname, Number(url.port || 5672)).start();
      proxies.push(proxy);
      const bus = await open(proxy);
      return { bus, cut: () => proxy.cut(), restore: () => proxy.restore() };
    },
    cleanup: async () => {
      await Promise.allSettled(buses.map((b) => b.close()));
      await Promise.allSettled(proxies.map((p) => p.stop()));
      const admin = new Connection(AMQP_URL);
      try {
        await admin.onConnect(5_000);
        const queues = new Set(buses.flatMap((b) => [...b.queues]));
        for (const queue of queues) await admin.queueDelete({ queue }).catch(() => undefined);
        await admin.exchangeDelete({ exchange }).catch(() => undefined);
      } finally {
        await admin.close();
      }
    },
  };
});
