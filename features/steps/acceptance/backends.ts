// The two backends behind AcceptanceBackend, chosen by ANGZARR_TEST_MODE.
import type { Database } from "bun:sqlite";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type CommandBook,
  Covers,
  type EventBook,
  EventBookSchema,
  EventPages,
  type SyncMode,
} from "@angzarr/proto";
import { create } from "@bufbuild/protobuf";
import type { Any } from "@bufbuild/protobuf/wkt";
import { type Standalone, startStandalone } from "../../../runtime/app/standalone";
import { loadConfig } from "../../../runtime/config/load";
import { openStorage } from "../../../runtime/storage/open";
import type { EventStore, Storage } from "../../../runtime/storage/types";
import {
  type AcceptanceBackend,
  type DirectWriter,
  type DropRule,
  type EmbeddedControls,
  GatewayAccess,
  processPrograms,
  STARTUP_HEALTH_MS,
} from "./backend";

/** Another writer over an event store: forced pages, numbered by the store. */
function writerOver(events: EventStore): DirectWriter {
  return {
    append: async (domain, root, payloads, correlationId) => {
      await events.append(
        { domain, edition: "", root },
        payloads.map((p) => EventPages.forced(p)),
        {
          correlationId,
        },
      );
    },
  };
}

/** A rule run just before a matching append (EmbeddedControls.beforeNextAppend). */
interface Interleave {
  when: (domain: string, root: Uint8Array, events: Any[]) => boolean;
  write: () => Promise<void>;
  count: number;
}

/** The storage the runtime uses, with interleaved writes before matching appends. */
function interleaving(storage: Storage, rules: Set<Interleave>): Storage {
  const events = storage.events;
  const append: EventStore["append"] = async (ref, pages, options) => {
    const payloads = pages.flatMap((p) => (p.event ? [p.event] : []));
    for (const rule of rules) {
      if (rule.when(ref.domain, ref.root, payloads)) {
        rules.delete(rule); // once
        rule.count++;
        await rule.write();
      }
    }
    return events.append(ref, pages, options);
  };
  return { ...storage, events: Object.assign(Object.create(events), { append }) as EventStore };
}

/** One runtime, started in this process with a fresh SQLite store in a temporary folder. */
async function startStandaloneBackend(): Promise<AcceptanceBackend> {
  // Short prefix: handler sockets live under the data folder and socket paths are limited.
  const data = mkdtempSync(join(tmpdir(), "acc-"));
  const rules = new Set<{ rule: DropRule; count: number }>();
  const gate = (subscriber: string, book: EventBook): boolean => {
    for (const entry of rules) {
      if (entry.rule(subscriber, book)) {
        entry.count++;
        return false;
      }
    }
    return true;
  };
  const env: Record<string, string | undefined> = {
    ANGZARR_LOG: process.env.ANGZARR_LOG ?? "error",
    ANGZARR_STORAGE: "sqlite",
    // ANGZARR_EXAMPLES=python|go|mixed: the same features against that language's programs.
    ANGZARR_EXAMPLES: process.env.ANGZARR_EXAMPLES,
  };
  const interleaves = new Set<Interleave>();
  let raw: Storage | undefined;
  let app: Standalone;
  try {
    const config = loadConfig({ flags: { port: 0, data }, env });
    // Fourteen programs starting at once on a busy two-core machine can take longer than the
    // default; the suite is about behaviour once they run.
    config.handlers.healthTimeoutMs = Math.max(config.handlers.healthTimeoutMs, STARTUP_HEALTH_MS);
    app = await startStandalone(config, {
      childOutput: process.env.ANGZARR_LOG ? "forward" : "ignore",
      print: () => {},
      busGate: gate,
      wrapStorage: (opened) => {
        raw = opened;
        return interleaving(opened, interleaves);
      },
    });
  } catch (err) {
    rmSync(data, { recursive: true, force: true });
    throw err;
  }
  const access = new GatewayAccess(`http://127.0.0.1:${app.gatewayPort}`, join(data, "read-models"));
  const program = (name: string) => {
    const p = app.supervisor.program(name);
    if (!p) throw new Error(`no supervised program named ${name}`);
    return p;
  };
  const embedded: EmbeddedControls = {
    pid: (name) => program(name).pid,
    ready: (name) => program(name).state === "ready",
    kill: (name) => {
      const pid = program(name).pid;
      if (pid === undefined) throw new Error(`${name} is not running`);
      process.kill(pid, "SIGKILL");
      return pid;
    },
    dropDeliveries: (rule) => {
      const entry = { rule, count: 0 };
      rules.add(entry);
      return { dropped: () => entry.count, stop: () => rules.delete(entry) };
    },
    settle: () => app.reactive.settle(),
    redeliver: async (domain, root) => {
      const directory = await app.supervisor.reactiveDirectory();
      const log = await app.storage.events.readAll(0n, 1_000_000, { domain, edition: "" });
      for (const e of log) {
        if (Buffer.compare(e.root, root) !== 0) continue;
        // One book per event, with its own correlation id, as the bus would carry it.
        const book = create(EventBookSchema, {
          cover: Covers.make({ domain, root, correlationId: e.correlationId }),
          pages: [e.page],
        });
        for (const saga of directory.sagas()) await app.reactive.sagas.handleBook(saga, book);
        for (const pm of directory.processManagers()) await app.reactive.processManagers.handleBook(pm, book);
      }
    },
    beforeNextAppend: (when, write) => {
      const rule: Interleave = { when, write, count: 0 };
      interleaves.add(rule);
      return { fired: () => rule.count, stop: () => interleaves.delete(rule) };
    },
  };
  const writer = writerOver((raw as Storage | undefined)?.events ?? app.storage.events);
  return {
    mode: "standalone",
    ...gatewayParts(access),
    embedded,
    programs: {
      pid: embedded.pid,
      kill: embedded.kill,
      runningAgain: (name, killed) => embedded.ready(name) && embedded.pid(name) !== killed,
    },
    writer,
    stop: async () => {
      access.close();
      await app.stop();
      rmSync(data, { recursive: true, force: true });
    },
  };
}

