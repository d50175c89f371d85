import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MetrogateStore } from './store.js';
import { hashToken, parseExpiry, TokenStore } from './tokens.js';

describe('TokenStore', () => {
  let dir: string;
  let store: MetrogateStore;
  let clock: Date;
  let tokens: TokenStore;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'metrogate-tokens-'));
    clock = new Date('2026-03-01T08:00:00.000Z');
    store = MetrogateStore.open({ dataDir: dir, now: () => clock });
    tokens = new TokenStore(store, { now: () => clock });
  });

  afterEach(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('shows the token once and stores only its SHA-256', () => {
    const created = tokens.create({ role: 'technician', name: 'bench 3', actor: 'alice' });
    expect(created.token).toMatch(/^mgt_[A-Za-z0-9_-]{43}$/);
    expect(created.info).toMatchObject({ id: 'TK-000001', role: 'technician', name: 'bench 3' });
    const row = store.db.prepare('SELECT * FROM api_tokens').get() as Record<string, unknown>;
    expect(row.token_hash).toBe(hashToken(created.token));
    expect(JSON.stringify(row)).not.toContain(created.token.slice(4));
  });

  it('accepts its own token and refuses unknown, malformed, revoked and expired ones', () => {
    const good = tokens.create({ role: 'admin', actor: 'alice' });
    const expiring = tokens.create({
      role: 'regulator',
      actor: 'alice',
      expiresAt: parseExpiry('1h', clock),
    });
    expect(tokens.check(good.token)).toMatchObject({ ok: true, token: { id: 'TK-000001', role: 'admin' } });
    expect(tokens.check(`${good.token.slice(0, -1)}${good.token.endsWith('A') ? 'B' : 'A'}`)).toEqual({
      ok: false,
      reason: 'unknown',
    });
    expect(tokens.check('Bearer nonsense')).toEqual({ ok: false, reason: 'malformed' });
    expect(tokens.check(expiring.token).ok).toBe(true);
    clock = new Date(clock.getTime() + 3_600_001);
    expect(tokens.check(expiring.token)).toEqual({ ok: false, reason: 'expired' });
    tokens.revoke('TK-000001', 'bob');
    expect(tokens.check(good.token)).toEqual({ ok: false, reason: 'revoked' });
  });

  it('writes token.create and token.revoke to the audit trail without the token', () => {
    const created = tokens.create({ role: 'regulator', name: '江油市 bureau', actor: 'alice' });
    tokens.revoke(created.info.id, 'bob');
    const entries = store.audit.list();
    expect(entries.map((e) => [e.action, e.actor, e.subject])).toEqual([
      ['token.revoke', 'bob', 'TK-000001'],
      ['token.create', 'alice', 'TK-000001'],
    ]);
    expect(entries[1]!.details).toEqual({ role: 'regulator', name: '江油市 bureau' });
    const trail = JSON.stringify(store.db.prepare('SELECT * FROM audit_trail').all());
    expect(trail).not.toContain(created.token);
    expect(trail).not.toContain(hashToken(created.token));
    expect(store.verify().intact).toBe(true);
  });

  it('refuses an unknown role, a second revocation and an unknown id', () => {
    expect(() => tokens.create({ role: 'root', actor: 'alice' })).toThrow(/--role: "root" is not a role/);
    const created = tokens.create({ role: 'admin', actor: 'alice' });
    tokens.revoke(created.info.id, 'alice');
    expect(() => tokens.revoke(created.info.id, 'alice')).toThrow(/already revoked/);
    expect(() => tokens.revoke('TK-000099', 'alice')).toThrow(
      expect.objectContaining({ code: 'MG_ERR_NOT_FOUND' }),
    );
    expect(store.audit.count()).toBe(2);
  });

  it('lists every token with its state, and notes the last use at most once a minute', () => {
    const a = tokens.create({ role: 'admin', actor: 'x' });
    tokens.create({ role: 'technician', actor: 'x' });
    tokens.check(a.token);
    const first = tokens.get('TK-000001')!.lastUsedAt;
    expect(first).toBe('2026-03-01T08:00:00.000Z');
    clock = new Date(clock.getTime() + 30_000);
    tokens.check(a.token);
    expect(tokens.get('TK-000001')!.lastUsedAt).toBe(first);
    clock = new Date(clock.getTime() + 30_000);
    tokens.check(a.token);
    expect(tokens.get('TK-000001')!.lastUsedAt).toBe('2026-03-01T08:01:00.000Z');
    expect(tokens.list().map((t) => [t.id, t.role])).toEqual([
      ['TK-000001', 'admin'],
      ['TK-000002', 'technician'],
    ]);
  });
});

describe('parseExpiry', () => {
  const now = new Date('2026-03-01T08:00:00.000Z');
  it('reads durations, dates and date-times', () => {
    expect(parseExpiry('30d', now)).toBe('2026-03-31T08:00:00.000Z');
    expect(parseExpiry('12h', now)).toBe('2026-03-01T20:00:00.000Z');
    expect(parseExpiry('2026-12-31', now)).toBe('2026-12-31T23:59:59.999Z');
    expect(parseExpiry('2026-04-01T00:00:00+08:00', now)).toBe('2026-03-31T16:00:00.000Z');
  });
  it('refuses nonsense, impossible dates and the past', () => {
    for (const bad of ['soon', '0d', '2026-02-30', '2025-01-01', '2026-04-01T00:00:00'])
      expect(() => parseExpiry(bad, now), bad).toThrow(/--expires/);
  });
});
