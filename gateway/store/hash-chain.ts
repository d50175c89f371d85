/**
 * An append-only, hash-chained, HMAC-sealed table: what verification records and the audit trail
 * have in common.
 *
 * Each row stores `payload`, the canonical JSON (canonical-json.ts) of its body: everything except
 * `hash` and `hmac`, including its own `sequence`, `id` and the `previousHash` of the row before
 * (64 zeros for the first). `hash` = SHA-256 of those UTF-8 bytes, `hmac` = HMAC-SHA-256 of the same
 * bytes with the gateway's record key. A separate row in `chain_heads` holds the last sequence and
 * hash, sealed with the key too, because deleting the newest rows leaves a chain that is otherwise
 * self-consistent.
 *
 * What a check finds, in chain order, stopping at the first problem:
 * - `content-altered`: the stored bytes do not hash to the stored hash (or are not the canonical
 *   form, or a column disagrees with the payload): someone edited the row;
 * - `hmac-mismatch`: the hash matches but the HMAC does not: edited, and the hash recomputed by
 *   someone without the key;
 * - `removed`: a sequence number is missing, a row does not link to the one before it, or rows
 *   after the last one the head knows of are gone;
 * - `reordered`: a row stands at another row's place (sequence numbers swapped);
 * - `head-mismatch`: the chain head itself was altered or removed.
 *
 * Limits (documented for users): someone with the key can rewrite history, and someone who saved
 * an old head row can put it back after deleting the newest rows. Keep the key secret and publish
 * or back up the head hash (`records verify --json` prints it) to close that gap.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { MetrogateError } from '../../drivers/errors.js';
import { canonicalJson } from './canonical-json.js';
import type { SqliteDatabase } from './database.js';

export const GENESIS_HASH = '0'.repeat(64);

export type ChainName = 'records' | 'audit';

export type ChainProblemKind =
  | 'content-altered'
  | 'hmac-mismatch'
  | 'removed'
  | 'reordered'
  | 'head-mismatch';

export interface ChainProblem {
  kind: ChainProblemKind;
  /** The first record (or audit entry) at fault: the altered one, or the one missing from its place. */
  recordId: string;
  /** Its sequence number as the chain expects it. */
  sequence: number;
  message: string;
}

export interface ChainReport {
  chain: ChainName;
  intact: boolean;
  /** Rows found in the table. */
  count: number;
  /** The newest row's id and hash when the chain is intact (publish these to detect rollback). */
  head?: { id: string; sequence: number; hash: string };
  problem?: ChainProblem;
}

/** The fields every chained body has; the rest is the table's own content. */
export interface ChainBody {
  sequence: number;
  id: string;
  previousHash: string;
}

export interface Seal {
  hash: string;
  hmac: string;
}

/** Supplies the record key: `forWriting` creates it on first use, `forReading` may find none. */
export interface KeySource {
  forWriting(): Buffer;
  forReading(): Buffer | undefined;
}

export interface ChainSpec<Body extends ChainBody> {
  chain: ChainName;
  table: string;
  /** "VR-000042" for records, "AU-000007" for audit entries. */
  idFor(sequence: number): string;
  /** Columns that repeat body fields (for listing without parsing JSON), other than sequence and id. */
  mirroredColumns(body: Body): Record<string, string | number>;
}

interface ChainRow {
  sequence: number;
  id: string;
  previous_hash: string;
  hash: string;
  hmac: string;
  payload: string;
  [column: string]: unknown;
}

