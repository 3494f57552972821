// Versioned schema migrations. `migrate` runs in one transaction under an advisory lock keyed by the
// schema name, so two processes opening the same schema at once apply each version exactly once.
import type { Sql } from "./client";

interface Migration {
  version: number;
  name: string;
  /** DDL for `schema` (a validated identifier, safe to interpolate). */
  sql: (schema: string) => string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "events, snapshots, positions, dead letters, causations, editions",
    sql: (schema) => `
      -- Global positions. Only alloc_positions() draws from this sequence (see below).
      CREATE SEQUENCE event_position_seq AS bigint START 1 CACHE 1;

      CREATE TABLE events (
        domain          text COLLATE "C" NOT NULL,
        edition         text COLLATE "C" NOT NULL,
        root            bytea NOT NULL,
        sequence        bigint NOT NULL CHECK (sequence BETWEEN 0 AND 4294967295),
        type_url        text COLLATE "C",          -- NULL: the page carried no event
        payload         bytea,
        created_seconds bigint NOT NULL,
        created_nanos   integer NOT NULL CHECK (created_nanos BETWEEN 0 AND 999999999),
        correlation_id  text COLLATE "C" NOT NULL,
        position        bigint NOT NULL,
        tx_id           xid8 NOT NULL DEFAULT pg_current_xact_id(),
        PRIMARY KEY (domain, edition, root, sequence)
      );
      CREATE UNIQUE INDEX events_position ON events (position);
      CREATE INDEX events_correlation ON events (correlation_id);

      -- Hands out n consecutive global positions and returns the first.
      --
      -- Catch-up readers only read rows whose tx_id is below the xmin of their snapshot (every
      -- transaction with a lower id has finished). That is only safe if positions are handed out
      -- in transaction-id order: otherwise an old transaction could commit position 7 while a
      -- younger, still-open one holds position 6, and a reader would pass 6 for good. So the
      -- transaction id is assigned here, together with the positions, under a short session-level
      -- advisory lock (released before returning, not held until commit). Appends call this before
      -- their first write, so no append transaction has an id before it gets here.
      CREATE FUNCTION alloc_positions(n integer) RETURNS bigint
      LANGUAGE plpgsql AS $fn$
      DECLARE
        lock_key constant bigint := hashtextextended('angzarr:positions:${schema}', 0);
        first_position bigint;
      BEGIN
        PERFORM pg_advisory_lock(lock_key);
        BEGIN
          PERFORM pg_current_xact_id();
          first_position := nextval('${schema}.event_position_seq');
          IF n > 1 THEN
            PERFORM setval('${schema}.event_position_seq', first_position + n - 1);
          END IF;
        EXCEPTION WHEN OTHERS OR query_canceled THEN
          PERFORM pg_advisory_unlock(lock_key);
          RAISE;
        END;
        PERFORM pg_advisory_unlock(lock_key);
        RETURN first_position;
      END
      $fn$;

      CREATE TABLE snapshots (
        domain     text COLLATE "C" NOT NULL,
        edition    text COLLATE "C" NOT NULL,
        root       bytea NOT NULL,
        sequence   bigint NOT NULL,
        type_url   text COLLATE "C" NOT NULL,
        payload    bytea NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (domain, edition, root)
      );

      CREATE TABLE positions (
        consumer   text COLLATE "C" NOT NULL,
        domain     text COLLATE "C" NOT NULL,
        edition    text COLLATE "C" NOT NULL,
        position   bigint NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (consumer, domain, edition)
      );

      CREATE TABLE dead_letters (
        id             bigserial PRIMARY KEY,
        consumer       text COLLATE "C" NOT NULL,
        domain         text COLLATE "C" NOT NULL,
        edition        text COLLATE "C" NOT NULL,
        root           bytea NOT NULL,
        sequence       bigint NOT NULL,
        correlation_id text COLLATE "C" NOT NULL,
        reason         text NOT NULL,
        payload_type   text COLLATE "C" NOT NULL,
        payload        bytea NOT NULL,
        escalated      boolean NOT NULL DEFAULT false,
        created_at     timestamptz NOT NULL DEFAULT now(),
        replayed_at    timestamptz
      );
      CREATE INDEX dead_letters_consumer ON dead_letters (consumer, id);

      CREATE TABLE causations (
        component   text COLLATE "C" NOT NULL,
        domain      text COLLATE "C" NOT NULL,
        edition     text COLLATE "C" NOT NULL,
        root        bytea NOT NULL,
        sequence    bigint NOT NULL,
        outcome     bytea,
        recorded_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (component, domain, edition, root, sequence)
      );

      CREATE TABLE editions (
        name                text COLLATE "C" PRIMARY KEY,
        description         text NOT NULL,
        created_at          timestamptz NOT NULL,
        divergence_kind     text CHECK (divergence_kind IN ('sequence', 'time')),
        divergence_sequence bigint,
        divergence_seconds  bigint,
        divergence_nanos    integer
      );
    `,
  },
  {
    version: 2,
    name: "outbox",
    // Saga and PM deliveries decided but not yet settled (status pending), and what became of the
    // others. One entry per (cause, name); a lane's pending entries are delivered in id order.
    sql: () => `
      CREATE TABLE outbox (
        id         bigserial PRIMARY KEY,
        component  text COLLATE "C" NOT NULL,
        domain     text COLLATE "C" NOT NULL,
        edition    text COLLATE "C" NOT NULL,
        root       bytea NOT NULL,
        sequence   bigint NOT NULL,
        name       text COLLATE "C" NOT NULL,
        lane       text COLLATE "C" NOT NULL,
        kind       text COLLATE "C" NOT NULL,
        payload    bytea NOT NULL,
        status     text NOT NULL CHECK (status IN ('pending', 'delivered', 'rejected', 'parked')),
        attempts   integer NOT NULL DEFAULT 0,
        due_at_ms  bigint NOT NULL DEFAULT 0,
        last_error text NOT NULL DEFAULT '',
        result     bytea,
        created_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (component, domain, edition, root, sequence, name)
      );
      CREATE INDEX outbox_pending ON outbox (lane, id) WHERE status = 'pending';
    `,
  },
  {
    version: 3,
    name: "dead letter keys",
    // One entry per key among those not replayed yet.
    sql: () => `
      ALTER TABLE dead_letters ADD COLUMN dedupe_key text COLLATE "C";
      CREATE UNIQUE INDEX dead_letters_open_key ON dead_letters (dedupe_key)
        WHERE replayed_at IS NULL AND dedupe_key IS NOT NULL;
    `,
  },
  {
    version: 4,
    name: "checkpoints per timeline",
    // Async consumers of one domain used to keep one checkpoint over all its timelines, under
    // edition '*'; they now keep one per timeline. Every timeline the domain holds events in starts
    // where the old cursor was (it had passed every event up to there, whatever its timeline).
    sql: () => `
      INSERT INTO positions (consumer, domain, edition, position)
        SELECT p.consumer, p.domain, t.edition, p.position
        FROM positions p JOIN (SELECT DISTINCT domain, edition FROM events) t ON t.domain = p.domain
        WHERE p.edition = '*' AND p.domain <> ''
        ON CONFLICT (consumer, domain, edition) DO NOTHING;
      DELETE FROM positions WHERE edition = '*' AND domain <> '';
    `,
  },
  {
    version: 5,
    name: "edition domain divergences",
    // JSON array of {domain, kind: "sequence"|"time", sequence?, seconds?, nanos?}; NULL = none.
    sql: () => "ALTER TABLE editions ADD COLUMN domain_divergences jsonb",
  },
];

/** Creates the schema if needed and applies every migration it has not seen yet. */
export async function migrate(sql: Sql, schema: string): Promise<number[]> {
  return await sql.begin(async (tx) => {
    await tx`SELECT pg_advisory_xact_lock(hashtextextended(${`angzarr:migrate:${schema}`}, 0))`;
    await tx.unsafe(`
      CREATE SCHEMA IF NOT EXISTS ${schema};
      CREATE TABLE IF NOT EXISTS ${schema}.schema_migrations (
        version    integer PRIMARY KEY,
        name       text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now()
      );
    `);
    const rows: { version: number }[] = await tx.unsafe(`SELECT version FROM ${schema}.schema_migrations`);
    const seen = new Set(rows.map((r) => Number(r.version)));
    const applied: number[] = [];
    for (const migration of MIGRATIONS) {
      if (seen.has(migration.version)) continue;
      await tx.unsafe(`SET LOCAL search_path TO ${schema};\n${migration.sql(schema)}`);
      await tx.unsafe(`INSERT INTO ${schema}.schema_migrations (version, name) VALUES ($1, $2)`, [
        migration.version,
        migration.name,
      ]);
      applied.push(migration.version);
    }
    return applied;
  });
}
