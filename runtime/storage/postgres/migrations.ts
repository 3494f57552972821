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
  {
    version: 6,
    name: "outbox trace context",
    // W3C traceparent of the reaction that decided the entry ('' = untraced).
    sql: () => "ALTER TABLE outbox ADD COLUMN traceparent text NOT NULL DEFAULT ''",
  },
  {
    version: 7,
    name: "one-statement main-timeline append",
    // A main-timeline append as one statement, i.e. one round trip in its own transaction: the
    // aggregate's advisory lock (the key the client computes for every other writer too), the next
    // number (each statement of a plpgsql function sees what committed before it), the number
    // check, positions (alloc_positions, before the first write), the causation claim, the pages
    // and the snapshot. r_outcome: 'written'; 'refused' (numbers or range: nothing taken, r_next
    // says what was expected); 'duplicate' (the causation was recorded already: nothing written).
    sql: (schema) => appendMainFunction(schema, false),
  },
  {
    version: 8,
    name: "one-statement outbox write",
    // An outbox write without appends or dead letter (a saga's or PM's decision of commands, the
    // settlement of a delivered entry) as one statement, i.e. one round trip in its own
    // transaction, with the guards of the general path in the same order before any write: the
    // causation recorded already, the settled entry no longer pending, an entry name taken under
    // its cause → 'duplicate', nothing written. Then the causation claim (with the outcome: the
    // write has no pages, so the client computed it), the settlement, and the entries in the
    // order given (ids ascending). One row per entry ('written', id, created_at), or one row with
    // NULLs when it enqueued none or was a duplicate.
    sql: (schema) => `
      CREATE FUNCTION outbox_write_one(
        p_c_component text, p_c_domain text, p_c_edition text, p_c_root bytea, p_c_sequence bigint,
        p_outcome bytea, p_settle_id bigint, p_settle_status text,
        p_e_component text[], p_e_domain text[], p_e_edition text[], p_e_root bytea[],
        p_e_sequence bigint[], p_e_name text[], p_e_lane text[], p_e_kind text[], p_e_payload bytea[],
        p_e_trace text[])
      RETURNS TABLE (r_kind text, r_id bigint, r_created timestamptz)
      LANGUAGE plpgsql AS $fn$
      DECLARE
        v_status text;
        v_claimed integer;
      BEGIN
        IF p_c_component IS NOT NULL AND EXISTS (
            SELECT 1 FROM ${schema}.causations c
            WHERE c.component = p_c_component AND c.domain = p_c_domain AND c.edition = p_c_edition
              AND c.root = p_c_root AND c.sequence = p_c_sequence) THEN
          RETURN QUERY SELECT 'duplicate'::text, NULL::bigint, NULL::timestamptz;
          RETURN;
        END IF;
        IF p_settle_id IS NOT NULL THEN
          SELECT o.status INTO v_status FROM ${schema}.outbox o WHERE o.id = p_settle_id FOR UPDATE;
          IF v_status IS DISTINCT FROM 'pending' THEN
            RETURN QUERY SELECT 'duplicate'::text, NULL::bigint, NULL::timestamptz;
            RETURN;
          END IF;
        END IF;
        -- One index lookup per entry (a join with the arrays may plan as a scan of the outbox).
        FOR i IN 1 .. COALESCE(cardinality(p_e_name), 0) LOOP
          IF EXISTS (
              SELECT 1 FROM ${schema}.outbox o
              WHERE o.component = p_e_component[i] AND o.domain = p_e_domain[i] AND o.edition = p_e_edition[i]
                AND o.root = p_e_root[i] AND o.sequence = p_e_sequence[i] AND o.name = p_e_name[i]) THEN
            RETURN QUERY SELECT 'duplicate'::text, NULL::bigint, NULL::timestamptz;
            RETURN;
          END IF;
        END LOOP;
        IF p_c_component IS NOT NULL THEN
          INSERT INTO ${schema}.causations (component, domain, edition, root, sequence, outcome)
            VALUES (p_c_component, p_c_domain, p_c_edition, p_c_root, p_c_sequence, p_outcome)
            ON CONFLICT DO NOTHING;
          GET DIAGNOSTICS v_claimed = ROW_COUNT;
          IF v_claimed = 0 THEN
            RETURN QUERY SELECT 'duplicate'::text, NULL::bigint, NULL::timestamptz;
            RETURN;
          END IF;
        END IF;
        IF p_settle_id IS NOT NULL THEN
          UPDATE ${schema}.outbox SET status = p_settle_status, result = p_outcome WHERE id = p_settle_id;
        END IF;
        RETURN QUERY
          INSERT INTO ${schema}.outbox (component, domain, edition, root, sequence, name, lane, kind, payload,
                                        status, traceparent)
            SELECT e.component, e.domain, e.edition, e.root, e.sequence, e.name, e.lane, e.kind, e.payload,
                   'pending', e.trace
            FROM unnest(p_e_component, p_e_domain, p_e_edition, p_e_root, p_e_sequence, p_e_name, p_e_lane,
                        p_e_kind, p_e_payload, p_e_trace)
              WITH ORDINALITY AS e(component, domain, edition, root, sequence, name, lane, kind, payload, trace, i)
            ORDER BY e.i
          RETURNING 'written'::text, id, created_at;
        IF NOT FOUND THEN
          RETURN QUERY SELECT 'written'::text, NULL::bigint, NULL::timestamptz;
        END IF;
      END
      $fn$;
    `,
  },
  {
    version: 9,
    name: "catch-up reads by timeline",
    // A consumer reads its domain's timeline after its checkpoint (readAll with a domain and an
    // edition, in position order). Without an index for it the generic plan took the primary
    // key's (domain, edition) prefix or events_position and filtered: every catch-up looked at
    // the whole domain or the whole log after it (1.5 ms of backend CPU per read at 10,000
    // events in the domain, growing). The index is on an expression, (domain, edition) as one
    // key (the domain's length first: no two pairs give one key), so that no other query can
    // take it: a plain (domain, edition, position) index shares the primary key's prefix, and a
    // table without statistics yet had the appends' lookups of one aggregate's last sequence
    // scanning it (the whole domain per append).
    sql: () =>
      "CREATE INDEX events_timeline_position ON events ((length(domain)::text || ':' || domain || edition), position)",
  },
  {
    version: 10,
    name: "event trace context",
    // W3C traceparent of the operation that appended the page (NULL = untraced): a consumer that
    // reads the page before its bus message continues that trace. append_main takes it along.
    sql: (schema) => `
      ALTER TABLE events ADD COLUMN traceparent text;
      DROP FUNCTION append_main(text, text, bytea, bigint, bigint, text[], bytea[], bigint[],
        integer[], text, text, bytea, text, text, text, bytea, bigint);
      ${appendMainFunction(schema, true)}`,
  },
  {
    version: 11,
    name: "group commit of main-timeline appends",
    // See appendMainBatchFunction.
    sql: (schema) => appendMainBatchFunction(schema, "max"),
  },
  {
    version: 12,
    name: "group commit of outbox writes",
    // Several one-statement outbox writes (a saga's or PM's decision, a settlement) in one
    // statement, i.e. one round trip and one commit (outbox.ts, group-commit.ts): each is
    // outbox_write_one, in the order given, so each keeps its own guards and its own 'duplicate'
    // (which writes nothing for that write alone). Entries come flattened, p_counts[i] for
    // write i. Rows as outbox_write_one's, with the write's 1-based place first.
    sql: (schema) => `
      CREATE FUNCTION outbox_write_batch(
        p_c_component text[], p_c_domain text[], p_c_edition text[], p_c_root bytea[], p_c_sequence bigint[],
        p_outcome bytea[], p_settle_id bigint[], p_settle_status text[], p_counts integer[],
        p_e_component text[], p_e_domain text[], p_e_edition text[], p_e_root bytea[],
        p_e_sequence bigint[], p_e_name text[], p_e_lane text[], p_e_kind text[], p_e_payload bytea[],
        p_e_trace text[])
      RETURNS TABLE (r_item integer, r_kind text, r_id bigint, r_created timestamptz)
      LANGUAGE plpgsql AS $fn$
      DECLARE
        v_at integer := 0;
        v_to integer;
      BEGIN
        FOR i IN 1 .. COALESCE(cardinality(p_counts), 0) LOOP
          v_to := v_at + p_counts[i];
          RETURN QUERY SELECT i, w.r_kind, w.r_id, w.r_created FROM ${schema}.outbox_write_one(
            p_c_component[i], p_c_domain[i], p_c_edition[i], p_c_root[i], p_c_sequence[i],
            p_outcome[i], p_settle_id[i], p_settle_status[i],
            p_e_component[v_at + 1 : v_to], p_e_domain[v_at + 1 : v_to], p_e_edition[v_at + 1 : v_to],
            p_e_root[v_at + 1 : v_to], p_e_sequence[v_at + 1 : v_to], p_e_name[v_at + 1 : v_to],
            p_e_lane[v_at + 1 : v_to], p_e_kind[v_at + 1 : v_to], p_e_payload[v_at + 1 : v_to],
            p_e_trace[v_at + 1 : v_to]) w;
          v_at := v_to;
        END LOOP;
      END
      $fn$;`,
  },
  {
    version: 13,
    name: "appends read one index entry for the next sequence",
    // append_main and append_main_batch read the aggregate's last sequence as the last entry of
    // the primary key's range instead of max() (see NextSequence); nothing else changes.
    sql: (schema) =>
      `${appendMainFunction(schema, true, "last")}\n${appendMainBatchFunction(schema, "last")}`,
  },
];

