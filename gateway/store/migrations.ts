/**
 * The database schema as numbered migrations. A migration is never edited once released: a change
 * is a new entry at the end of the list. `openDatabase` applies the missing ones in order, each in
 * its own transaction together with the new `schema_version`.
 */

export interface Migration {
  version: number;
  description: string;
  sql: string;
}

/** SQLite triggers that make a table append-only: UPDATE and DELETE abort with a message. */
function appendOnly(table: string): string {
  return `
    CREATE TRIGGER ${table}_no_update BEFORE UPDATE ON ${table}
    BEGIN SELECT RAISE(ABORT, '${table} is append-only: rows cannot be changed'); END;
    CREATE TRIGGER ${table}_no_delete BEFORE DELETE ON ${table}
    BEGIN SELECT RAISE(ABORT, '${table} is append-only: rows cannot be deleted'); END;
  `;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'verification records, audit trail, chain heads, reference standards',
    sql: `
      -- payload is the canonical JSON of the record without hash and hmac: the exact bytes hashed.
      -- The other columns repeat fields of the payload so that lists and filters need no JSON parsing;
      -- verification checks that they agree with the payload.
      CREATE TABLE verification_records (
        sequence INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        instrument_id TEXT NOT NULL,
        instrument_kind TEXT NOT NULL,
        verdict TEXT NOT NULL,
        performed_at TEXT NOT NULL,
        payload TEXT NOT NULL,
        previous_hash TEXT NOT NULL,
        hash TEXT NOT NULL,
        hmac TEXT NOT NULL
      );
      CREATE INDEX verification_records_instrument ON verification_records (instrument_id, sequence);
      ${appendOnly('verification_records')}

      CREATE TABLE audit_trail (
        sequence INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        at TEXT NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        subject TEXT NOT NULL,
        payload TEXT NOT NULL,
        previous_hash TEXT NOT NULL,
        hash TEXT NOT NULL,
        hmac TEXT NOT NULL
      );
      ${appendOnly('audit_trail')}

      -- The last sequence and hash of each chain, sealed with the HMAC key, so that removing the
      -- newest rows (which leaves a shorter but self-consistent chain) is detected.
      CREATE TABLE chain_heads (
        chain TEXT PRIMARY KEY,
        sequence INTEGER NOT NULL,
        hash TEXT NOT NULL,
        hmac TEXT NOT NULL
      );

      CREATE TABLE reference_standards (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        due_date TEXT NOT NULL,
        payload TEXT NOT NULL,
        added_at TEXT NOT NULL
      );
    `,
  },
  {
    version: 2,
    description: 'outbox of points for InfluxDB, with its depth and drop counters',
    sql: `
      -- AUTOINCREMENT: ids are never reused, even after the table was emptied, so an id a sink
      -- read before a restart or an overflow can never name a newer point.
      CREATE TABLE outbox (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        point TEXT NOT NULL
      );
      -- depth is kept here in the same transactions as the rows (COUNT(*) walks the whole table);
      -- dropped counts points removed by the size cap since the outbox was created.
      CREATE TABLE outbox_counters (
        name TEXT PRIMARY KEY,
        value INTEGER NOT NULL
      );
      INSERT INTO outbox_counters (name, value) VALUES ('depth', 0), ('dropped', 0);
    `,
  },
  {
    version: 3,
    description: 'MQTT events (verifications) waiting for the broker to acknowledge them',
    sql: `
      -- A row is deleted when the broker acknowledged the publish (PUBACK); rows left here after a
      -- crash or an outage are published again, oldest first. topic is relative to the configured
      -- prefix, so a changed prefix still receives them. AUTOINCREMENT keeps ids (the order) rising.
      CREATE TABLE mqtt_pending (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        topic TEXT NOT NULL,
        payload TEXT NOT NULL,
        retain INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL
      );
    `,
  },
  {
    version: 4,
    description: 'how far each exporter (records to InfluxDB and MQTT) has got',
    sql: `
      -- The service exports verification records as they appear (metrogate verify may run while it
      -- is down); the position moves in the same transaction as the points it queued.
      CREATE TABLE export_positions (
        name TEXT PRIMARY KEY,
        sequence INTEGER NOT NULL
      );
    `,
  },
  {
    version: 5,
    description: 'register of instruments and their verification history (coverage indicators)',
    sql: `
      -- contracts.md §5. period_months NULL means the kind's default period (from config).
      CREATE TABLE instruments (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('scale', 'dispenser', 'taximeter')),
        category TEXT NOT NULL DEFAULT '',
        region TEXT NOT NULL,
        owner TEXT NOT NULL DEFAULT '',
        site TEXT NOT NULL DEFAULT '',
        status TEXT NOT NULL CHECK (status IN ('in-use', 'scrapped')),
        registered TEXT NOT NULL,
        scrapped TEXT,
        period_months INTEGER CHECK (period_months IS NULL OR period_months > 0)
      );
      CREATE INDEX instruments_region_kind ON instruments (region, kind);

      -- One row per verification of an instrument: imported (source 'import') or made by the gateway
      -- (source 'gateway', record = the verification record id). standards_valid: 1 when every
      -- reference standard used was within its own calibration period that day, 0 when one was not,
      -- NULL when no standards were recorded (traceability coverage counts only the known ones).
      CREATE TABLE verification_history (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        instrument_id TEXT NOT NULL,
        date TEXT NOT NULL,
        verdict TEXT NOT NULL CHECK (verdict IN ('pass', 'fail')),
        record TEXT,
        source TEXT NOT NULL CHECK (source IN ('import', 'gateway')),
        standards_valid INTEGER CHECK (standards_valid IS NULL OR standards_valid IN (0, 1))
      );
      CREATE INDEX verification_history_instrument ON verification_history (instrument_id, date);
      CREATE UNIQUE INDEX verification_history_key ON verification_history (instrument_id, date, verdict, IFNULL(record, ''));
    `,
  },
  {
    version: 6,
    description: 'access tokens of the HTTP API (stored hashed)',
    sql: `
      -- Only the SHA-256 of a token is kept: the token itself is shown once, when it is created.
      -- id is what the CLI, the audit trail and logs name; a revoked or expired token stays listed.
      CREATE TABLE api_tokens (
        sequence INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('technician', 'admin', 'regulator')),
        token_hash TEXT NOT NULL UNIQUE,
        created_at TEXT NOT NULL,
        expires_at TEXT,
        revoked_at TEXT,
        last_used_at TEXT
      );
    `,
  },
  {
    version: 7,
    description: "outbox points' line protocol, made at append time",
    sql: `
      -- The line the InfluxDB sink sends for the point (preformattedLine), so that draining the outbox
      -- reads text instead of parsing JSON and serialising each point again. NULL for rows written
      -- before this migration and for points only the sink can judge; the sink formats those itself.
      ALTER TABLE outbox ADD COLUMN line TEXT;
    `,
  },
];