interface HeadRow {
  sequence: number;
  hash: string;
  hmac: string;
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

export function hmacHex(key: Buffer, text: string): string {
  return createHmac('sha256', key).update(text, 'utf8').digest('hex');
}

/** The seal of a body: hash and HMAC over its canonical JSON. */
export function sealBody(body: unknown, key: Buffer): Seal & { canonical: string } {
  const canonical = canonicalJson(body);
  return { canonical, hash: sha256Hex(canonical), hmac: hmacHex(key, canonical) };
}

function sameHex(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  return left.length === right.length && timingSafeEqual(left, right);
}

export function formatSequenceId(prefix: string, sequence: number): string {
  return `${prefix}-${String(sequence).padStart(6, '0')}`;
}

/** What the first pass learns about one row, without keeping its payload. */
interface RowFinding {
  position: number;
  columnSequence: number;
  columnId: string;
  /** Undefined when the row's seal holds; otherwise what is wrong with it. */
  fault?: { kind: 'content-altered' | 'hmac-mismatch'; message: string };
  body?: ChainBody;
  /** A mirrored column that disagrees with the sealed body (reported after the chain checks). */
  columnMismatch?: string;
  hash: string;
}

export class HashChain<Body extends ChainBody> {
  constructor(
    private readonly db: SqliteDatabase,
    private readonly spec: ChainSpec<Body>,
    private readonly keys: KeySource,
  ) {}

  /**
   * Appends one row in an IMMEDIATE transaction (another process appending at the same moment
   * waits, so two rows can never claim the same sequence). `build` receives the sequence, id and
   * previous hash and returns the complete body.
   */
  append(build: (link: ChainBody) => Body): { body: Body; seal: Seal } {
    const key = this.keys.forWriting();
    const { table, chain } = this.spec;
    return this.db
      .transaction(() => {
        const last = this.db
          .prepare(`SELECT sequence, hash FROM ${table} ORDER BY sequence DESC LIMIT 1`)
          .get() as { sequence: number; hash: string } | undefined;
        this.checkHeadBeforeAppend(key, last);
        const sequence = (last?.sequence ?? 0) + 1;
        const body = build({
          sequence,
          id: this.spec.idFor(sequence),
          previousHash: last?.hash ?? GENESIS_HASH,
        });
        if (body.sequence !== sequence || body.previousHash !== (last?.hash ?? GENESIS_HASH)) {
          throw new Error('a chained body must keep the sequence and previousHash it was given');
        }
        const seal = sealBody(body, key);
        const mirrored = this.spec.mirroredColumns(body);
        const columns = [
          'sequence',
          'id',
          'previous_hash',
          'hash',
          'hmac',
          'payload',
          ...Object.keys(mirrored),
        ];
        this.db
          .prepare(
            `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`,
          )
          .run(
            sequence,
            body.id,
            body.previousHash,
            seal.hash,
            seal.hmac,
            seal.canonical,
            ...Object.values(mirrored),
          );
        this.db
          .prepare('INSERT OR REPLACE INTO chain_heads (chain, sequence, hash, hmac) VALUES (?, ?, ?, ?)')
          .run(chain, sequence, seal.hash, hmacHex(key, headCanonical(chain, sequence, seal.hash)));
        // The stored bytes are the truth: hand back what a later read will return.
        return { body: JSON.parse(seal.canonical) as Body, seal: { hash: seal.hash, hmac: seal.hmac } };
      })
      .immediate();
  }

  /**
   * Appending after a truncation would re-use the removed sequence numbers and hide the removal
   * for good, so an append first checks that the head still describes the newest row.
   */
  private checkHeadBeforeAppend(key: Buffer, last: { sequence: number; hash: string } | undefined): void {
    const head = this.readHead();
    const { chain } = this.spec;
    if (!head && !last) return;
    const headIntact =
      head !== undefined && sameHex(head.hmac, hmacHex(key, headCanonical(chain, head.sequence, head.hash)));
    if (headIntact && last && head.sequence === last.sequence && head.hash === last.hash) return;
    throw new MetrogateError(
      'MG_ERR_RECORD_CHAIN_BROKEN',
      `the ${chain} chain head does not match its newest row, so nothing more is appended; ` +
        'run `metrogate records verify` to find what was changed',
      { chain },
    );
  }

  private readHead(): HeadRow | undefined {
    return this.db
      .prepare('SELECT sequence, hash, hmac FROM chain_heads WHERE chain = ?')
      .get(this.spec.chain) as HeadRow | undefined;
  }

