// The broker clean-up helper on the real RabbitMQ, also under a bare PATH without the sbin
// directories where Debian puts rabbitmqctl (the PATH some CI runners give).
import { expect, test } from "bun:test";
import { join } from "node:path";
import { Connection } from "rabbitmq-client";
import { rabbitmqctlPath } from "./broker";

const AMQP_URL = process.env.ANGZARR_AMQP_URL ?? "amqp://guest:guest@127.0.0.1:5672";
const BARE_PATH = "/usr/local/bin:/usr/bin:/bin";
test("rabbitmqctl is found under a PATH without the sbin directories", () => {
  expect(rabbitmqctlPath(BARE_PATH)).toMatch(/\/rabbitmqctl$/);
});

/** True when the broker has the queue / exchange (a passive declare fails with NOT_FOUND). */
async function exists(admin: Connection, kind: "queue" | "exchange", name: string): Promise<boolean> {
  const declared =
    kind === "queue"
      ? admin.queueDeclare({ queue: name, passive: true })
      : admin.exchangeDeclare({ exchange: name, type: "topic", passive: true });
  return declared.then(
    () => true,
    (err: { code?: string }) => {
      if (err.code === "NOT_FOUND") return false;
      throw err;
    },
  );
}

test("a run's queues and exchange are removed under a bare PATH, nothing else", async () => {
  const prefix = `brokertest-${crypto.randomUUID().slice(0, 8)}`;
  const other = `brokertest-${crypto.randomUUID().slice(0, 8)}`;
  const queues = [`${prefix}.saga-x.src`, `${prefix}.projector-y.*`];
  const admin = new Connection(AMQP_URL);
  try {
    await admin.onConnect(5_000);
    await admin.exchangeDeclare({ exchange: `${prefix}.events`, type: "topic", durable: true });
    for (const queue of [...queues, `${other}.saga-x.src`])
      await admin.queueDeclare({ queue, durable: true });

    // In a process of its own: a PATH changed here would not reach this process's spawns.
    const script = `import { removeBrokerObjects } from ${JSON.stringify(join(import.meta.dir, "broker.ts"))};
      await removeBrokerObjects(${JSON.stringify(AMQP_URL)}, ${JSON.stringify(prefix)});`;
    const removal = Bun.spawn([process.execPath, "-e", script], {
      env: { ...process.env, PATH: BARE_PATH },
      stderr: "pipe",
    });
    const [code, stderr] = await Promise.all([removal.exited, new Response(removal.stderr).text()]);
    expect([code, stderr]).toEqual([0, ""]);

    for (const queue of queues) expect([queue, await exists(admin, "queue", queue)]).toEqual([queue, false]);
    expect(await exists(admin, "exchange", `${prefix}.events`)).toBe(false);
    expect(await exists(admin, "queue", `${other}.saga-x.src`)).toBe(true);
  } finally {
    for (const queue of [...queues, `${other}.saga-x.src`])
      await admin.queueDelete({ queue }).catch(() => undefined);
    await admin.exchangeDelete({ exchange: `${prefix}.events` }).catch(() => undefined);
    await admin.close();
  }
}, 60_000); // rabbitmqctl starts an Erlang VM (seconds on a busy machine)
