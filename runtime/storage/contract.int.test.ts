// The storage contract against every backend. ANGZARR_STORE picks one (memory | sqlite | postgres);
// unset runs all three. PostgreSQL: ANGZARR_PG_URL, a fresh random schema per test, dropped afterwards.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SQL } from "bun";
import { defineStorageContract } from "./contract";
import { createMemoryStorage } from "./memory";
import { openStorage, type StorageConfig } from "./open";
import type { Storage } from "./types";

const BACKENDS = ["memory", "sqlite", "postgres"] as const;
const selected = process.env.ANGZARR_STORE;
if (selected !== undefined && selected !== "" && !(BACKENDS as readonly string[]).includes(selected)) {
  throw new Error(`ANGZARR_STORE must be one of ${BACKENDS.join(", ")}, got ${selected}`);
}
const wants = (backend: (typeof BACKENDS)[number]) => !selected || selected === backend;

/** Closes every connection once, ignoring ones a test already closed. */
function tracker(first: Storage) {
  const open = new Set<Storage>([first]);
  return {
    track: (s: Storage) => {
      open.add(s);
      return s;
    },
    closeAll: async () => {
      for (const s of open) await s.close().catch(() => undefined);
      open.clear();
    },
  };
}

if (wants("memory")) {
  defineStorageContract("memory", async () => {
    const storage = createMemoryStorage();
    return { storage, cleanup: () => storage.close() };
  });
}

if (wants("sqlite")) {
  defineStorageContract(
    "sqlite",
    async () => {
      const dir = await mkdtemp(join(tmpdir(), "angzarr-contract-"));
      const config: StorageConfig = { backend: "sqlite", path: join(dir, "store.db") };
      const storage = await openStorage(config);
      const conns = tracker(storage);
      return {
        storage,
        reopen: async () => conns.track(await openStorage(config)),
        connect: async () => conns.track(await openStorage(config)),
        processConfig: config,
        cleanup: async () => {
          await conns.closeAll();
          await rm(dir, { recursive: true, force: true });
        },
      };
    },
    { persistent: true, multiProcess: true, batchedReads: true },
  );
}

if (wants("postgres")) {
  const url = process.env.ANGZARR_PG_URL || "postgres://postgres@127.0.0.1:5432/postgres";
  const run = crypto.randomUUID().replaceAll("-", "").slice(0, 12);
  let counter = 0;
  defineStorageContract(
    "postgres",
    async () => {
      const schema = `angzarr_contract_${run}_${++counter}`;
      const config: StorageConfig = { backend: "postgres", url, schema };
      // Concurrent writers get a Storage each: small pools keep 16 of them (or 16 processes)
      // well inside the server's max_connections.
      const small: StorageConfig = { ...config, maxConnections: 2 };
      const storage = await openStorage(config);
      const conns = tracker(storage);
      return {
        storage,
        reopen: async () => conns.track(await openStorage(config)),
        connect: async () => conns.track(await openStorage(small)),
        processConfig: small,
        cleanup: async () => {
          await conns.closeAll();
          const sql = new SQL({ url, max: 1 });
          try {
            await sql.unsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
          } finally {
            await sql.close();
          }
        },
      };
    },
    { persistent: true, multiProcess: true, batchedReads: true },
  );
}
