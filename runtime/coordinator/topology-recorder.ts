// Topology recording (runtime.md §10): what the graph served at `GET /topology` is built from,
// kept in the event store so any process (the gateway of a distributed deployment too) can read
// it. Each publisher (a runtime process, or a role in distributed mode) owns one aggregate of the
// `_meta.topology` domain (root uuidv5(OID, "angzarr" + "_meta.topology" + publisher)) holding:
// - batches of ComponentDescriptor pages, one batch per start whose components changed, all pages
//   of a batch sharing the correlation id `topology:{publisher}:{millis}` (the latest batch is
//   the publisher's current set of components);
// - angzarr.ext.TopologyFlow pages, one per flow (source domain → saga/PM → target domain) the
//   first time this process sees it, with the correlation id it was seen with.
// At start the descriptors are also published as the contract's meta book (no root, one page per
// component numbered by index), which consumers tolerate.
import {
  AnyPayload,
  type ComponentDescriptor,
  ComponentDescriptorSchema,
  CoverSchema,
  EventBookSchema,
  EventPageSchema,
  EventPages,
  type TopologyFlow,
  TopologyFlowSchema,
  Uuid,
} from "@angzarr/proto";
import { create, equals } from "@bufbuild/protobuf";
import type { EventBus } from "../bus/types";
import { type Logger, log as rootLog } from "../observability/log";
import type { AggregateRef, EventStore, StoredEvent } from "../storage/types";
import { TOPOLOGY_DOMAIN } from "./domains";

/** One observed flow of events into another domain through a saga or process manager. */
export interface Flow {
  from: string;
  component: string;
  to: string;
  correlationId: string;
}

/** Told about flows as reactions persist events (saga and PM coordinators). */
export interface FlowListener {
  flow(flow: Flow): void;
}

/** The `_meta.topology` aggregate of one publisher. */
export function topologyRoot(publisher: string): Uint8Array {
  return Uuid.v5Bytes(Uuid.NAMESPACE_OID, `angzarr${TOPOLOGY_DOMAIN}${publisher}`);
}

export const flowKey = (f: { from: string; component: string; to: string }) =>
  `${f.from}\u0000${f.component}\u0000${f.to}`;

export function toFlow(f: TopologyFlow): Flow {
  return { from: f.fromDomain, component: f.component, to: f.toDomain, correlationId: f.correlationId };
}

/** Every stored `_meta.topology` event (a small domain), in log order, after `after`. */
export async function readTopology(events: EventStore, after = 0n): Promise<StoredEvent[]> {
  const out: StoredEvent[] = [];
  for (let position = after; ; ) {
    const batch = await events.readAll(position, 1000, { domain: TOPOLOGY_DOMAIN, edition: "" });
    out.push(...batch);
    if (batch.length < 1000) return out;
    position = (batch.at(-1) as StoredEvent).position;
  }
}

export class TopologyRecorder implements FlowListener {
  private readonly ref: AggregateRef;
  private readonly known = new Set<string>();
  /** Appends one at a time: they all go to the publisher's one aggregate. */
  private writes: Promise<unknown> = Promise.resolve();
  private readonly log: Logger;

  constructor(
    private readonly events: EventStore,
    private readonly bus: EventBus,
    readonly publisher: string,
    log?: Logger,
  ) {
    this.ref = { domain: TOPOLOGY_DOMAIN, edition: "", root: topologyRoot(publisher) };
    this.log = log ?? rootLog.child({ component: "topology" });
  }

  /**
   * Records this start's components (a new batch only when they differ from the stored ones),
   * remembers the flows already recorded, and publishes the meta book.
   */
  async start(descriptors: ComponentDescriptor[]): Promise<void> {
    const mine = (await readTopology(this.events)).filter((e) => Buffer.compare(e.root, this.ref.root) === 0);
    for (const e of mine) {
      if (AnyPayload.is(e.page.event, TopologyFlowSchema)) {
        this.known.add(flowKey(toFlow(AnyPayload.unpack(e.page.event, TopologyFlowSchema))));
      }
    }
    const described = mine.filter((e) => AnyPayload.is(e.page.event, ComponentDescriptorSchema));
    const batch = described.at(-1)?.correlationId;
    const latest = described
      .filter((e) => e.correlationId === batch)
      .map((e) => AnyPayload.unpack(e.page.event, ComponentDescriptorSchema));
    const same =
      latest.length === descriptors.length &&
      latest.every((d, i) => {
        const other = descriptors[i];
        return other !== undefined && equals(ComponentDescriptorSchema, d, other);
      });
    if (!same && descriptors.length > 0) {
      const correlationId = `topology:${this.publisher}:${Date.now()}`;
      const pages = descriptors.map((d) => EventPages.forced(AnyPayload.pack(ComponentDescriptorSchema, d)));
      await this.events.append(this.ref, pages, { correlationId });
      this.log.info("topology.descriptors_recorded", {
        publisher: this.publisher,
        components: descriptors.length,
      });
    }
    await this.publishMetaBook(descriptors);
  }

  private async publishMetaBook(descriptors: ComponentDescriptor[]): Promise<void> {
    const book = create(EventBookSchema, {
      cover: create(CoverSchema, { domain: TOPOLOGY_DOMAIN }),
      pages: descriptors.map((d, i) =>
        create(EventPageSchema, {
          sequence: { case: "num", value: i },
          event: AnyPayload.pack(ComponentDescriptorSchema, d),
        }),
      ),
    });
    try {
      await this.bus.publish(book);
    } catch (err) {
      this.log.warn("topology.publish_failed", { error: (err as Error).message });
    }
  }

  /** Records a flow the first time this process sees it (never fails the reaction). */
  flow(flow: Flow): void {
    if (flow.from === "" || flow.to === "") return;
    const key = flowKey(flow);
    if (this.known.has(key)) return;
    this.known.add(key);
    const page = EventPages.forced(
      AnyPayload.pack(
        TopologyFlowSchema,
        create(TopologyFlowSchema, {
          fromDomain: flow.from,
          component: flow.component,
          toDomain: flow.to,
          correlationId: flow.correlationId,
        }),
      ),
    );
    this.writes = this.writes
      // Stored under the recorder's own correlation id: the workflow's queries never see it (the
      // workflow it was seen with is in the payload).
      .then(() => this.events.append(this.ref, [page], { correlationId: `topology:${this.publisher}` }))
      .catch((err: unknown) => {
        this.known.delete(key); // try again when it is seen next
        this.log.warn("topology.flow_not_recorded", { ...flow, error: (err as Error).message });
      });
  }

  /** Resolves once every flow handed over so far is stored (tests, shutdown). */
  async flushed(): Promise<void> {
    await this.writes;
  }
}
