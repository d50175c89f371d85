/**
 * Verification records: append-only, hash-chained and sealed with the gateway's key (OIML D 31 /
 * WELMEC 7.2 stored-data rules: everything needed to reconstruct the verdict, protected against
 * change, traceable to the measurement, and checkable by `metrogate records verify`).
 *
 * The store adds to what the caller gives: sequence, id (VR-000001 …), performedAt (now unless
 * given), recordedAt (the store's own clock), the software id with the checksum of the running code
 * (software-id.ts), the previous record's hash, and the record's own hash and HMAC (hash-chain.ts).
 * The table refuses UPDATE and DELETE by trigger; `verifyChain` finds what a trigger cannot stop
 * (someone editing the file or dropping the triggers).
 */
import { z } from 'zod';
import { MetrogateError } from '../../drivers/errors.js';
import { recordToHistory } from '../registry/history.js';
import { canonicalJson } from './canonical-json.js';
import type { SqliteDatabase } from './database.js';
import {
  type ChainBody,
  type ChainReport,
  formatSequenceId,
  HashChain,
  hmacHex,
  type KeySource,
  sha256Hex,
} from './hash-chain.js';
import type { NewVerificationRecord, SoftwareId, StoredVerificationRecord } from './record-types.js';
import { computeSoftwareId } from './software-id.js';
import { calendarDate, parseOrThrow } from './validation.js';

export const RECORD_ID_PREFIX = 'VR';

export function recordId(sequence: number): string {
  return formatSequenceId(RECORD_ID_PREFIX, sequence);
}

type RecordBody = Omit<StoredVerificationRecord, 'hash' | 'hmac'> & ChainBody;

const nonEmpty = z.string().trim().min(1, 'must not be empty');

/**
 * What append accepts; the inner bench and result are checked by `evaluate`, not here. The top
 * level is strict so that a stored record handed back in (with its hash, sequence …) is refused
 * rather than sealed with stale chain fields inside it.
 */
const newRecordSchema = z.strictObject({
  instrument: z.looseObject({
    id: nonEmpty,
    kind: z.enum(['scale', 'dispenser', 'taximeter']),
  }),
  bench: z.record(z.string(), z.unknown()),
  result: z.looseObject({
    verdict: z.enum(['pass', 'fail']),
    ruleSet: nonEmpty,
    stage: nonEmpty,
    tests: z.array(z.unknown()),
  }),
  validUntil: calendarDate.optional(),
  device: z.looseObject({}).optional(),
  operator: nonEmpty,
  standards: z.array(
    z.looseObject({
      id: nonEmpty,
      kind: z.enum(['weight-set', 'can', 'pulse-generator', 'thermometer']),
      certificateNumber: nonEmpty,
      dueDate: calendarDate,
    }),
  ),
  performedAt: z.iso.datetime({ offset: true }).optional(),
});

export interface RecordStoreOptions {
  /** The store's clock (tests fix it). */
  now?: () => Date;
  /** The software id to stamp; by default computed once from the running code. */
  software?: SoftwareId;
}

export interface RecordListFilter {
  instrumentId?: string;
  /** The newest N records. */
  limit?: number;
}

export class RecordStore {
  private readonly chain: HashChain<RecordBody>;
  private readonly now: () => Date;
  private softwareId: SoftwareId | undefined;

  constructor(
    private readonly db: SqliteDatabase,
    private readonly keys: KeySource,
    options: RecordStoreOptions = {},
  ) {
    this.now = options.now ?? (() => new Date());
    this.softwareId = options.software;
    this.chain = new HashChain<RecordBody>(
      db,
      {
        chain: 'records',
        table: 'verification_records',
        idFor: recordId,
        mirroredColumns: (body) => ({
          instrument_id: body.instrument.id,
          instrument_kind: body.instrument.kind,
          verdict: body.result.verdict,
          performed_at: body.performedAt,
        }),
      },
      keys,
    );
  }

  /** The id stamped on records: name, package version, SHA-256 of the running code (computed once). */
  software(): SoftwareId {
    this.softwareId ??= computeSoftwareId();
    return this.softwareId;
  }

