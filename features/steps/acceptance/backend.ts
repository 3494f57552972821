// What the acceptance steps need from a running system, and the part every backend shares: a
// client of the gateway. Two backends exist:
//   standalone (default)  one runtime started in this process for the whole run
//   gateway               a runtime somebody else started, reached at ANGZARR_GATEWAY_URL
// Both can kill a handler program (gateway mode finds it among the runtime's processes when
// ANGZARR_DATA names the runtime's data folder) and write into the store beside the runtime.
// Only the standalone backend can lose bus messages, re-deliver events or interleave a write on
// purpose; scenarios tagged @embedded need those controls and are skipped without them.
import { Database } from "bun:sqlite";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import {
  type CommandBook,
  CommandGateway,
  type CommandResponse,
  Covers,
  EditionService,
  type EventBook,
  EventQuery,
  SpeculativeService,
  SyncMode,
} from "@angzarr/proto";
import { editionDbPath } from "@angzarr/sdk";
import type { Any } from "@bufbuild/protobuf/wkt";
import { type Client, createClient } from "@connectrpc/connect";
import { createConnectTransport, Http2SessionManager } from "@connectrpc/connect-node";
import type { TopologyMap } from "../../../runtime/services/topology-map";

/** Decides whether the bus drops one book on its way to one subscriber (true = drop). */
export type DropRule = (subscriber: string, book: EventBook) => boolean;

/** The runtime's handler programs, by name (e.g. `saga-order-inventory`). */
export interface ProgramControls {
  /** The process id of the program, when it is running. */
  pid(program: string): number | undefined;
  /** Kills the program outright (SIGKILL) and returns the pid that was killed. */
  kill(program: string): number;
  /** True when the program runs again under a pid other than `killed` (and is healthy, when known). */
  runningAgain(program: string, killed: number): boolean;
}

/** Another writer of the runtime's event store (another process, a data import). */
export interface DirectWriter {
  /** Appends events at the aggregate's next numbers, beside the runtime. */
  append(domain: string, root: Uint8Array, events: Any[], correlationId: string): Promise<void>;
}

/** Controls only an in-process runtime offers. */
export interface EmbeddedControls {
  /** The process id of a supervised handler program, when it is running. */
  pid(program: string): number | undefined;
  /** True when the program is running and healthy. */
  ready(program: string): boolean;
  /** Kills the program outright (SIGKILL) and returns the pid that was killed. */
  kill(program: string): number;
  /** Starts dropping matching bus deliveries; the returned function stops it. */
  dropDeliveries(rule: DropRule): { dropped(): number; stop(): void };
  /** Waits until every saga, process manager and projector has caught up with the store. */
  settle(): Promise<void>;
  /** Hands every stored event of the aggregate to its sagas and PMs again (a duplicated delivery). */
  redeliver(domain: string, root: Uint8Array): Promise<void>;
  /**
   * Runs `write` (another writer) just before the runtime's next append that `when` matches, so
   * that append meets a sequence conflict. The returned handle counts how often that happened.
   */
  beforeNextAppend(
    when: (domain: string, root: Uint8Array, events: Any[]) => boolean,
    write: () => Promise<void>,
  ): { fired(): number; stop(): void };
}

export interface AcceptanceBackend {
  readonly mode: "standalone" | "gateway";
  /** Sends one command and waits as the sync mode says. Rejects with the gateway's error. */
  execute(book: CommandBook, syncMode?: SyncMode): Promise<CommandResponse>;
  /** The full stored history of one aggregate (on an edition when named). */
  history(domain: string, root: Uint8Array, edition?: string): Promise<EventBook>;
  /** The gateway's EditionService, SpeculativeService and EventQuery. */
  readonly editions: Client<typeof EditionService>;
  readonly speculative: Client<typeof SpeculativeService>;
  readonly queries: Client<typeof EventQuery>;
  /** The gateway's `GET /topology`. */
  topology(): Promise<TopologyMap>;
  /** Every aggregate's events that carry the correlation id, one book per aggregate. */
  byCorrelation(correlationId: string): Promise<EventBook[]>;
  /** Reads a projector's read model (opened read-only); undefined while it does not exist yet. */
  readModel<T>(program: string, read: (db: Database) => T, edition?: string): T | undefined;
  /** Present only for an in-process runtime. */
  readonly embedded: EmbeddedControls | undefined;
  /** The runtime's handler programs; undefined when they cannot be reached. */
  readonly programs: ProgramControls | undefined;
  /** Writes beside the runtime; undefined when its store cannot be reached. */
  readonly writer: DirectWriter | undefined;
  stop(): Promise<void>;
}

