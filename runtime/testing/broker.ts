// Test clean-up on the shared RabbitMQ: a run's queues (named `<prefix>.*`, as the broker lists
// them) and its exchange `<prefix>.events`.
import { Connection } from "rabbitmq-client";

/**
 * rabbitmqctl lives in /usr/sbin on Debian, which a bare PATH (`/usr/local/bin:/usr/bin:/bin`,
 * as some CI runners give) leaves out: looked up in PATH first, then in the sbin directories.
 */
export function rabbitmqctlPath(path = process.env.PATH ?? ""): string {
  const found = Bun.which("rabbitmqctl", { PATH: [path, "/usr/local/sbin", "/usr/sbin", "/sbin"].join(":") });
  if (!found) throw new Error("rabbitmqctl not found in PATH nor in /usr/local/sbin, /usr/sbin, /sbin");
  return found;
}

/** `rabbitmqctl -q <args>`'s rows, split on whitespace; a failure throws with its stderr. */
export function rabbitmqctl(args: string[]): string[][] {
  const run = Bun.spawnSync([rabbitmqctlPath(), "-q", ...args], { stdout: "pipe", stderr: "pipe" });
  if (run.exitCode !== 0) {
    throw new Error(
      `rabbitmqctl ${args.join(" ")} failed (${run.exitCode}): ${run.stderr.toString().trim()}`,
    );
  }
  return run.stdout
    .toString()
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "")
    .map((l) => l.split(/\s+/));
}

/** The broker's queues with their consumer counts (default vhost). */
export function listQueues(): Map<string, number> {
  const queues = new Map<string, number>();
  for (const [name, consumers] of rabbitmqctl(["list_queues", "name", "consumers"])) {
    if (name !== undefined && name !== "name") queues.set(name, Number(consumers ?? 0));
  }
  return queues;
}

/** The broker's exchanges (default vhost). */
export function listExchanges(): string[] {
  return rabbitmqctl(["list_exchanges", "name"])
    .map(([name]) => name ?? "")
    .filter((name) => name !== "" && name !== "name");
}

export async function removeBrokerObjects(amqpUrl: string, prefix: string): Promise<void> {
  const queues = [...listQueues().keys()].filter((q) => q.startsWith(`${prefix}.`));
  const admin = new Connection(amqpUrl);
  try {
    await admin.onConnect(5_000);
    for (const queue of queues) await admin.queueDelete({ queue }).catch(() => undefined);
    await admin.exchangeDelete({ exchange: `${prefix}.events` }).catch(() => undefined);
  } finally {
    await admin.close();
  }
}
