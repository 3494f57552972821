// PostgreSQL snapshot, position, dead-letter, causation and edition stores.
import { Editions } from "@angzarr/proto";
import { create } from "@bufbuild/protobuf";
import { AnySchema, TimestampSchema } from "@bufbuild/protobuf/wkt";
import { AlreadyExistsError, InvalidInputError, NotFoundError, UnknownEditionError } from "../errors";
import type {
  AggregateRef,
  CausationKey,
  CausationStore,
  DeadLetterEntry,
  DeadLetterInput,
  DeadLetterStore,
  Divergence,
  EditionRecord,
  EditionStore,
  PositionStore,
  SnapshotRecord,
  SnapshotStore,
} from "../types";
import { bytes, guarded, num, type Sql } from "./client";
import {
  checkCount,
  checkDivergence,
  checkEdition,
  checkPosition,
  checkRef,
  checkRoot,
  checkSequence,
  checkText,
} from "./validate";

export class PostgresSnapshotStore implements SnapshotStore {
  constructor(private readonly sql: Sql) {}

  async get(input: AggregateRef): Promise<SnapshotRecord | undefined> {
    const ref = checkRef(input);
    return await guarded("snapshot get", async () => {
      const [row] = (await this.sql`
        SELECT sequence, type_url, payload FROM snapshots
        WHERE domain = ${ref.domain} AND edition = ${ref.edition} AND root = ${ref.root}`) as {
        sequence: bigint;
        type_url: string;
        payload: Uint8Array;
      }[];
      if (row === undefined) return undefined;
      return {
        sequence: num(row.sequence),
        state: create(AnySchema, { typeUrl: row.type_url, value: bytes(row.payload) }),
      };
    });
  }

  async put(input: AggregateRef, snapshot: SnapshotRecord): Promise<void> {
    const ref = checkRef(input);
    checkSequence(snapshot?.sequence, "snapshot sequence");
    if (!snapshot.state) throw new InvalidInputError("snapshot state is required");
    checkText(snapshot.state.typeUrl, "snapshot type URL");
    await guarded("snapshot put", async () => {
      await this.sql`
        INSERT INTO snapshots (domain, edition, root, sequence, type_url, payload)
        VALUES (${ref.domain}, ${ref.edition}, ${ref.root}, ${snapshot.sequence},
                ${snapshot.state.typeUrl}, ${snapshot.state.value})
        ON CONFLICT (domain, edition, root) DO UPDATE
          SET sequence = EXCLUDED.sequence, type_url = EXCLUDED.type_url,
              payload = EXCLUDED.payload, updated_at = now()`;
    });
  }

  async delete(input: AggregateRef): Promise<void> {
    const ref = checkRef(input);
    await guarded("snapshot delete", async () => {
      await this.sql`
        DELETE FROM snapshots
        WHERE domain = ${ref.domain} AND edition = ${ref.edition} AND root = ${ref.root}`;
    });
  }

  async deleteEdition(domain: string, edition: string): Promise<number> {
    checkText(domain, "domain");
    const name = checkEdition(edition);
    return await guarded("snapshot deleteEdition", async () => {
      const result = await this.sql`DELETE FROM snapshots WHERE domain = ${domain} AND edition = ${name}`;
      return result.count;
    });
  }
}

export class PostgresPositionStore implements PositionStore {
  constructor(private readonly sql: Sql) {}

  async get(consumer: string, domain: string, edition: string): Promise<bigint | undefined> {
    const name = checkKey(consumer, domain, edition);
    return await guarded("position get", async () => {
      const [row] = (await this.sql`
        SELECT position FROM positions
        WHERE consumer = ${consumer} AND domain = ${domain} AND edition = ${name}`) as {
        position: bigint;
      }[];
      return row === undefined ? undefined : BigInt(row.position);
    });
  }

  async put(consumer: string, domain: string, edition: string, position: bigint): Promise<void> {
    const name = checkKey(consumer, domain, edition);
    checkPosition(position);
    await guarded("position put", async () => {
      await this.sql`
        INSERT INTO positions (consumer, domain, edition, position)
        VALUES (${consumer}, ${domain}, ${name}, ${position})
        ON CONFLICT (consumer, domain, edition) DO UPDATE
          SET position = EXCLUDED.position, updated_at = now()`;
    });
  }

