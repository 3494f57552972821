// One runtime per data folder, and ports checked before anything is spawned.
//
// `<data>/angzarr.lock` names the holder (pid, gateway port); it is created exclusively and held
// for the process's life. A lock whose pid is gone (kill -9) is stale and taken over. A second
// runtime on the same folder is refused with one line naming the holder.
import { closeSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from "node:fs";
import * as net from "node:net";
import { join } from "node:path";

export const LOCK_FILE = "angzarr.lock";

export class StartRefusedError extends Error {
  override readonly name = "StartRefusedError";
}

interface Holder {
  pid: number;
  port?: number;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

function readHolder(path: string): Holder | undefined {
  try {
    const parsed = JSON.parse(readFileSync(path, "utf8")) as Partial<Holder>;
    return typeof parsed.pid === "number" ? (parsed as Holder) : undefined;
  } catch {
    return undefined;
  }
}

export interface DataLock {
  /** Records the gateway port once known. */
  setPort(port: number): void;
  release(): void;
}

/** Takes the data folder's lock or throws StartRefusedError naming its holder. */
export function lockDataFolder(data: string): DataLock {
  const path = join(data, LOCK_FILE);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(path, "wx", 0o600);
      writeSync(fd, JSON.stringify({ pid: process.pid }));
      closeSync(fd);
      let released = false;
      return {
        setPort: (port) => {
          if (!released) writeFileSync(path, JSON.stringify({ pid: process.pid, port }), { mode: 0o600 });
        },
        release: () => {
          if (released) return;
          released = true;
          if (readHolder(path)?.pid === process.pid) rmSync(path, { force: true });
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      const holder = readHolder(path);
      if (holder && alive(holder.pid)) {
        const port = holder.port !== undefined ? `, gateway port ${holder.port}` : "";
        throw new StartRefusedError(
          `the data folder ${data} is in use by another runtime (pid ${holder.pid}${port}): stop it, or give this one another --data`,
        );
      }
      // Stale (its process is gone) or unreadable: take it over.
      rmSync(path, { force: true });
    }
  }
  throw new StartRefusedError(`cannot take the lock ${path}`);
}

/** Throws StartRefusedError when `port` on `host` cannot be bound (0 = any: always fine). */
export async function checkPortFree(host: string, port: number, flag: string): Promise<void> {
  if (port === 0) return;
  await new Promise<void>((resolve, reject) => {
    const probe = net.createServer();
    probe.once("error", (err: NodeJS.ErrnoException) => {
      const why =
        err.code === "EADDRINUSE" ? "is already in use" : `cannot be used (${err.code ?? err.message})`;
      reject(new StartRefusedError(`port ${port} on ${host} ${why}: choose another with ${flag}`));
    });
    probe.listen(port, host, () => probe.close(() => resolve()));
  });
}