/**
 * append_main (migration 7; migration 10 adds `p_traceparent`, kept with every page; migration
 * 13 reads the next sequence as "last"). One text for all, so that they differ only there.
 */
function appendMainFunction(schema: string, traced: boolean, next: NextSequence = "max"): string {
  return `
      ${next === "max" ? "CREATE" : "CREATE OR REPLACE"} FUNCTION append_main(
        p_lock text, p_domain text, p_root bytea, p_expected bigint, p_max bigint,
        p_types text[], p_payloads bytea[], p_seconds bigint[], p_nanos integer[], p_correlation text,
        p_snapshot_type text, p_snapshot bytea,
        p_c_component text, p_c_domain text, p_c_edition text, p_c_root bytea, p_c_sequence bigint${traced ? ", p_traceparent text" : ""})
      RETURNS TABLE (r_outcome text, r_next bigint, r_first bigint)
      LANGUAGE plpgsql AS $fn$
      DECLARE
        n constant integer := cardinality(p_types);
        v_next bigint;
        v_first bigint;
        v_claimed integer;
      BEGIN
        PERFORM pg_advisory_xact_lock(hashtextextended(p_lock, 0));
        ${nextSequence(schema, next, "v_next", "p_domain", "p_root", "          ")}
        IF (p_expected IS NOT NULL AND p_expected <> v_next) OR v_next + n - 1 > p_max THEN
          RETURN QUERY SELECT 'refused'::text, v_next, NULL::bigint;
          RETURN;
        END IF;
        v_first := ${schema}.alloc_positions(n);
        IF p_c_component IS NOT NULL THEN
          INSERT INTO ${schema}.causations (component, domain, edition, root, sequence, outcome)
            VALUES (p_c_component, p_c_domain, p_c_edition, p_c_root, p_c_sequence, NULL)
            ON CONFLICT DO NOTHING;
          GET DIAGNOSTICS v_claimed = ROW_COUNT;
          IF v_claimed = 0 THEN
            RETURN QUERY SELECT 'duplicate'::text, v_next, v_first;
            RETURN;
          END IF;
        END IF;
        INSERT INTO ${schema}.events (domain, edition, root, sequence, type_url, payload,
                                      created_seconds, created_nanos, correlation_id, position${traced ? ", traceparent" : ""})
          SELECT p_domain, '', p_root, v_next + t.i - 1, t.type_url, t.payload, t.secs, t.nanos,
                 p_correlation, v_first + t.i - 1${traced ? ", p_traceparent" : ""}
          FROM unnest(p_types, p_payloads, p_seconds, p_nanos) WITH ORDINALITY AS t(type_url, payload, secs, nanos, i);
        IF p_snapshot_type IS NOT NULL THEN
          INSERT INTO ${schema}.snapshots (domain, edition, root, sequence, type_url, payload)
            VALUES (p_domain, '', p_root, v_next + n - 1, p_snapshot_type, p_snapshot)
            ON CONFLICT (domain, edition, root) DO UPDATE
              SET sequence = EXCLUDED.sequence, type_url = EXCLUDED.type_url,
                  payload = EXCLUDED.payload, updated_at = now();
        END IF;
        RETURN QUERY SELECT 'written'::text, v_next, v_first;
      END
      $fn$;
`;
}

