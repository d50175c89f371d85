/**
 * The gateway's local store: one SQLite database in the data directory (`<data-dir>/metrogate.db`)
 * with the verification records, the audit trail and the register of reference standards, and the
 * record key beside it (`<data-dir>/keys/record-hmac.key`). Open it once per process and close it
 * when done; closing checkpoints the WAL back into the database file.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { AuditTrail, type NewAuditEntry, type StoredAuditEntry } from './audit.js';
import { DATABASE_FILE, openDatabase, type SqliteDatabase, storeError } from './database.js';
import type { ChainReport, KeySource } from './hash-chain.js';
import { type OutboxOptions, SqliteOutbox } from './outbox.js';
import { createRecordKey, readRecordKey, recordKeyPath } from './record-key.js';
import type { SoftwareId } from './record-types.js';
import { RecordStore } from './records.js';
import { StandardsStore } from './standards.js';

export interface OpenStoreOptions {
  /** An existing directory (gateway/cli/data-dir.ts resolves and creates it). */
  dataDir: string;
  /** The store's clock (tests fix it). */
  now?: () => Date;
  /** The software id stamped on records; by default computed from the running code. */
  software?: SoftwareId;
  /** Size cap of the outbox of points for InfluxDB. */
  outbox?: OutboxOptions;
}

export interface StoreVerification {
  intact: boolean;
  records: ChainReport;
  audit: ChainReport;
}

export class MetrogateStore {
  readonly records: RecordStore;
  readonly audit: AuditTrail;
  readonly standards: StandardsStore;
  /** Points on their way to InfluxDB (durable; the sinks drain it). */
  readonly outbox: SqliteOutbox;
  readonly databasePath: string;

  private constructor(
    readonly dataDir: string,
    readonly db: SqliteDatabase,
    options: OpenStoreOptions,
  ) {
    this.databasePath = join(dataDir, DATABASE_FILE);
    const keys = this.keySource();
    const now = options.now ?? (() => new Date());
    this.records = new RecordStore(db, keys, {
      now,
      ...(options.software ? { software: options.software } : {}),
    });
    this.audit = new AuditTrail(db, keys, now);
    this.standards = new StandardsStore(db, this.audit, now);
    this.outbox = new SqliteOutbox(db, options.outbox);
  }

  static open(options: OpenStoreOptions): MetrogateStore {
    const { dataDir } = options;
    if (!existsSync(dataDir) || !statSync(dataDir).isDirectory()) {
      throw storeError(`the data directory ${dataDir} does not exist or is not a directory`, dataDir);
    }
    const db = openDatabase(join(dataDir, DATABASE_FILE));
    return new MetrogateStore(dataDir, db, options);
  }

  /** Writes one audit-trail entry (config changes, rule overrides, tokens, standards). */
  appendAudit(entry: NewAuditEntry): StoredAuditEntry {
    return this.audit.append(entry);
  }

  /** Checks both chains: what `metrogate records verify` runs. */
  verify(): StoreVerification {
    const records = this.records.verifyChain();
    const audit = this.audit.verifyChain();
    return { intact: records.intact && audit.intact, records, audit };
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  /**
   * The key is read when first needed and kept for the life of the store. It is created only for
   * a first write into empty chains: if rows exist and the key file is gone, a new key would make
   * every existing HMAC fail, so the store refuses and asks for the backup instead.
   */
  private keySource(): KeySource {
    let key: Buffer | undefined;
    const read = () => {
      key ??= readRecordKey(this.dataDir);
      return key;
    };
    return {
      forReading: read,
      forWriting: () => {
        const existing = read();
        if (existing) return existing;
        const rows = this.db
          .prepare(
            `SELECT (SELECT COUNT(*) FROM verification_records) + (SELECT COUNT(*) FROM audit_trail) +
                    (SELECT COUNT(*) FROM chain_heads) AS n`,
          )
          .get() as { n: number };
        if (rows.n > 0) {
          const path = recordKeyPath(this.dataDir);
          throw storeError(
            `the record key ${path} is missing but the database already holds sealed rows; ` +
              'restore the key from the backup (a new key would make every existing record fail verification)',
            path,
          );
        }
        key = createRecordKey(this.dataDir);
        return key;
      },
    };
  }
}