/** How long each program may take to get healthy when the suite starts a runtime. */
export const STARTUP_HEALTH_MS = 90_000;

/** Per-call deadline, so a hanging runtime fails the step instead of the whole run. */
const CALL_TIMEOUT_MS = 15_000;

/** The gateway-facing half of a backend: commands, queries and read-model files. */
export class GatewayAccess {
  private readonly sessions: Http2SessionManager;
  private readonly commands;
  readonly queries;
  readonly editions;
  readonly speculative;

  constructor(
    private readonly baseUrl: string,
    private readonly readModelsDir: string,
  ) {
    this.sessions = new Http2SessionManager(baseUrl);
    const transport = createConnectTransport({
      baseUrl,
      httpVersion: "2",
      useBinaryFormat: true,
      sessionManager: this.sessions,
    });
    this.commands = createClient(CommandGateway, transport);
    this.queries = createClient(EventQuery, transport);
    this.editions = createClient(EditionService, transport);
    this.speculative = createClient(SpeculativeService, transport);
  }

  async topology(): Promise<TopologyMap> {
    const response = await fetch(new URL("/topology", this.baseUrl), {
      signal: AbortSignal.timeout(CALL_TIMEOUT_MS),
    });
    if (!response.ok) throw new Error(`GET /topology: HTTP ${response.status}`);
    return (await response.json()) as TopologyMap;
  }

  execute(book: CommandBook, syncMode: SyncMode = SyncMode.NONE): Promise<CommandResponse> {
    const options = { timeoutMs: CALL_TIMEOUT_MS };
    if (syncMode === SyncMode.NONE) return this.commands.execute(book, options);
    return this.commands.executeSync({ command: book, syncMode }, options);
  }

  history(domain: string, root: Uint8Array, edition = ""): Promise<EventBook> {
    return this.queries.getEventBook(
      { cover: Covers.make({ domain, root, edition }) },
      { timeoutMs: CALL_TIMEOUT_MS },
    );
  }

  async byCorrelation(correlationId: string): Promise<EventBook[]> {
    const books: EventBook[] = [];
    const stream = this.queries.getEvents(
      { cover: { domain: "", correlationId } },
      { timeoutMs: CALL_TIMEOUT_MS },
    );
    for await (const book of stream) books.push(book);
    return books;
  }

  readModel<T>(program: string, read: (db: Database) => T, edition = ""): T | undefined {
    const main = join(this.readModelsDir, `${program}.db`);
    const path = edition === "" ? main : (editionDbPath(main, edition) ?? main);
    if (!existsSync(path)) return undefined;
    const db = new Database(path, { readonly: true });
    try {
      return read(db);
    } catch (err) {
      // The projector creates its tables at start; a file caught before that has none yet.
      if (err instanceof Error && /no such table/i.test(err.message)) return undefined;
      throw err;
    } finally {
      db.close();
    }
  }

  close(): void {
    this.sessions.abort();
  }
}

/**
 * A runtime's handler programs found among the machine's processes: each is started with
 * `--socket <data>/sockets/<program>.sock` (Linux /proc).
 */
export function processPrograms(data: string): ProgramControls {
  const socketOf = (program: string) => join(data, "sockets", `${program}.sock`);
  const find = (program: string): number | undefined => {
    const socket = socketOf(program);
    for (const entry of readdirSync("/proc")) {
      if (!/^\d+$/.test(entry)) continue;
      let argv: string[];
      try {
        argv = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\u0000");
      } catch {
        continue; // gone meanwhile
      }
      const at = argv.indexOf("--socket");
      if (at >= 0 && argv[at + 1] === socket) return Number(entry);
    }
    return undefined;
  };
  return {
    pid: find,
    kill: (program) => {
      const pid = find(program);
      if (pid === undefined) throw new Error(`${program} is not running`);
      process.kill(pid, "SIGKILL");
      return pid;
    },
    // A restarted program listens on its socket again once it is up.
    runningAgain: (program, killed) => {
      const pid = find(program);
      return pid !== undefined && pid !== killed && existsSync(socketOf(program));
    },
  };
}
