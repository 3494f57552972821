// Runs the acceptance features against the distributed deployment: every role its own OS process
// (`launchDistributed`, as `bun run start:distributed`) over PostgreSQL (a fresh schema for this
// run) and RabbitMQ (a fresh exchange and queue prefix), reached through its gateway only, with
// ANGZARR_TEST_MODE=gateway (ANGZARR_EXAMPLES=python|go|mixed: with that language's example programs,
// as `start:distributed` runs them). Afterwards every process is stopped, and the schema, the queues and
// the exchange are removed. Exit code: the features' own.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SQL } from "bun";
import { launchDistributed, type Topology } from "../runtime/app/distributed";
import { removeBrokerObjects } from "../runtime/testing/broker";

const root = join(import.meta.dir, "..");
const id = Math.random().toString(36).slice(2, 8);
const schema = `acc_${id}`;
const prefix = `acc-${id}`;
const pgUrl = process.env.ANGZARR_PG_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const amqpUrl = process.env.ANGZARR_AMQP_URL ?? "amqp://guest:guest@127.0.0.1:5672";
const data = mkdtempSync(join(tmpdir(), "acc-dist-"));

let topology: Topology | undefined;
let code = 1;
try {
  topology = await launchDistributed({
    port: 0,
    data,
    env: {
      ANGZARR_PG_URL: pgUrl,
      ANGZARR_PG_SCHEMA: schema,
      ANGZARR_AMQP_URL: amqpUrl,
      ANGZARR_BUS_PREFIX: prefix,
      ANGZARR_LOG: process.env.ANGZARR_LOG ?? "error",
    },
    print: () => undefined,
  });
  const programs = process.env.ANGZARR_EXAMPLES ? `, ${process.env.ANGZARR_EXAMPLES} programs` : "";
  console.log(
    `acceptance (distributed mode${programs}): ${topology.processes.length} processes, gateway at ${topology.gatewayUrl}`,
  );
  const features = Bun.spawn([process.execPath, join(import.meta.dir, "run.ts")], {
    cwd: root,
    env: {
      ...process.env,
      ANGZARR_FEATURES: "acceptance",
      ANGZARR_TEST_MODE: "gateway",
      ANGZARR_GATEWAY_URL: topology.gatewayUrl,
      ANGZARR_DATA: data,
      ANGZARR_PG_URL: pgUrl,
      ANGZARR_PG_SCHEMA: schema,
    },
    stdout: "inherit",
    stderr: "inherit",
  });
  code = await features.exited;
} catch (err) {
  console.error((err as Error).message);
  console.log("0 scenarios (0 passed)");
} finally {
  await topology?.stop();
  const sql = new SQL(pgUrl);
  await sql.unsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
  await sql.close();
  await removeBrokerObjects(amqpUrl, prefix).catch((err: Error) => console.error(`cleanup: ${err.message}`));
  rmSync(data, { recursive: true, force: true });
}
process.exit(code);
