// Distributed-mode tests with synthetic handlers: a deployment on its own schema and bus prefix,
// and what it leaves on the shared services (schema, durable queues, exchange) removed afterwards.
import { SQL } from "bun";
import { Connection } from "rabbitmq-client";
import { launchDistributed, type Topology } from "../app/distributed";
import { openStorage } from "../storage/open";
import type { Storage } from "../storage/types";
import { PeerPipeline } from "../transport/peer-pipeline";
import { PeerClients } from "../transport/peers";

export interface RunState {
  pgUrl: string;
  amqpUrl: string;
  schema: string;
  queues: string[];
  exchange: string;
}

export async function removeRunState(run: RunState): Promise<void> {
  const sql = new SQL(run.pgUrl);
  try {
    await sql.unsafe(`DROP SCHEMA IF EXISTS "${run.schema}" CASCADE`);
  } finally {
    await sql.close();
  }
  const admin = new Connection(run.amqpUrl);
  try {
    await admin.onConnect(5_000);
    for (const queue of run.queues) await admin.queueDelete({ queue }).catch(() => undefined);
    await admin.exchangeDelete({ exchange: run.exchange }).catch(() => undefined);
  } finally {
    await admin.close();
  }
}

/** A synthetic distributed deployment under test, reached through its gateway. */
export interface World {
  topology: Topology;
  /** The run's schema, read directly (what the roles stored). */
  store: Storage;
  /** Sends commands through the gateway (the `src` domain's address is the gateway's). */
  gateway: PeerPipeline;
  /** Stops every process and removes the run's schema, queues and exchange. */
  stop(): Promise<void>;
}

export interface WorldOptions {
  /** Schema name and bus prefix of the run. */
  id: string;
  data: string;
  config: string;
  /** What the roles use (a proxy in an outage test) and what the test itself uses. */
  urls: { pg: string; amqp: string; testPg: string; testAmqp: string };
  /** Durable queues the run creates (removed afterwards). */
  queues: string[];
  replicas?: Record<string, number>;
}

export async function startWorld(options: WorldOptions): Promise<World> {
  const { id, urls } = options;
  const runState = {
    pgUrl: urls.testPg,
    amqpUrl: urls.testAmqp,
    schema: id,
    queues: options.queues,
    exchange: `${id}.events`,
  };
  const topology = await launchDistributed({
    port: 0,
    data: options.data,
    config: options.config,
    ...(options.replicas ? { replicas: options.replicas } : {}),
    env: {
      ANGZARR_PG_URL: urls.pg,
      ANGZARR_AMQP_URL: urls.amqp,
      ANGZARR_BUS_PREFIX: id,
      ANGZARR_LOG: process.env.ANGZARR_LOG ?? "error",
    },
    print: () => undefined,
  }).catch(async (err: unknown) => {
    // A start that failed part way (launchDistributed stops what it started) leaves nothing behind.
    await removeRunState(runState).catch(() => undefined);
    throw err;
  });
  const store = await openStorage({ backend: "postgres", url: urls.testPg, schema: id, maxConnections: 2 });
  const clients = new PeerClients(new Map([["src", topology.gatewayUrl]]));
  return {
    topology,
    store,
    gateway: new PeerPipeline(clients, store.editions),
    stop: async () => {
      // The run's schema, queues and exchange go whatever stopping the processes did, so a
      // failed stop leaves nothing on the shared services.
      try {
        clients.close();
        await topology.stop();
      } finally {
        try {
          await store.close();
        } finally {
          await removeRunState(runState);
        }
      }
    },
  };
}