  async reset(consumer: string, domain: string, edition: string): Promise<void> {
    const name = checkKey(consumer, domain, edition);
    await guarded("position reset", async () => {
      await this.sql`
        DELETE FROM positions WHERE consumer = ${consumer} AND domain = ${domain} AND edition = ${name}`;
    });
  }
  async deleteEdition(edition: string): Promise<number> {
    const name = checkEdition(edition);
    if (name === Editions.MAIN) throw new InvalidInputError("Cannot delete main timeline checkpoints");
    return await guarded("position deleteEdition", async () => {
      const result = await this.sql`DELETE FROM positions WHERE edition = ${name}`;
      return result.count;
    });
  }
}

/** Checks a (consumer, domain, edition) key; returns the normalised edition. */
function checkKey(consumer: string, domain: string, edition: string): string {
  checkText(consumer, "consumer");
  checkText(domain, "domain");
  return checkEdition(edition);
}

interface DeadLetterRow {
  id: bigint;
  consumer: string;
  domain: string;
  edition: string;
  root: Uint8Array;
  sequence: bigint;
  correlation_id: string;
  reason: string;
  payload_type: string;
  payload: Uint8Array;
  escalated: boolean;
  created_at: Date;
  replayed_at: Date | null;
  dedupe_key: string | null;
}

function deadLetterFromRow(row: DeadLetterRow): DeadLetterEntry {
  return {
    id: num(row.id),
    consumer: row.consumer,
    domain: row.domain,
    edition: row.edition,
    root: bytes(row.root),
    sequence: num(row.sequence),
    correlationId: row.correlation_id,
    reason: row.reason,
    payloadType: row.payload_type,
    payload: bytes(row.payload),
    escalated: row.escalated,
    createdAt: row.created_at,
    ...(row.replayed_at ? { replayedAt: row.replayed_at } : {}),
    ...(row.dedupe_key === null ? {} : { key: row.dedupe_key }),
  };
}

/** Checks a dead letter; returns it with its edition normalised. */
export function checkDeadLetter(entry: DeadLetterInput): DeadLetterInput {
  const edition = checkKey(entry?.consumer, entry?.domain, entry?.edition);
  checkRoot(entry.root);
  checkSequence(entry.sequence);
  checkText(entry.correlationId, "correlationId");
  checkText(entry.reason, "reason");
  checkText(entry.payloadType, "payloadType");
  if (!(entry.payload instanceof Uint8Array)) throw new InvalidInputError("payload must be bytes");
  if (entry.key !== undefined) checkText(entry.key, "key");
  return { ...entry, edition };
}

/** Inserts a checked dead letter (in a transaction or not); returns its id. */
export async function insertDeadLetter(sql: Sql, entry: DeadLetterInput): Promise<number> {
  const key = entry.key ?? null;
  const [row] = (await sql`
    INSERT INTO dead_letters (consumer, domain, edition, root, sequence, correlation_id, reason,
                              payload_type, payload, escalated, dedupe_key)
    VALUES (${entry.consumer}, ${entry.domain}, ${entry.edition}, ${entry.root}, ${entry.sequence},
            ${entry.correlationId}, ${entry.reason}, ${entry.payloadType}, ${entry.payload},
            ${entry.escalated ?? false}, ${key})
    ON CONFLICT (dedupe_key) WHERE replayed_at IS NULL AND dedupe_key IS NOT NULL DO NOTHING
    RETURNING id`) as { id: bigint }[];
  if (row) return num(row.id);
  const [open] = (await sql`
    SELECT id FROM dead_letters WHERE dedupe_key = ${key} AND replayed_at IS NULL`) as { id: bigint }[];
  return num(open?.id ?? 0n);
}

export class PostgresDeadLetterStore implements DeadLetterStore {
  constructor(private readonly sql: Sql) {}

  async add(entry: DeadLetterInput): Promise<number> {
    const checked = checkDeadLetter(entry);
    return await guarded("dead letter add", () => insertDeadLetter(this.sql, checked));
  }

