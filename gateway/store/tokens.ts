/**
 * Access tokens of the HTTP API. A token is 32 random bytes shown once, when it is created
 * (`mgt_` + base64url); the database keeps only its SHA-256, so a copy of the database gives no
 * access. Every creation and revocation is written to the audit trail (token id, role, name, expiry:
 * never the token). A revoked or expired token stays listed so that the audit trail can name it.
 */
import { createHash, randomBytes } from 'node:crypto';
import { MetrogateError } from '../../drivers/errors.js';
import type { SqliteDatabase } from './database.js';
import { formatSequenceId } from './hash-chain.js';
import type { MetrogateStore } from './store.js';

export const TOKEN_ROLES = ['technician', 'admin', 'regulator'] as const;
export type TokenRole = (typeof TOKEN_ROLES)[number];

export const TOKEN_ID_PREFIX = 'TK';
const TOKEN_PREFIX = 'mgt_';
const TOKEN_BYTES = 32;
/** mgt_ + 43 base64url characters. */
const TOKEN_SHAPE = /^mgt_[A-Za-z0-9_-]{43}$/;
/** last_used_at is written at most this often per token, so that reads do not each cost a write. */
const LAST_USED_RESOLUTION_MS = 60_000;

export interface ApiToken {
  id: string;
  name: string;
  role: TokenRole;
  createdAt: string;
  expiresAt?: string;
  revokedAt?: string;
  lastUsedAt?: string;
}

export interface CreatedToken {
  /** The token itself: shown once, never stored. */
  token: string;
  info: ApiToken;
}

export type TokenRejection = 'malformed' | 'unknown' | 'revoked' | 'expired';

export type TokenCheck = { ok: true; token: ApiToken } | { ok: false; reason: TokenRejection };

interface TokenRow {
  id: string;
  name: string;
  role: TokenRole;
  created_at: string;
  expires_at: string | null;
  revoked_at: string | null;
  last_used_at: string | null;
}

export function isTokenRole(value: string): value is TokenRole {
  return (TOKEN_ROLES as readonly string[]).includes(value);
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

const DURATION = /^(\d{1,6})\s*([mhdw])$/;
const DURATION_MS = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 } as const;

/**
 * When a token expires: a duration from now (`90m`, `12h`, `30d`, `8w`), a date (end of that day,
 * UTC) or an ISO 8601 date-time with an offset. Throws MG_ERR_INPUT_INVALID naming `--expires`.
 */
export function parseExpiry(text: string, now: Date): string {
  const trimmed = text.trim();
  const duration = DURATION.exec(trimmed);
  let at: Date | undefined;
  if (duration) {
    const amount = Number(duration[1]);
    if (amount > 0)
      at = new Date(now.getTime() + amount * DURATION_MS[duration[2] as keyof typeof DURATION_MS]);
  } else if (/^\d{4}-\d{2}-\d{2}$/.test(trimmed)) {
    const day = new Date(`${trimmed}T23:59:59.999Z`);
    if (!Number.isNaN(day.getTime()) && day.toISOString().startsWith(trimmed)) at = day;
  } else if (/^\d{4}-\d{2}-\d{2}T.+(Z|[+-]\d{2}:\d{2})$/.test(trimmed)) {
    const parsed = new Date(trimmed);
    if (!Number.isNaN(parsed.getTime())) at = parsed;
  }
  if (!at) {
    throw new MetrogateError(
      'MG_ERR_INPUT_INVALID',
      `--expires: "${text}" is neither a duration (90m, 12h, 30d, 8w) nor a date (YYYY-MM-DD) or date-time with offset`,
      { path: '--expires' },
    );
  }
  if (at.getTime() <= now.getTime()) {
    throw new MetrogateError('MG_ERR_INPUT_INVALID', `--expires: ${at.toISOString()} is already past`, {
      path: '--expires',
    });
  }
  return at.toISOString();
}

function toToken(row: TokenRow): ApiToken {
  return {
    id: row.id,
    name: row.name,
    role: row.role,
    createdAt: row.created_at,
    ...(row.expires_at ? { expiresAt: row.expires_at } : {}),
    ...(row.revoked_at ? { revokedAt: row.revoked_at } : {}),
    ...(row.last_used_at ? { lastUsedAt: row.last_used_at } : {}),
  };
}

const COLUMNS = 'id, name, role, created_at, expires_at, revoked_at, last_used_at';

export class TokenStore {
  private readonly db: SqliteDatabase;
  private readonly now: () => Date;

  constructor(
    private readonly store: MetrogateStore,
    options: { now?: () => Date } = {},
  ) {
    this.db = store.db;
    this.now = options.now ?? (() => new Date());
  }