  /** Parses a row's payload into its body plus seal, as the table's readers return it. */
  static rowToStored<T>(row: { id: string; payload: string; hash: string; hmac: string }): T {
    let body: object;
    try {
      body = JSON.parse(row.payload) as object;
    } catch {
      throw new MetrogateError(
        'MG_ERR_RECORD_CHAIN_BROKEN',
        `${row.id} was altered: its stored content is not valid JSON any more; run \`metrogate records verify\``,
        { record: row.id },
      );
    }
    return { ...body, hash: row.hash, hmac: row.hmac } as T;
  }

  /** True when the row's payload still matches its hash and HMAC (no key: the hash only). */
  sealIntact(row: { payload: string; hash: string; hmac: string }): boolean {
    const key = this.keys.forReading();
    return this.inspectSeal(row, key) === undefined;
  }

  private inspectSeal(
    row: { payload: string; hash: string; hmac: string },
    key: Buffer | undefined,
  ): RowFinding['fault'] | undefined {
    let body: unknown;
    try {
      body = JSON.parse(row.payload);
    } catch {
      return { kind: 'content-altered', message: 'its stored content is not valid JSON any more' };
    }
    const canonical = canonicalJson(body);
    if (canonical !== row.payload) {
      return {
        kind: 'content-altered',
        message: 'its stored content is not in the canonical form it was written in',
      };
    }
    if (!sameHex(sha256Hex(canonical), row.hash)) {
      return {
        kind: 'content-altered',
        message: 'its content does not match its hash: it was changed after it was stored',
      };
    }
    if (key && !sameHex(hmacHex(key, canonical), row.hmac)) {
      return {
        kind: 'hmac-mismatch',
        message:
          "its hash matches but its HMAC does not: it was changed and its hash recomputed without the gateway's key",
      };
    }
    return undefined;
  }

  /** Walks every row in sequence order and reports the first problem (see the module comment). */
  verify(): ChainReport {
    const { chain, table, idFor } = this.spec;
    const key = this.keys.forReading();
    const findings: RowFinding[] = [];
    const authenticSequences = new Set<number>();
    let position = 0;
    for (const row of this.db
      .prepare(`SELECT * FROM ${table} ORDER BY sequence`)
      .iterate() as Iterable<ChainRow>) {
      position += 1;
      if (!key) {
        throw new MetrogateError(
          'MG_ERR_STORE_FAILED',
          `the ${chain} chain has rows but the record key is missing; restore keys/record-hmac.key from the backup`,
          { chain },
        );
      }
      const finding: RowFinding = {
        position,
        columnSequence: row.sequence,
        columnId: row.id,
        hash: row.hash,
      };
      finding.fault = this.inspectSeal(row, key);
      if (!finding.fault) {
        const body = JSON.parse(row.payload) as Body;
        if (!isChainBody(body)) {
          finding.fault = {
            kind: 'content-altered',
            message: 'its content lacks sequence, id or previousHash',
          };
        } else {
          finding.body = body;
          authenticSequences.add(body.sequence);
          finding.columnMismatch = this.columnMismatch(row, body);
        }
      }
      findings.push(finding);
    }

    let previousHash = GENESIS_HASH;
    for (const finding of findings) {
      const expected = finding.position;
      if (finding.fault || !finding.body) {
        // An altered row's content cannot be trusted, but its place can: if it sits after a gap,
        // the missing row comes first in chain order.
        if (finding.columnSequence > expected && !authenticSequences.has(expected)) {
          return this.broken(findings.length, {
            kind: 'removed',
            recordId: idFor(expected),
            sequence: expected,
            message: `${idFor(expected)} is missing${expected > 1 ? ` after ${idFor(expected - 1)}` : ''}`,
          });
        }
        const fault = finding.fault!;
        return this.broken(findings.length, {
          kind: fault.kind,
          recordId: finding.columnId,
          sequence: finding.columnSequence,
          message: `${finding.columnId}: ${fault.message}`,
        });
      }
      const body = finding.body;
      if (body.sequence !== expected) {
        const missing = idFor(expected);
        if (body.sequence > expected && !authenticSequences.has(expected)) {
          return this.broken(findings.length, {
            kind: 'removed',
            recordId: missing,
            sequence: expected,
            message:
              expected === 1
                ? `${missing} is missing: the chain starts at ${body.id}`
                : `${missing} is missing: ${idFor(expected - 1)} is followed by ${body.id}`,
          });
        }
        return this.broken(findings.length, {
          kind: 'reordered',
          recordId: missing,
          sequence: expected,
          message: `${missing} is not in its place: position ${expected} of the chain holds ${body.id}`,
        });
      }
      if (body.previousHash !== previousHash) {
        return this.broken(findings.length, {
          kind: 'removed',
          recordId: body.id,
          sequence: body.sequence,
          message: `${body.id} does not link to the row stored before it (previous-hash mismatch): a row was removed or replaced`,
        });
      }
      if (finding.columnMismatch) {
        return this.broken(findings.length, {
          kind: 'content-altered',
          recordId: body.id,
          sequence: body.sequence,
          message: `${body.id}: ${finding.columnMismatch}`,
        });
      }
      previousHash = finding.hash;
    }
    return this.checkHead(findings, key);
  }

