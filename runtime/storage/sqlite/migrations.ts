// The sqlite schema as an ordered list of migrations, one SQL statement each. A database records
// the versions it has applied in `schema_migrations`; opening applies the missing ones in order.
// Never edit a released migration: append a new one.

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "events",
    // Keyed by aggregate and sequence without a rowid, so one aggregate's pages sit together in
    // key order. created_* hold a Timestamp exactly (seconds, nanos); type_url NULL = no event.
    sql: `CREATE TABLE events (
      domain         TEXT    NOT NULL,
      edition        TEXT    NOT NULL,
      root           BLOB    NOT NULL,
      sequence       INTEGER NOT NULL,
      created_s      INTEGER NOT NULL,
      created_n      INTEGER NOT NULL,
      type_url       TEXT,
      payload        BLOB,
      correlation_id TEXT    NOT NULL,
      position       INTEGER NOT NULL UNIQUE,
      PRIMARY KEY (domain, edition, root, sequence)
    ) WITHOUT ROWID`,
  },
  {
    version: 2,
    name: "events_by_correlation",
    sql: "CREATE INDEX events_by_correlation ON events (correlation_id)",
  },
  {
    version: 3,
    name: "event_log_floor",
    // Positions are max(events.position) + 1, handed out under the write lock. Deleting an
    // edition's events could lower that max and hand a position out twice, so a delete first
    // records the highest position so far here; allocation never goes below it.
    sql: `CREATE TABLE event_log_floor (
      id       INTEGER PRIMARY KEY CHECK (id = 1),
      position INTEGER NOT NULL
    )`,
  },
  {
    version: 4,
    name: "snapshots",
    sql: `CREATE TABLE snapshots (
      domain   TEXT    NOT NULL,
      edition  TEXT    NOT NULL,
      root     BLOB    NOT NULL,
      sequence INTEGER NOT NULL,
      type_url TEXT    NOT NULL,
      state    BLOB    NOT NULL,
      PRIMARY KEY (domain, edition, root)
    ) WITHOUT ROWID`,
  },
  {
    version: 5,
    name: "positions",
    sql: `CREATE TABLE positions (
      consumer TEXT    NOT NULL,
      domain   TEXT    NOT NULL,
      edition  TEXT    NOT NULL,
      position INTEGER NOT NULL,
      PRIMARY KEY (consumer, domain, edition)
    ) WITHOUT ROWID`,
  },
  {
    version: 6,
    name: "dead_letters",
    sql: `CREATE TABLE dead_letters (
      id             INTEGER PRIMARY KEY AUTOINCREMENT,
      consumer       TEXT    NOT NULL,
      domain         TEXT    NOT NULL,
      edition        TEXT    NOT NULL,
      root           BLOB    NOT NULL,
      sequence       INTEGER NOT NULL,
      correlation_id TEXT    NOT NULL,
      reason         TEXT    NOT NULL,
      payload_type   TEXT    NOT NULL,
      payload        BLOB    NOT NULL,
      escalated      INTEGER NOT NULL,
      created_at_ms  INTEGER NOT NULL,
      replayed_at_ms INTEGER
    )`,
  },
  {
    version: 7,
    name: "causations",
    sql: `CREATE TABLE causations (
      component TEXT    NOT NULL,
      domain    TEXT    NOT NULL,
      edition   TEXT    NOT NULL,
      root      BLOB    NOT NULL,
      sequence  INTEGER NOT NULL,
      outcome   BLOB,
      PRIMARY KEY (component, domain, edition, root, sequence)
    ) WITHOUT ROWID`,
  },
  {
    version: 8,
    name: "editions",
    // divergence_kind: NULL (implicit), 'sequence' (divergence_sequence) or 'time' (divergence_s/_n).
    sql: `CREATE TABLE editions (
      name                TEXT    NOT NULL PRIMARY KEY,
      description         TEXT    NOT NULL,
      created_at_ms       INTEGER NOT NULL,
      divergence_kind     TEXT,
      divergence_sequence INTEGER,
      divergence_s        INTEGER,
      divergence_n        INTEGER
    ) WITHOUT ROWID`,
  },
  {
    version: 9,
    name: "outbox",
    // Saga and PM deliveries decided but not yet settled (status pending), and what became of the
    // others. One entry per (cause, name); lanes are delivered in id order.
    sql: `CREATE TABLE outbox (
      id            INTEGER PRIMARY KEY AUTOINCREMENT,
      component     TEXT    NOT NULL,
      domain        TEXT    NOT NULL,
      edition       TEXT    NOT NULL,
      root          BLOB    NOT NULL,
      sequence      INTEGER NOT NULL,
      name          TEXT    NOT NULL,
      lane          TEXT    NOT NULL,
      kind          TEXT    NOT NULL,
      payload       BLOB    NOT NULL,
      status        TEXT    NOT NULL,
      attempts      INTEGER NOT NULL,
      due_at_ms     INTEGER NOT NULL,
      last_error    TEXT    NOT NULL,
      result        BLOB,
      created_at_ms INTEGER NOT NULL,
      UNIQUE (component, domain, edition, root, sequence, name)
    )`,
  },
  {
    version: 10,
    name: "outbox_pending",
    sql: "CREATE INDEX outbox_pending ON outbox (lane, id) WHERE status = 'pending'",
  },
  {
    version: 11,
    name: "dead_letters_key",
    sql: "ALTER TABLE dead_letters ADD COLUMN dedupe_key TEXT",
  },
  {
    version: 12,
    name: "dead_letters_open_key",
    // One entry per key among those not replayed yet.
    sql: `CREATE UNIQUE INDEX dead_letters_open_key ON dead_letters (dedupe_key)
      WHERE replayed_at_ms IS NULL AND dedupe_key IS NOT NULL`,
  },
  {
    version: 13,
    name: "positions_per_timeline",
    // Async consumers of one domain used to keep one checkpoint over all its timelines, under
    // edition '*'; they now keep one per timeline. Every timeline the domain holds events in starts
    // where the old cursor was (it had passed every event up to there, whatever its timeline).
    sql: `INSERT INTO positions (consumer, domain, edition, position)
      SELECT p.consumer, p.domain, t.edition, p.position
      FROM positions p JOIN (SELECT DISTINCT domain, edition FROM events) t ON t.domain = p.domain
      WHERE p.edition = '*' AND p.domain <> ''
      ON CONFLICT (consumer, domain, edition) DO NOTHING`,
  },
  {
    version: 14,
    name: "positions_drop_domain_wide",
    sql: "DELETE FROM positions WHERE edition = '*' AND domain <> ''",
  },
  {
    version: 15,
    name: "edition domain divergences",
    // JSON array of {domain, kind: "sequence"|"time", sequence?, seconds?, nanos?}; NULL = none.
    sql: "ALTER TABLE editions ADD COLUMN domain_divergences TEXT",
  },
  {
    version: 16,
    name: "outbox trace context",
    // W3C traceparent of the reaction that decided the entry ('' = untraced).
    sql: "ALTER TABLE outbox ADD COLUMN traceparent TEXT NOT NULL DEFAULT ''",
  },
  {
    version: 17,
    name: "event trace context",
    // W3C traceparent of the operation that appended the page (NULL = untraced): a consumer that
    // reads the page before its bus message continues that trace.
    sql: "ALTER TABLE events ADD COLUMN traceparent TEXT",
  },
  {
    version: 18,
    name: "events_timeline_position",
    // A consumer's catch-up reads one timeline (domain, edition) after its checkpoint. Without
    // this index that read walked the global position index from the checkpoint and skipped
    // every other domain's events: a quiet domain's consumer, whose checkpoint stays at its own
    // last event, scanned the whole log written since at every poll.
    sql: "CREATE INDEX events_timeline_position ON events (domain, edition, position)",
  },
];