  async list(options?: { includeReplayed?: boolean; consumer?: string }): Promise<DeadLetterEntry[]> {
    const includeReplayed = options?.includeReplayed ?? false;
    const consumer = options?.consumer;
    if (consumer !== undefined) checkText(consumer, "consumer");
    return await guarded("dead letter list", async () => {
      const rows = (await this.sql`
        SELECT * FROM dead_letters
        WHERE (${includeReplayed}::boolean OR replayed_at IS NULL)
          AND (${consumer ?? null}::text IS NULL OR consumer = ${consumer ?? null}::text)
        ORDER BY id`) as DeadLetterRow[];
      return rows.map(deadLetterFromRow);
    });
  }

  async fetch(id: number): Promise<DeadLetterEntry | undefined> {
    checkCount(id, "dead letter id");
    return await guarded("dead letter fetch", async () => {
      const [row] = (await this.sql`SELECT * FROM dead_letters WHERE id = ${id}`) as DeadLetterRow[];
      return row === undefined ? undefined : deadLetterFromRow(row);
    });
  }

  async markReplayed(id: number): Promise<void> {
    checkCount(id, "dead letter id");
    const updated = await guarded("dead letter markReplayed", async () => {
      const result = await this.sql`UPDATE dead_letters SET replayed_at = now() WHERE id = ${id}`;
      return result.count;
    });
    if (updated === 0) throw new NotFoundError(`Unknown dead letter: ${id}`);
  }

  async remove(id: number): Promise<void> {
    checkCount(id, "dead letter id");
    const removed = await guarded("dead letter remove", async () => {
      const result = await this.sql`DELETE FROM dead_letters WHERE id = ${id}`;
      return result.count;
    });
    if (removed === 0) throw new NotFoundError(`Unknown dead letter: ${id}`);
  }
}

/** Checks a causation key; returns it with its edition normalised. */
export function checkCausation(key: CausationKey): CausationKey {
  checkText(key?.component, "component");
  checkText(key.domain, "domain");
  checkRoot(key.root);
  checkSequence(key.sequence);
  return { ...key, edition: checkEdition(key.edition) };
}

export class PostgresCausationStore implements CausationStore {
  constructor(private readonly sql: Sql) {}

  async record(input: CausationKey, outcome?: Uint8Array): Promise<boolean> {
    const key = checkCausation(input);
    if (outcome !== undefined && !(outcome instanceof Uint8Array)) {
      throw new InvalidInputError("outcome must be bytes");
    }
    return await guarded("causation record", async () => {
      const rows = await this.sql`
        INSERT INTO causations (component, domain, edition, root, sequence, outcome)
        VALUES (${key.component}, ${key.domain}, ${key.edition}, ${key.root}, ${key.sequence}, ${outcome ?? null})
        ON CONFLICT DO NOTHING
        RETURNING 1 AS inserted`;
      return rows.length > 0;
    });
  }

  async has(input: CausationKey): Promise<boolean> {
    const key = checkCausation(input);
    return await guarded("causation has", async () => {
      const rows = await this.sql`
        SELECT 1 AS found FROM causations
        WHERE component = ${key.component} AND domain = ${key.domain} AND edition = ${key.edition}
          AND root = ${key.root} AND sequence = ${key.sequence}`;
      return rows.length > 0;
    });
  }

  async outcome(input: CausationKey): Promise<Uint8Array | undefined> {
    const key = checkCausation(input);
    return await guarded("causation outcome", async () => {
      const [row] = (await this.sql`
        SELECT outcome FROM causations
        WHERE component = ${key.component} AND domain = ${key.domain} AND edition = ${key.edition}
          AND root = ${key.root} AND sequence = ${key.sequence}`) as { outcome: Uint8Array | null }[];
      return row?.outcome ? bytes(row.outcome) : undefined;
    });
  }
  async deleteEdition(edition: string): Promise<number> {
    const name = checkEdition(edition);
    if (name === Editions.MAIN) throw new InvalidInputError("Cannot delete main timeline causations");
    return await guarded("causation deleteEdition", async () => {
      const result = await this.sql`DELETE FROM causations WHERE edition = ${name}`;
      return result.count;
    });
  }
}

interface EditionRow {
  name: string;
  description: string;
  created_at: Date;
  divergence_kind: "sequence" | "time" | null;
  divergence_sequence: bigint | null;
  divergence_seconds: bigint | null;
  divergence_nanos: number | null;
  domain_divergences: StoredDomainDivergence[] | string | null;
}

/** One per-domain branch point as stored in the JSON column. */
interface StoredDomainDivergence {
  domain: string;
  kind: "sequence" | "time";
  sequence?: number;
  seconds?: string;
  nanos?: number;
}