/**
 * How the append functions read an aggregate's next sequence. "max": `max(sequence) + 1`
 * (migrations 7–11). The planner runs that max() over every row of the aggregate whenever its
 * statistics say the table is small (a table not analyzed yet, or growing faster than it is
 * analyzed), so an append's cost grew with the aggregate's history: ~400 heap fetches for one
 * number at 400 pages (bench/README.md "Appends read one index entry"). "last" (migration 13):
 * the last entry of the primary key's range, read backwards, one entry whatever the statistics.
 */
type NextSequence = "max" | "last";

/**
 * The plpgsql statement setting `target` to the next sequence of the main-timeline aggregate
 * (domain, root); "max" as migrations 7–11 wrote it (`indent`: their second line's).
 */
function nextSequence(
  schema: string,
  next: NextSequence,
  target: string,
  domain: string,
  root: string,
  indent: string,
): string {
  const range = `e.domain = ${domain} AND e.edition = '' AND e.root = ${root}`;
  return next === "max"
    ? `SELECT COALESCE(max(e.sequence) + 1, 0) INTO ${target} FROM ${schema}.events e\n${indent}WHERE ${range};`
    : `${target} := COALESCE((SELECT e.sequence FROM ${schema}.events e WHERE ${range}\n${indent}ORDER BY e.sequence DESC LIMIT 1) + 1, 0);`;
}

