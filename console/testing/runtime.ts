// A standalone runtime with every example program for the console's browser tests: its own
// temporary data folder, any free ports, children's output dropped. `url` is the admin listener's.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startStandalone } from "../../runtime/app/standalone";
import { loadConfig } from "../../runtime/config/load";
import type { Storage } from "../../runtime/storage/types";

export interface ConsoleRuntime {
  url: string;
  storage: Storage;
  stop(): Promise<void>;
}

export async function startConsoleRuntime(): Promise<ConsoleRuntime> {
  const dir = mkdtempSync(join(tmpdir(), "angzarr-console-"));
  const config = loadConfig({ flags: { port: 0, data: dir }, env: { ANGZARR_LOG: "error" } });
  config.reactive.pollMs = 50;
  // Fourteen programs start at once; on a loaded 2-core machine that can take a while.
  config.handlers.healthTimeoutMs = 90_000;
  const app = await startStandalone(config, { childOutput: "ignore", print: () => {} });
  return {
    // The console and every service it calls live on the admin listener (one origin).
    url: app.admin.url,
    storage: app.storage,
    stop: async () => {
      await app.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

if (import.meta.main) {
  const rt = await startConsoleRuntime();
  const { createConnectTransport } = await import("@connectrpc/connect-node");
  const { runLifecycle } = await import("./lifecycle");
  const life = await runLifecycle(
    createConnectTransport({ baseUrl: rt.url, httpVersion: "2", useBinaryFormat: true }),
  );
  console.log(JSON.stringify({ url: rt.url, correlationId: life.correlationId, edition: life.edition }));
  process.on("SIGTERM", () => void rt.stop().then(() => process.exit(0)));
}
