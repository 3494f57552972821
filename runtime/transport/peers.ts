// Clients of the other coordinator processes of a distributed deployment (Connect protocol,
// binary, keep-alive HTTP/1.1: h1-peer-client.ts), by domain (aggregate coordinators,
// ANGZARR_PEERS) or by component name (sagas, projectors, process managers,
// ANGZARR_REACTIVE_PEERS). A peer that cannot be reached answers UNAVAILABLE naming what is down.
import {
  AggregateCoordinator,
  DeadLetterService,
  type EventPage,
  Health,
  PeerCoordinator,
  ProjectionService,
  SpeculativeService,
} from "@angzarr/proto";
import type { Http1Pool } from "@angzarr/sdk";
import type { DescMethodUnary } from "@bufbuild/protobuf";
import { type Client, Code, ConnectError } from "@connectrpc/connect";
import { h1PeerClient, type PeerCallOptions, peerPool, postEncoded } from "./h1-peer-client";
import { DEFAULT_MAX_MESSAGE_BYTES } from "./message-limit";

/** Parses `name=http://host:port,name2=...` (empty = none). Throws naming the bad entry. */
export function parsePeers(text: string | undefined, variable: string): Map<string, string> {
  const peers = new Map<string, string>();
  for (const raw of (text ?? "").split(",")) {
    const entry = raw.trim();
    if (entry === "") continue;
    const eq = entry.indexOf("=");
    const name = eq < 0 ? "" : entry.slice(0, eq).trim();
    const url = eq < 0 ? "" : entry.slice(eq + 1).trim();
    if (name === "" || !/^https?:\/\/[^/]+$/.test(url.replace(/\/$/, ""))) {
      throw new Error(`${variable}: expected name=http://host:port, got ${JSON.stringify(entry)}`);
    }
    if (peers.has(name)) throw new Error(`${variable}: ${name} is listed twice`);
    peers.set(name, url.replace(/\/$/, ""));
  }
  return peers;
}

/**
 * True when the error means the peer could not be reached (no answer came back), not that it
 * answered with an error: a transport failure carries the socket's error as its cause.
 */
export function isUnreachable(err: unknown): boolean {
  if (!(err instanceof ConnectError)) return true;
  const cause = err.cause;
  if (!(cause instanceof Error)) return false;
  const errno = (cause as NodeJS.ErrnoException).code ?? "";
  return (
    /^(ECONNREFUSED|ECONNRESET|EPIPE|ENOTFOUND|EHOSTUNREACH|ETIMEDOUT|ERR_HTTP2)/.test(errno) ||
    /ECONNREFUSED|ECONNRESET|EPIPE|GOAWAY|socket|session|closed/i.test(cause.message)
  );
}

interface Peer {
  url: string;
  pool: Http1Pool;
  aggregate: Client<typeof AggregateCoordinator>;
  peer: Client<typeof PeerCoordinator>;
  speculative: Client<typeof SpeculativeService>;
  /** A reactive role's operator services for its own consumer (the admin role asks them). */
  deadLetters: Client<typeof DeadLetterService>;
  projections: Client<typeof ProjectionService>;
  health: Client<typeof Health>;
  /** A unary call whose request is encoded already; answers the response's bytes. */
  encoded(method: DescMethodUnary, encode: () => Uint8Array, options?: PeerCallOptions): Promise<Uint8Array>;
}

export class PeerClients {
  private readonly clients = new Map<string, Peer>();

  constructor(
    /** Aggregate coordinators by domain. */
    readonly aggregates: Map<string, string>,
    /** Sagas, projectors and process managers by component name. */
    readonly reactive: Map<string, string> = new Map(),
    /** The message limit (config `maxMessageBytes`); responses may be twice as large. */
    private readonly maxMessageBytes = DEFAULT_MAX_MESSAGE_BYTES,
  ) {}

  /** Domains some aggregate coordinator serves. */
  domains(): string[] {
    return [...this.aggregates.keys()];
  }

  private client(url: string): Peer {
    let found = this.clients.get(url);
    if (!found) {
      const pool = peerPool(url);
      const limits = { readMaxBytes: this.maxMessageBytes * 2, writeMaxBytes: this.maxMessageBytes };
      found = {
        url,
        pool,
        aggregate: h1PeerClient(AggregateCoordinator, pool, url, limits),
        peer: h1PeerClient(PeerCoordinator, pool, url, limits),
        speculative: h1PeerClient(SpeculativeService, pool, url, limits),
        deadLetters: h1PeerClient(DeadLetterService, pool, url, limits),
        projections: h1PeerClient(ProjectionService, pool, url, limits),
        health: h1PeerClient(Health, pool, url, limits),
        encoded: (method, encode, options) => postEncoded(pool, url, limits, method, encode, options),
      };
      this.clients.set(url, found);
    }
    return found;
  }

  /** The aggregate coordinator of `domain`; undefined when none is configured. */
  forDomain(domain: string): Peer | undefined {
    const url = this.aggregates.get(domain);
    return url === undefined ? undefined : this.client(url);
  }

  /** A saga, projector or process-manager role by name. */
  forComponent(name: string): Peer | undefined {
    const url = this.reactive.get(name);
    return url === undefined ? undefined : this.client(url);
  }

  private readonly noUpcaster = new Map<string, number>();

  /**
   * Upgrades pages with the upcaster of their domain's aggregate role; a domain whose role said
   * it has none is not asked again for a while.
   */
  upcast = async (domain: string, pages: EventPage[]): Promise<EventPage[]> => {
    const peer = this.forDomain(domain);
    if (!peer || pages.length === 0 || (this.noUpcaster.get(domain) ?? 0) > Date.now()) return pages;
    const answer = await callDomain(domain, () => peer.peer.upcast({ domain, pages }, { timeoutMs: 30_000 }));
    if (!answer.upcaster) this.noUpcaster.set(domain, Date.now() + 10_000);
    return answer.upcaster ? answer.pages : pages;
  };

  close(): void {
    for (const c of this.clients.values()) c.pool.close();
    this.clients.clear();
  }
}

/** UNAVAILABLE naming the domain whose coordinator could not be reached. */
export function coordinatorUnavailable(domain: string, err: unknown): ConnectError {
  const reason = err instanceof ConnectError ? err.rawMessage : (err as Error).message;
  return new ConnectError(
    `aggregate coordinator for domain ${domain} is unavailable: ${reason}`,
    Code.Unavailable,
  );
}

/** Runs a call to a domain's coordinator; an unreachable peer becomes UNAVAILABLE naming the domain. */
export async function callDomain<T>(domain: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (isUnreachable(err)) throw coordinatorUnavailable(domain, err);
    throw err;
  }
}
