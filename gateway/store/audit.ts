/**
 * The audit trail (OIML G 18 / D 31: "a time stamped information record of events … that are
 * legally relevant"): every change to configuration, rule-set overrides, reference standards and
 * access tokens. Append-only and hash-chained like the records, under the same key, and checked by
 * `metrogate records verify` alongside them.
 *
 * `details` is stored as given and is readable by anyone with the database: never put a secret in
 * it (for a token, record its id and role, not its value).
 */
import { z } from 'zod';
import type { SqliteDatabase } from './database.js';
import {
  type ChainBody,
  type ChainReport,
  formatSequenceId,
  HashChain,
  type KeySource,
} from './hash-chain.js';
import { parseOrThrow } from './validation.js';

export const AUDIT_ID_PREFIX = 'AU';

/** The actions metrogate writes; other modules may add their own dotted names. */
export type AuditAction =
  | 'config.change'
  | 'rules.override'
  | 'standard.add'
  | 'token.create'
  | 'token.revoke'
  | (string & {});

export interface NewAuditEntry {
  /** Who did it: an operator name, a token id, or `system`. */
  actor: string;
  action: AuditAction;
  /** What it was done to: a config path, a rule-set id, a standard id, a token id. */
  subject: string;
  details?: Record<string, unknown>;
}

export interface StoredAuditEntry extends ChainBody {
  /** When the store wrote it (ISO 8601 UTC). */
  at: string;
  actor: string;
  action: AuditAction;
  subject: string;
  details: Record<string, unknown>;
  hash: string;
  hmac: string;
}

type AuditBody = Omit<StoredAuditEntry, 'hash' | 'hmac'>;

const nonEmpty = z.string().trim().min(1, 'must not be empty');
const newAuditEntrySchema = z.object({
  actor: nonEmpty,
  action: nonEmpty,
  subject: nonEmpty,
  details: z.record(z.string(), z.unknown()).optional(),
});

export function auditId(sequence: number): string {
  return formatSequenceId(AUDIT_ID_PREFIX, sequence);
}

export class AuditTrail {
  private readonly chain: HashChain<AuditBody>;

  constructor(
    private readonly db: SqliteDatabase,
    keys: KeySource,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.chain = new HashChain<AuditBody>(
      db,
      {
        chain: 'audit',
        table: 'audit_trail',
        idFor: auditId,
        mirroredColumns: (body) => ({
          at: body.at,
          actor: body.actor,
          action: body.action,
          subject: body.subject,
        }),
      },
      keys,
    );
  }

  append(entry: NewAuditEntry): StoredAuditEntry {
    parseOrThrow(newAuditEntrySchema, entry, 'audit entry');
    const at = this.now().toISOString();
    const { body, seal } = this.chain.append((link) => ({
      ...link,
      at,
      actor: entry.actor,
      action: entry.action,
      subject: entry.subject,
      details: entry.details ?? {},
    }));
    return { ...body, ...seal };
  }

  /** Entries newest first, optionally about one subject and limited to the newest N. */
  list(filter: { subject?: string; limit?: number } = {}): StoredAuditEntry[] {
    const where = filter.subject === undefined ? '' : 'WHERE subject = ?';
    const limit = filter.limit === undefined ? '' : 'LIMIT ?';
    const params: unknown[] = [];
    if (filter.subject !== undefined) params.push(filter.subject);
    if (filter.limit !== undefined) params.push(Math.max(0, Math.trunc(filter.limit)));
    const rows = this.db
      .prepare(`SELECT id, payload, hash, hmac FROM audit_trail ${where} ORDER BY sequence DESC ${limit}`)
      .all(...params) as { id: string; payload: string; hash: string; hmac: string }[];
    return rows.map((row) => HashChain.rowToStored<StoredAuditEntry>(row));
  }

  count(): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM audit_trail').get() as { n: number }).n;
  }

  verifyChain(): ChainReport {
    return this.chain.verify();
  }
}
