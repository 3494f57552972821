// The two backends behind AcceptanceBackend, chosen by ANGZARR_TEST_MODE.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { EventBook } from "@angzarr/proto";
import { type Standalone, startStandalone } from "../../../runtime/app/standalone";
import { loadConfig } from "../../../runtime/config/load";
import { type AcceptanceBackend, type DropRule, type EmbeddedControls, GatewayAccess } from "./backend";

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
  };
  let app: Standalone;
  try {
    app = await startStandalone(loadConfig({ flags: { port: 0, data }, env }), {
      childOutput: process.env.ANGZARR_LOG ? "forward" : "ignore",
      print: () => {},
      busGate: gate,
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
  };
  return {
    mode: "standalone",
    execute: (book, mode) => access.execute(book, mode),
    history: (domain, root) => access.history(domain, root),
    byCorrelation: (id) => access.byCorrelation(id),
    readModel: (name, read) => access.readModel(name, read),
    embedded,
    stop: async () => {
      access.close();
      await app.stop();
      rmSync(data, { recursive: true, force: true });
    },
  };
}

/** A runtime started elsewhere; its read models are read from ANGZARR_READ_MODELS. */
function gatewayBackend(): AcceptanceBackend {
  const url = process.env.ANGZARR_GATEWAY_URL;
  const readModels = process.env.ANGZARR_READ_MODELS;
  if (!url)
    throw new Error("ANGZARR_TEST_MODE=gateway needs ANGZARR_GATEWAY_URL (e.g. http://127.0.0.1:1310)");
  if (!readModels)
    throw new Error("ANGZARR_TEST_MODE=gateway needs ANGZARR_READ_MODELS (the read-models folder)");
  const access = new GatewayAccess(url, readModels);
  return {
    mode: "gateway",
    execute: (book, mode) => access.execute(book, mode),
    history: (domain, root) => access.history(domain, root),
    byCorrelation: (id) => access.byCorrelation(id),
    readModel: (name, read) => access.readModel(name, read),
    embedded: undefined,
    stop: async () => access.close(),
  };
}

export async function openBackend(): Promise<AcceptanceBackend> {
  const mode = process.env.ANGZARR_TEST_MODE ?? "standalone";
  if (mode === "standalone") return startStandaloneBackend();
  if (mode === "gateway") return gatewayBackend();
  throw new Error(`ANGZARR_TEST_MODE: expected standalone or gateway, got ${JSON.stringify(mode)}`);
}