/**
 * A runtime started elsewhere, at ANGZARR_GATEWAY_URL. Its read models are read from
 * ANGZARR_READ_MODELS (default `<ANGZARR_DATA>/read-models`). With ANGZARR_DATA (its data folder)
 * its handler programs can be killed and its SQLite store written beside it.
 */
async function gatewayBackend(): Promise<AcceptanceBackend> {
  const url = process.env.ANGZARR_GATEWAY_URL;
  const data = process.env.ANGZARR_DATA;
  const readModels = process.env.ANGZARR_READ_MODELS || (data ? join(data, "read-models") : undefined);
  if (!url)
    throw new Error("ANGZARR_TEST_MODE=gateway needs ANGZARR_GATEWAY_URL (e.g. http://127.0.0.1:1310)");
  if (!readModels)
    throw new Error(
      "ANGZARR_TEST_MODE=gateway needs ANGZARR_DATA (the runtime's data folder) or ANGZARR_READ_MODELS",
    );
  const access = new GatewayAccess(url, readModels);
  const file = data ? join(data, "angzarr.db") : undefined;
  // A distributed deployment's store: its PostgreSQL schema (ANGZARR_PG_URL + ANGZARR_PG_SCHEMA).
  const pgUrl = process.env.ANGZARR_PG_URL;
  const pgSchema = process.env.ANGZARR_PG_SCHEMA;
  const store =
    pgUrl && pgSchema
      ? await openStorage({ backend: "postgres", url: pgUrl, schema: pgSchema, maxConnections: 2 })
      : file && existsSync(file)
        ? await openStorage({ backend: "sqlite", path: file })
        : undefined;
  return {
    mode: "gateway",
    ...gatewayParts(access),
    embedded: undefined,
    programs: data ? processPrograms(data) : undefined,
    writer: store ? writerOver(store.events) : undefined,
    stop: async () => {
      access.close();
      await store?.close();
    },
  };
}

export async function openBackend(): Promise<AcceptanceBackend> {
  const mode = process.env.ANGZARR_TEST_MODE ?? "standalone";
  if (mode === "standalone") return startStandaloneBackend();
  if (mode === "gateway") return await gatewayBackend();
  throw new Error(`ANGZARR_TEST_MODE: expected standalone or gateway, got ${JSON.stringify(mode)}`);
}

/** What both backends do through the gateway. */
function gatewayParts(access: GatewayAccess) {
  return {
    execute: (book: CommandBook, mode?: SyncMode) => access.execute(book, mode),
    history: (domain: string, root: Uint8Array, edition?: string) => access.history(domain, root, edition),
    byCorrelation: (id: string) => access.byCorrelation(id),
    readModel: <T>(name: string, read: (db: Database) => T, edition?: string) =>
      access.readModel(name, read, edition),
    editions: access.editions,
    speculative: access.speculative,
    queries: access.queries,
    topology: () => access.topology(),
  };
}
