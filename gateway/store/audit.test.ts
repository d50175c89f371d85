import { createHash } from 'node:crypto';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { isMetrogateError } from '../../drivers/errors.js';
import { useCleanup } from '../../test/helpers/cleanup.js';
import { openTestStore, sampleRecord, tempDataDir } from '../../test/helpers/records.js';
import { canonicalJson } from './canonical-json.js';
import { DATABASE_FILE } from './database.js';
import { GENESIS_HASH } from './hash-chain.js';
import type { MetrogateStore } from './store.js';

const cleanup = useCleanup();

function newStore(): { store: MetrogateStore; dir: string } {
  const data = tempDataDir();
  cleanup(data.remove);
  const store = openTestStore(data.dir);
  cleanup(() => store.close());
  return { store, dir: data.dir };
}

function tamperAudit(dir: string, sql: string, ...params: unknown[]): void {
  const db = new Database(join(dir, DATABASE_FILE));
  try {
    db.exec('DROP TRIGGER IF EXISTS audit_trail_no_update; DROP TRIGGER IF EXISTS audit_trail_no_delete;');
    db.prepare(sql).run(...params);
  } finally {
    db.close();
  }
}

function appendSome(store: MetrogateStore, count: number): void {
  for (let i = 1; i <= count; i++) {
    store.appendAudit({
      actor: `admin-${i}`,
      action: i % 2 ? 'rules.override' : 'token.create',
      subject: i % 2 ? 'JJG443-2023' : `token-${i}`,
      details:
        i % 2 ? { parameter: 'repeatabilityLimit', from: '0.10', to: `0.1${i}` } : { role: 'technician' },
    });
  }
}

describe('AuditTrail', () => {
  it('chains and seals entries AU-000001 …, newest first in list', () => {
    const { store } = newStore();
    appendSome(store, 3);
    const entries = store.audit.list();
    expect(entries.map((e) => e.id)).toEqual(['AU-000003', 'AU-000002', 'AU-000001']);
    const first = entries[2]!;
    expect(first).toMatchObject({
      sequence: 1,
      actor: 'admin-1',
      action: 'rules.override',
      subject: 'JJG443-2023',
      details: { parameter: 'repeatabilityLimit', from: '0.10', to: '0.11' },
      previousHash: GENESIS_HASH,
      at: '2025-05-01T08:00:00.000Z',
    });
    const { hash, hmac: _hmac, ...body } = first;
    expect(hash).toBe(createHash('sha256').update(canonicalJson(body)).digest('hex'));
    expect(entries[1]!.previousHash).toBe(hash);
    expect(store.audit.list({ subject: 'token-2' }).map((e) => e.id)).toEqual(['AU-000002']);
    expect(store.audit.verifyChain()).toMatchObject({ chain: 'audit', intact: true, count: 3 });
  });

  it('refuses UPDATE and DELETE, and an entry without an actor', () => {
    const { store } = newStore();
    appendSome(store, 1);
    expect(() => store.db.prepare("UPDATE audit_trail SET actor = 'x'").run()).toThrow(/append-only/);
    expect(() => store.db.prepare('DELETE FROM audit_trail').run()).toThrow(/append-only/);
    let error: unknown;
    try {
      store.appendAudit({ actor: '', action: 'config.change', subject: 'gateway.yaml' });
    } catch (caught) {
      error = caught;
    }
    expect(isMetrogateError(error, 'MG_ERR_INPUT_INVALID')).toBe(true);
    expect((error as Error).message).toMatch(/actor/);
  });

  it('names the first altered and the first removed entry', () => {
    const { store, dir } = newStore();
    appendSome(store, 4);
    tamperAudit(dir, "UPDATE audit_trail SET payload = replace(payload, '0.13', '0.50') WHERE sequence = 3");
    expect(store.audit.verifyChain().problem).toMatchObject({
      kind: 'content-altered',
      recordId: 'AU-000003',
    });
    tamperAudit(dir, 'DELETE FROM audit_trail WHERE sequence = 2');
    expect(store.audit.verifyChain().problem).toMatchObject({ kind: 'removed', recordId: 'AU-000002' });
  });

  it('is checked together with the records by MetrogateStore.verify', () => {
    const { store, dir } = newStore();
    store.records.append(sampleRecord(1));
    appendSome(store, 2);
    expect(store.verify()).toMatchObject({
      intact: true,
      records: { intact: true, count: 1 },
      audit: { intact: true, count: 2 },
    });
    tamperAudit(dir, "UPDATE audit_trail SET actor = 'nobody' WHERE sequence = 1");
    const verification = store.verify();
    expect(verification.intact).toBe(false);
    expect(verification.records.intact).toBe(true);
    expect(verification.audit.problem).toMatchObject({ kind: 'content-altered', recordId: 'AU-000001' });
  });
});