  /** Stores a record in one transaction and returns it exactly as a later `get` will. */
  append(record: NewVerificationRecord): StoredVerificationRecord {
    parseOrThrow(newRecordSchema, record, 'verification record');
    const software = this.software();
    const recordedAt = this.now().toISOString();
    // The history row (gateway/registry/history.ts) commits with the record or not at all.
    return this.db
      .transaction(() => {
        const { body, seal } = this.chain.append((link) => ({
          ...record,
          performedAt: record.performedAt ?? recordedAt,
          recordedAt,
          software,
          ...link,
        }));
        const stored: StoredVerificationRecord = { ...body, ...seal };
        recordToHistory({ db: this.db }, stored);
        return stored;
      })
      .immediate();
  }

  count(): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM verification_records').get() as { n: number }).n;
  }

  /** Records newest first, optionally for one instrument and limited to the newest N. */
  list(filter: RecordListFilter = {}): StoredVerificationRecord[] {
    const where = filter.instrumentId === undefined ? '' : 'WHERE instrument_id = ?';
    const limit = filter.limit === undefined ? '' : 'LIMIT ?';
    const params: unknown[] = [];
    if (filter.instrumentId !== undefined) params.push(filter.instrumentId);
    if (filter.limit !== undefined) params.push(Math.max(0, Math.trunc(filter.limit)));
    const rows = this.db
      .prepare(
        `SELECT id, payload, hash, hmac FROM verification_records ${where} ORDER BY sequence DESC ${limit}`,
      )
      .all(...params) as { id: string; payload: string; hash: string; hmac: string }[];
    return rows.map((row) => parseRow(row));
  }

  /** Records after `sequence` (exclusive), oldest first, at most `limit`: what an exporter has not seen yet. */
  after(sequence: number, limit: number): StoredVerificationRecord[] {
    const rows = this.db
      .prepare(
        'SELECT id, payload, hash, hmac FROM verification_records WHERE sequence > ? ORDER BY sequence ASC LIMIT ?',
      )
      .all(sequence, Math.max(0, Math.trunc(limit))) as {
      id: string;
      payload: string;
      hash: string;
      hmac: string;
    }[];
    return rows.map((row) => parseRow(row));
  }

  /**
   * The record with that id, or undefined. A record whose content no longer matches its seal is
   * refused (MG_ERR_RECORD_CHAIN_BROKEN): altered data must not reach a certificate.
   */
  get(id: string): StoredVerificationRecord | undefined {
    const row = this.db
      .prepare('SELECT id, payload, hash, hmac FROM verification_records WHERE id = ?')
      .get(id) as { id: string; payload: string; hash: string; hmac: string } | undefined;
    if (!row) return undefined;
    if (!this.chain.sealIntact(row)) {
      throw new MetrogateError(
        'MG_ERR_RECORD_CHAIN_BROKEN',
        `record ${id} was altered after it was stored (its content does not match its hash or HMAC); ` +
          'run `metrogate records verify`',
        { record: id },
      );
    }
    return parseRow(row);
  }

  /** Like get, but a missing record is MG_ERR_NOT_FOUND. */
  require(id: string): StoredVerificationRecord {
    const record = this.get(id);
    if (!record) throw new MetrogateError('MG_ERR_NOT_FOUND', `no verification record ${id}`, { record: id });
    return record;
  }

  /** True when a record read earlier (list, get) still matches its own hash and HMAC. */
  sealIntact(record: StoredVerificationRecord): boolean {
    const { hash, hmac, ...body } = record;
    const canonical = canonicalJson(body);
    const key = this.keys.forReading();
    return sha256Hex(canonical) === hash && (key === undefined || hmacHex(key, canonical) === hmac);
  }

  /** Walks every record in sequence order; reports the first altered, removed or reordered one. */
  verifyChain(): ChainReport {
    return this.chain.verify();
  }
}

function parseRow(row: {
  id: string;
  payload: string;
  hash: string;
  hmac: string;
}): StoredVerificationRecord {
  return HashChain.rowToStored<StoredVerificationRecord>(row);
}
