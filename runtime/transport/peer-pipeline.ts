// The command side of a process that does not own the command's domain (distributed mode): the
// gateway, and saga / process-manager roles sending what they decided. Each command goes to the
// aggregate coordinator of its cover's domain; timelines resolve against the shared store. And
// the aggregate side's view of the reactive roles for SYNC_MODE_SIMPLE / CASCADE.
import {
  AggregateCoordinator,
  type CommandBook,
  type CommandResponse,
  type DryRunRequest,
  type EventBook,
  PeerCausationSchema,
  type Projection,
  SyncCommandBookSchema,
  SyncMode,
} from "@angzarr/proto";
import { create } from "@bufbuild/protobuf";
import type {
  CascadeResult,
  CommandOutcome,
  DownstreamRunner,
  RunOptions,
} from "../coordinator/aggregate-pipeline";
import { EditionResolver } from "../coordinator/editions";
import * as E from "../coordinator/errors";
import { fieldSize, writeField } from "../coordinator/handler-request";
import type { CommandPipeline } from "../coordinator/ports";
import type { EditionStore } from "../storage/types";
import { callDomain, coordinatorUnavailable, isUnreachable, type PeerClients } from "./peers";

/** Per-call deadline towards a peer coordinator (a command may wait on handlers and downstream). */
const CALL_TIMEOUT_MS = 60_000;

export class PeerPipeline implements CommandPipeline {
  readonly editions: EditionResolver;

  constructor(
    private readonly peers: PeerClients,
    editions: EditionStore,
  ) {
    this.editions = new EditionResolver(editions);
  }

  private peerOf(book: CommandBook | undefined) {
    const cover = book?.cover;
    if (!cover) throw E.invalid(E.Messages.noCover);
    const peer = this.peers.forDomain(cover.domain);
    if (!peer) throw E.notFound(E.Messages.unknownDomain(cover.domain));
    return { domain: cover.domain, peer };
  }

  async execute(book: CommandBook, syncMode: SyncMode = SyncMode.NONE): Promise<CommandResponse> {
    const { domain, peer } = this.peerOf(book);
    return callDomain(domain, () =>
      peer.aggregate.handleSync(create(SyncCommandBookSchema, { command: book, syncMode }), {
        timeoutMs: CALL_TIMEOUT_MS,
      }),
    );
  }

  /**
   * `execute` (SyncMode NONE) of a client's CommandBook as the bytes it sent, for a cover of
   * `domain`: the aggregate coordinator gets them inside a SyncCommandBook without a decode and
   * re-encode here, and its CommandResponse comes back as its bytes.
   */
  executeEncoded(domain: string, book: Uint8Array): Promise<Uint8Array> {
    const peer = this.peers.forDomain(domain);
    if (!peer) throw E.notFound(E.Messages.unknownDomain(domain));
    return callDomain(domain, () =>
      peer.encoded(AggregateCoordinator.method.handleSync, () => syncCommandBytes(book), {
        timeoutMs: CALL_TIMEOUT_MS,
      }),
    );
  }

  async dryRun(request: DryRunRequest): Promise<CommandResponse> {
    if (!request.command) throw E.invalid(E.Messages.dryRunNoCommand);
    const { domain, peer } = this.peerOf(request.command);
    return callDomain(domain, () => peer.aggregate.dryRunHandle(request, { timeoutMs: CALL_TIMEOUT_MS }));
  }

  async run(book: CommandBook, options: RunOptions = {}): Promise<CommandOutcome> {
    const { domain, peer } = this.peerOf(book);
    const c = options.causation;
    const response = await callDomain(domain, () =>
      peer.peer.run(
        {
          command: book,
          ...(c
            ? {
                causation: create(PeerCausationSchema, {
                  component: c.component,
                  domain: c.domain,
                  edition: c.edition,
                  root: c.root,
                  sequence: c.sequence,
                }),
              }
            : {}),
        },
        { timeoutMs: CALL_TIMEOUT_MS },
      ),
    );
    const outcome = response.outcome;
    if (outcome.case === "revocation" && outcome.value.revocation && outcome.value.cover) {
      return { kind: "revocation", revocation: outcome.value.revocation, cover: outcome.value.cover };
    }
    if (outcome.case === "events") return { kind: "events", book: outcome.value };
    throw E.internal(`aggregate coordinator for domain ${domain} answered Run without an outcome`);
  }
}

/** SyncCommandBook{command: book} encoded (sync_mode NONE, the default, is not written). */
export function syncCommandBytes(book: Uint8Array): Uint8Array {
  const out = new Uint8Array(fieldSize(book.length));
  writeField(out, 0, 0x0a, book); // SyncCommandBook.command
  return out;
}

/** A reactive role an aggregate coordinator waits for under SIMPLE (projectors) or CASCADE (all). */
export interface ReactivePeer {
  name: string;
  /** Synchronous projectors: asked under SIMPLE too. */
  synchronous: boolean;
}

/**
 * SIMPLE and CASCADE across processes: each reactive role runs its part for a persisted book and
 * answers with its projections and the books its reactions persisted, which CASCADE follows.
 */
export class PeerDownstream implements DownstreamRunner {
  constructor(
    private readonly peers: PeerClients,
    private readonly roles: ReactivePeer[],
    private readonly maxDepth = 16,
  ) {}

  private async ask(role: ReactivePeer, book: EventBook, cascade: boolean) {
    const peer = this.peers.forComponent(role.name);
    if (!peer) throw new Error(`no address for ${role.name} in ANGZARR_REACTIVE_PEERS`);
    try {
      return await peer.peer.react({ book, cascade }, { timeoutMs: CALL_TIMEOUT_MS });
    } catch (err) {
      if (isUnreachable(err))
        throw new Error(`${role.name} is unavailable: ${coordinatorUnavailable(role.name, err).rawMessage}`);
      throw err;
    }
  }

  async projectors(book: EventBook): Promise<Projection[]> {
    const answers = await Promise.all(
      this.roles.filter((r) => r.synchronous).map((role) => this.ask(role, book, false)),
    );
    return answers.flatMap((a) => a.projections);
  }

  async cascade(book: EventBook): Promise<CascadeResult> {
    const projections: Projection[] = [];
    const failures: string[] = [];
    const follow = async (current: EventBook, depth: number): Promise<void> => {
      if (depth > this.maxDepth) {
        failures.push(`runtime: cascade deeper than ${this.maxDepth} steps`);
        return;
      }
      const answers = await Promise.all(
        this.roles.map(async (role) => {
          try {
            return await this.ask(role, current, true);
          } catch (err) {
            failures.push(`${role.name}: ${(err as Error).message}`);
            return undefined;
          }
        }),
      );
      const caused: EventBook[] = [];
      for (const a of answers) {
        if (!a) continue;
        projections.push(...a.projections);
        failures.push(...a.failures);
        caused.push(...a.caused);
      }
      for (const next of caused) await follow(next, depth + 1);
    };
    await follow(book, 0);
    return { projections, failures };
  }
}