/**
 * append_main_batch (migration 11; migration 13 reads the next sequence as "last"). Several
 * main-timeline appends of different aggregates in one statement, i.e. one round trip and one
 * commit (events.ts, AppendBatcher). Items come in the order their aggregate locks are taken (the
 * client sorts them as every other writer does), one item per aggregate. Each item is decided as
 * append_main decides it: 'refused' (numbers or range) and 'duplicate' (its causation recorded
 * already) write nothing for that item and leave the others alone. Positions for every accepted
 * item are taken by ONE alloc_positions call after every lock and number check, before the first
 * write: a second call could hand this transaction (whose id is older) positions above those of
 * a younger one, which catch-up readers would then pass. Pages come flattened, p_counts[i] of
 * them for item i. One row per item.
 */
function appendMainBatchFunction(schema: string, next: NextSequence): string {
  return `
      ${next === "max" ? "CREATE" : "CREATE OR REPLACE"} FUNCTION append_main_batch(
        p_locks text[], p_domains text[], p_roots bytea[], p_expected bigint[], p_max bigint,
        p_counts integer[], p_types text[], p_payloads bytea[], p_seconds bigint[], p_nanos integer[],
        p_correlations text[], p_snapshot_types text[], p_snapshots bytea[],
        p_c_components text[], p_c_domains text[], p_c_editions text[], p_c_roots bytea[],
        p_c_sequences bigint[], p_traceparents text[])
      RETURNS TABLE (r_item integer, r_outcome text, r_next bigint, r_first bigint)
      LANGUAGE plpgsql AS $fn$
      DECLARE
        k constant integer := cardinality(p_locks);
        v_next bigint[] := array_fill(0::bigint, ARRAY[k]);
        v_outcome text[] := array_fill('written'::text, ARRAY[k]);
        v_first bigint[] := array_fill(NULL::bigint, ARRAY[k]);
        v_offset integer[] := array_fill(0, ARRAY[k]);
        v_total integer := 0;
        v_at integer := 0;
        v_base bigint;
        v_seq bigint;
        v_claimed integer;
        n integer;
      BEGIN
        FOR i IN 1 .. k LOOP
          PERFORM pg_advisory_xact_lock(hashtextextended(p_locks[i], 0));
        END LOOP;
        FOR i IN 1 .. k LOOP
          n := p_counts[i];
          v_offset[i] := v_at;
          v_at := v_at + n;
          ${nextSequence(schema, next, "v_seq", "p_domains[i]", "p_roots[i]", "            ")}
          v_next[i] := v_seq;
          IF (p_expected[i] IS NOT NULL AND p_expected[i] <> v_next[i]) OR v_next[i] + n - 1 > p_max THEN
            v_outcome[i] := 'refused';
          ELSE
            v_total := v_total + n;
          END IF;
        END LOOP;
        IF v_total > 0 THEN
          v_base := ${schema}.alloc_positions(v_total);
        END IF;
        FOR i IN 1 .. k LOOP
          CONTINUE WHEN v_outcome[i] <> 'written';
          n := p_counts[i];
          v_first[i] := v_base;
          v_base := v_base + n;
          IF p_c_components[i] IS NOT NULL THEN
            INSERT INTO ${schema}.causations (component, domain, edition, root, sequence, outcome)
              VALUES (p_c_components[i], p_c_domains[i], p_c_editions[i], p_c_roots[i], p_c_sequences[i], NULL)
              ON CONFLICT DO NOTHING;
            GET DIAGNOSTICS v_claimed = ROW_COUNT;
            IF v_claimed = 0 THEN
              v_outcome[i] := 'duplicate';
              CONTINUE;
            END IF;
          END IF;
          INSERT INTO ${schema}.events (domain, edition, root, sequence, type_url, payload,
                                        created_seconds, created_nanos, correlation_id, position, traceparent)
            SELECT p_domains[i], '', p_roots[i], v_next[i] + t.j - 1, t.type_url, t.payload, t.secs, t.nanos,
                   p_correlations[i], v_first[i] + t.j - 1, p_traceparents[i]
            FROM unnest(p_types[v_offset[i] + 1 : v_offset[i] + n], p_payloads[v_offset[i] + 1 : v_offset[i] + n],
                        p_seconds[v_offset[i] + 1 : v_offset[i] + n], p_nanos[v_offset[i] + 1 : v_offset[i] + n])
              WITH ORDINALITY AS t(type_url, payload, secs, nanos, j);
          IF p_snapshot_types[i] IS NOT NULL THEN
            INSERT INTO ${schema}.snapshots (domain, edition, root, sequence, type_url, payload)
              VALUES (p_domains[i], '', p_roots[i], v_next[i] + n - 1, p_snapshot_types[i], p_snapshots[i])
              ON CONFLICT (domain, edition, root) DO UPDATE
                SET sequence = EXCLUDED.sequence, type_url = EXCLUDED.type_url,
                    payload = EXCLUDED.payload, updated_at = now();
          END IF;
        END LOOP;
        FOR i IN 1 .. k LOOP
          r_item := i; r_outcome := v_outcome[i]; r_next := v_next[i]; r_first := v_first[i];
          RETURN NEXT;
        END LOOP;
      END
      $fn$;`;
}

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
