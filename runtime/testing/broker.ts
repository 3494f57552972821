// Test clean-up on the shared RabbitMQ: a run's queues (named `<prefix>.*`, as the broker lists
// them) and its exchange `<prefix>.events`.
import { Connection } from "rabbitmq-client";

export async function removeBrokerObjects(amqpUrl: string, prefix: string): Promise<void> {
  const listed = Bun.spawnSync(["rabbitmqctl", "-q", "list_queues", "name"], {
    stdout: "pipe",
    stderr: "ignore",
  });
  const queues = new TextDecoder()
    .decode(listed.stdout)
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l.startsWith(`${prefix}.`));
  const admin = new Connection(amqpUrl);
  try {
    await admin.onConnect(5_000);
    for (const queue of queues) await admin.queueDelete({ queue }).catch(() => undefined);
    await admin.exchangeDelete({ exchange: `${prefix}.events` }).catch(() => undefined);
  } finally {
    await admin.close();
  }
}