  /**
   * Creates a token and its `token.create` audit entry in one transaction; returns the token (to be
   * shown once) and what is stored about it.
   */
  create(input: { role: string; name?: string; expiresAt?: string; actor: string }): CreatedToken {
    if (!isTokenRole(input.role)) {
      throw new MetrogateError(
        'MG_ERR_INPUT_INVALID',
        `--role: "${input.role}" is not a role; roles: ${TOKEN_ROLES.join(', ')}`,
        { path: '--role' },
      );
    }
    const role = input.role;
    const name = input.name?.trim() || role;
    if (name.length > 100 || /\p{Cc}/u.test(name)) {
      throw new MetrogateError(
        'MG_ERR_INPUT_INVALID',
        '--name: at most 100 characters, no control characters',
        { path: '--name' },
      );
    }
    const token = TOKEN_PREFIX + randomBytes(TOKEN_BYTES).toString('base64url');
    const createdAt = this.now().toISOString();
    const info = this.db
      .transaction((): ApiToken => {
        const next = this.db.prepare('SELECT COALESCE(MAX(sequence), 0) + 1 AS n FROM api_tokens').get() as {
          n: number;
        };
        const id = formatSequenceId(TOKEN_ID_PREFIX, next.n);
        this.db
          .prepare(
            `INSERT INTO api_tokens (sequence, id, name, role, token_hash, created_at, expires_at)
             VALUES (?, ?, ?, ?, ?, ?, ?)`,
          )
          .run(next.n, id, name, role, hashToken(token), createdAt, input.expiresAt ?? null);
        this.store.appendAudit({
          actor: input.actor,
          action: 'token.create',
          subject: id,
          details: { role, name, ...(input.expiresAt ? { expiresAt: input.expiresAt } : {}) },
        });
        return {
          id,
          name,
          role,
          createdAt,
          ...(input.expiresAt ? { expiresAt: input.expiresAt } : {}),
        };
      })
      .immediate();
    return { token, info };
  }

  /** Every token, oldest first, revoked and expired ones included. */
  list(): ApiToken[] {
    const rows = this.db.prepare(`SELECT ${COLUMNS} FROM api_tokens ORDER BY sequence`).all() as TokenRow[];
    return rows.map(toToken);
  }

  get(id: string): ApiToken | undefined {
    const row = this.db.prepare(`SELECT ${COLUMNS} FROM api_tokens WHERE id = ?`).get(id) as
      | TokenRow
      | undefined;
    return row ? toToken(row) : undefined;
  }

  /**
   * Revokes a token (from the next request on) and writes `token.revoke`. Revoking a revoked token
   * is refused, so the audit trail holds one revocation per token.
   */
  revoke(id: string, actor: string): ApiToken {
    return this.db
      .transaction((): ApiToken => {
        const existing = this.get(id);
        if (!existing) throw new MetrogateError('MG_ERR_NOT_FOUND', `no token ${id}`, { token: id });
        if (existing.revokedAt) {
          throw new MetrogateError(
            'MG_ERR_INPUT_INVALID',
            `token ${id} was already revoked at ${existing.revokedAt}`,
            { token: id },
          );
        }
        const revokedAt = this.now().toISOString();
        this.db.prepare('UPDATE api_tokens SET revoked_at = ? WHERE id = ?').run(revokedAt, id);
        this.store.appendAudit({
          actor,
          action: 'token.revoke',
          subject: id,
          details: { role: existing.role, name: existing.name },
        });
        return { ...existing, revokedAt };
      })
      .immediate();
  }

  /** Checks a presented token: known, not revoked, not expired. Notes its use (coarsely). */
  check(presented: string): TokenCheck {
    if (!TOKEN_SHAPE.test(presented)) return { ok: false, reason: 'malformed' };
    const row = this.db
      .prepare(`SELECT ${COLUMNS} FROM api_tokens WHERE token_hash = ?`)
      .get(hashToken(presented)) as TokenRow | undefined;
    if (!row) return { ok: false, reason: 'unknown' };
    if (row.revoked_at) return { ok: false, reason: 'revoked' };
    const now = this.now();
    if (row.expires_at && Date.parse(row.expires_at) <= now.getTime())
      return { ok: false, reason: 'expired' };
    if (!row.last_used_at || now.getTime() - Date.parse(row.last_used_at) >= LAST_USED_RESOLUTION_MS) {
      row.last_used_at = now.toISOString();
      this.db.prepare('UPDATE api_tokens SET last_used_at = ? WHERE id = ?').run(row.last_used_at, row.id);
    }
    return { ok: true, token: toToken(row) };
  }
}