  private checkHead(findings: RowFinding[], key: Buffer | undefined): ChainReport {
    const { chain, idFor } = this.spec;
    const count = findings.length;
    const head = this.readHead();
    const last = findings.at(-1);
    if (!head) {
      if (!last) return { chain, intact: true, count };
      return this.broken(count, {
        kind: 'head-mismatch',
        recordId: last.columnId,
        sequence: last.columnSequence,
        message: `the ${chain} chain head is missing although ${count} rows exist`,
      });
    }
    if (!key) {
      throw new MetrogateError(
        'MG_ERR_STORE_FAILED',
        `the ${chain} chain has a head but the record key is missing; restore keys/record-hmac.key from the backup`,
        { chain },
      );
    }
    if (!sameHex(head.hmac, hmacHex(key, headCanonical(chain, head.sequence, head.hash)))) {
      const id = last?.columnId ?? idFor(1);
      return this.broken(count, {
        kind: 'head-mismatch',
        recordId: id,
        sequence: last?.columnSequence ?? 1,
        message: `the ${chain} chain head was altered (its HMAC does not match)`,
      });
    }
    if (head.sequence > count) {
      const first = idFor(count + 1);
      const range = head.sequence > count + 1 ? `${first} to ${idFor(head.sequence)} are` : `${first} is`;
      return this.broken(count, {
        kind: 'removed',
        recordId: first,
        sequence: count + 1,
        message: `${range} missing: the chain head says ${head.sequence} rows were written, ${count} remain`,
      });
    }
    if (head.sequence < count || !last || head.hash !== last.hash) {
      const sequence = Math.min(head.sequence + 1, count);
      return this.broken(count, {
        kind: 'head-mismatch',
        recordId: idFor(sequence),
        sequence,
        message: `the ${chain} chain head (sequence ${head.sequence}) does not match the newest row ${last?.columnId ?? '(none)'}`,
      });
    }
    return {
      chain,
      intact: true,
      count,
      head: { id: last.columnId, sequence: head.sequence, hash: head.hash },
    };
  }

  private broken(count: number, problem: ChainProblem): ChainReport {
    return { chain: this.spec.chain, intact: false, count, problem };
  }

  private columnMismatch(row: ChainRow, body: Body): string | undefined {
    const expected: Record<string, string | number> = {
      sequence: body.sequence,
      id: body.id,
      previous_hash: body.previousHash,
      ...this.spec.mirroredColumns(body),
    };
    for (const [column, value] of Object.entries(expected)) {
      if (row[column] !== value) {
        return `its ${column} column says ${JSON.stringify(row[column])} but its sealed content says ${JSON.stringify(value)}`;
      }
    }
    return undefined;
  }
}

function isChainBody(value: unknown): value is ChainBody {
  if (value === null || typeof value !== 'object') return false;
  const body = value as Record<string, unknown>;
  return (
    Number.isSafeInteger(body.sequence) &&
    typeof body.id === 'string' &&
    typeof body.previousHash === 'string'
  );
}

function headCanonical(chain: ChainName, sequence: number, hash: string): string {
  return canonicalJson({ chain, sequence, hash });
}