function divergenceFromStored(d: StoredDomainDivergence): Divergence {
  return d.kind === "sequence"
    ? { kind: "sequence", sequence: d.sequence ?? 0 }
    : {
        kind: "time",
        time: create(TimestampSchema, { seconds: BigInt(d.seconds ?? 0), nanos: d.nanos ?? 0 }),
      };
}

function storedDomainDivergences(record: EditionRecord): string | null {
  if (record.domainDivergences === undefined) return null;
  return JSON.stringify(
    record.domainDivergences.map(({ domain, divergence }): StoredDomainDivergence => {
      checkText(domain, "divergence domain");
      checkDivergence(divergence);
      return divergence.kind === "sequence"
        ? { domain, kind: "sequence", sequence: divergence.sequence }
        : { domain, kind: "time", seconds: String(divergence.time.seconds), nanos: divergence.time.nanos };
    }),
  );
}

function editionFromRow(row: EditionRow): EditionRecord {
  let divergence: Divergence | undefined;
  if (row.divergence_kind === "sequence") {
    divergence = { kind: "sequence", sequence: num(row.divergence_sequence ?? 0n) };
  } else if (row.divergence_kind === "time") {
    divergence = {
      kind: "time",
      time: create(TimestampSchema, {
        seconds: BigInt(row.divergence_seconds ?? 0n),
        nanos: row.divergence_nanos ?? 0,
      }),
    };
  }
  const stored =
    typeof row.domain_divergences === "string"
      ? (JSON.parse(row.domain_divergences) as StoredDomainDivergence[])
      : row.domain_divergences;
  return {
    name: row.name,
    description: row.description,
    createdAt: row.created_at,
    ...(divergence ? { divergence } : {}),
    ...(stored
      ? { domainDivergences: stored.map((d) => ({ domain: d.domain, divergence: divergenceFromStored(d) })) }
      : {}),
  };
}

export class PostgresEditionStore implements EditionStore {
  constructor(private readonly sql: Sql) {}

  async create(record: EditionRecord): Promise<void> {
    checkText(record?.name, "edition name");
    if (Editions.isMain(record.name)) {
      throw new InvalidInputError(`${JSON.stringify(record.name)} names the main timeline`);
    }
    checkText(record.description ?? "", "edition description");
    if (!(record.createdAt instanceof Date) || Number.isNaN(record.createdAt.getTime())) {
      throw new InvalidInputError("edition createdAt must be a valid Date");
    }
    checkDivergence(record.divergence);
    const d = record.divergence;
    const domains = storedDomainDivergences(record);
    const rows = await guarded("edition create", async () => {
      return await this.sql`
        INSERT INTO editions (name, description, created_at, divergence_kind, divergence_sequence,
                              divergence_seconds, divergence_nanos, domain_divergences)
        VALUES (${record.name}, ${record.description ?? ""}, ${record.createdAt}, ${d?.kind ?? null},
                ${d?.kind === "sequence" ? d.sequence : null}::int8,
                ${d?.kind === "time" ? d.time.seconds : null}::int8,
                ${d?.kind === "time" ? d.time.nanos : null}::int4,
                ${domains}::jsonb)
        ON CONFLICT (name) DO NOTHING
        RETURNING 1 AS inserted`;
    });
    if (rows.length === 0) throw new AlreadyExistsError(`Edition already exists: ${record.name}`);
  }

  async get(name: string): Promise<EditionRecord | undefined> {
    checkText(name, "edition name");
    return await guarded("edition get", async () => {
      const [row] = (await this.sql`SELECT * FROM editions WHERE name = ${name}`) as EditionRow[];
      return row === undefined ? undefined : editionFromRow(row);
    });
  }

  async list(): Promise<EditionRecord[]> {
    return await guarded("edition list", async () => {
      const rows = (await this.sql`SELECT * FROM editions ORDER BY name`) as EditionRow[];
      return rows.map(editionFromRow);
    });
  }

  async delete(name: string): Promise<void> {
    checkText(name, "edition name");
    const deleted = await guarded("edition delete", async () => {
      const result = await this.sql`DELETE FROM editions WHERE name = ${name}`;
      return result.count;
    });
    if (deleted === 0) throw new UnknownEditionError(name);
  }
}
