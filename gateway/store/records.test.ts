import { createHash, createHmac } from 'node:crypto';
import { chmodSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { isMetrogateError } from '../../drivers/errors.js';
import { useCleanup } from '../../test/helpers/cleanup.js';
import { openTestStore, sampleRecord, TEST_SOFTWARE, tempDataDir } from '../../test/helpers/records.js';
import { canonicalJson } from './canonical-json.js';
import { DATABASE_FILE } from './database.js';
import { GENESIS_HASH } from './hash-chain.js';
import { recordKeyPath } from './record-key.js';
import type { StoredVerificationRecord } from './record-types.js';
import { MetrogateStore } from './store.js';

const cleanup = useCleanup();

function newStore(): { store: MetrogateStore; dir: string; reopen(): MetrogateStore } {
  const data = tempDataDir();
  cleanup(data.remove);
  const open = () => {
    const store = openTestStore(data.dir);
    cleanup(() => store.close());
    return store;
  };
  return { store: open(), dir: data.dir, reopen: open };
}

function fill(store: MetrogateStore, count: number): StoredVerificationRecord[] {
  return Array.from({ length: count }, (_, i) => store.records.append(sampleRecord(i + 1)));
}

/** A second connection, as someone with file access has: triggers dropped, any SQL allowed. */
function tamper(dir: string, sql: (db: Database.Database) => void): void {
  const db = new Database(join(dir, DATABASE_FILE));
  try {
    db.exec(
      'DROP TRIGGER IF EXISTS verification_records_no_update; DROP TRIGGER IF EXISTS verification_records_no_delete;',
    );
    sql(db);
  } finally {
    db.close();
  }
}

function bodyOf(record: StoredVerificationRecord): Omit<StoredVerificationRecord, 'hash' | 'hmac'> {
  const { hash: _hash, hmac: _hmac, ...body } = record;
  return body;
}

function thrown(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}

describe('RecordStore.append', () => {
  it('numbers, stamps, chains and seals each record', () => {
    const { store, dir } = newStore();
    const [first, second] = fill(store, 2);
    expect(first).toMatchObject({
      sequence: 1,
      id: 'VR-000001',
      previousHash: GENESIS_HASH,
      performedAt: '2025-05-01T01:30:00+08:00',
      recordedAt: '2025-05-01T08:00:00.000Z',
      software: TEST_SOFTWARE,
      operator: 'Operator-001',
    });
    expect(second).toMatchObject({ sequence: 2, id: 'VR-000002', previousHash: first!.hash });

    // Recomputed independently: SHA-256 and HMAC-SHA-256 (key from the key file) of the canonical body.
    const key = Buffer.from(readFileSync(recordKeyPath(dir), 'utf8').trim(), 'hex');
    for (const record of [first!, second!]) {
      const canonical = canonicalJson(bodyOf(record));
      expect(record.hash).toBe(createHash('sha256').update(canonical, 'utf8').digest('hex'));
      expect(record.hmac).toBe(createHmac('sha256', key).update(canonical, 'utf8').digest('hex'));
    }
  });

  it('defaults performedAt to the store clock and returns what a later get returns', () => {
    const { store } = newStore();
    const { performedAt: _omitted, ...withoutTime } = sampleRecord(1);
    const stored = store.records.append(withoutTime);
    expect(stored.performedAt).toBe(stored.recordedAt);
    expect(store.records.get(stored.id)).toEqual(stored);
  });

  it('stamps the checksum of the running code when no software id is given', () => {
    const data = tempDataDir();
    cleanup(data.remove);
    const store = MetrogateStore.open({ dataDir: data.dir });
    cleanup(() => store.close());
    const stored = store.records.append(sampleRecord(1));
    expect(stored.software.name).toBe('metrogate');
    expect(stored.software.checksum).toMatch(/^[0-9a-f]{64}$/);
    expect(stored.software.checksum).not.toBe(TEST_SOFTWARE.checksum);
    expect(store.records.append(sampleRecord(2)).software).toEqual(stored.software);
  });

  it('refuses an incomplete record naming the field', () => {
    const { store } = newStore();
    const blankOperator = thrown(() => store.records.append(sampleRecord(1, { operator: ' ' })));
    expect(isMetrogateError(blankOperator, 'MG_ERR_INPUT_INVALID')).toBe(true);
    expect((blankOperator as Error).message).toMatch(/operator/);
    const badTime = thrown(() => store.records.append(sampleRecord(1, { performedAt: 'yesterday' })));
    expect((badTime as Error).message).toMatch(/performedAt/);
    const badDue = thrown(() =>
      store.records.append(
        sampleRecord(1, {
          standards: [
            { id: 'W', kind: 'weight-set', description: 'w', certificateNumber: 'c', dueDate: '2025-02-30' },
          ],
        }),
      ),
    );
    expect((badDue as Error).message).toMatch(/standards\[0\]\.dueDate/);
    expect(store.records.count()).toBe(0);
    const first = store.records.append(sampleRecord(1));
    const replayed = thrown(() => store.records.append(first));
    expect(isMetrogateError(replayed, 'MG_ERR_INPUT_INVALID')).toBe(true);
    expect((replayed as Error).message).toMatch(/Unrecognized keys?.*sequence/);
    expect(store.records.count()).toBe(1);
  });

  it('keeps the key in keys/record-hmac.key, owner-only, and reuses it after reopening', () => {
    const { store, dir, reopen } = newStore();
    fill(store, 1);
    const path = recordKeyPath(dir);
    expect(readFileSync(path, 'utf8')).toMatch(/^[0-9a-f]{64}\n$/);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'keys')).mode & 0o777).toBe(0o700);
    const keyBefore = readFileSync(path, 'utf8');
    store.close();
    const again = reopen();
    again.records.append(sampleRecord(2));
    expect(readFileSync(path, 'utf8')).toBe(keyBefore);
    expect(again.records.verifyChain()).toMatchObject({ intact: true, count: 2 });
  });

  it('refuses a key file others can read, and a lost key once records exist', () => {
    const { store, dir } = newStore();
    fill(store, 1);
    store.close();
    chmodSync(recordKeyPath(dir), 0o644);
    const reopened = openTestStore(dir);
    cleanup(() => reopened.close());
    const readable = thrown(() => reopened.records.verifyChain());
    expect(isMetrogateError(readable, 'MG_ERR_STORE_FAILED')).toBe(true);
    expect((readable as Error).message).toContain(recordKeyPath(dir));
    expect((readable as Error).message).toMatch(/chmod 600/);

    rmSync(recordKeyPath(dir));
    const lost = openTestStore(dir);
    cleanup(() => lost.close());
    const append = thrown(() => lost.records.append(sampleRecord(2)));
    expect(isMetrogateError(append, 'MG_ERR_STORE_FAILED')).toBe(true);
    expect((append as Error).message).toMatch(/missing.*restore the key/);
    expect(
      isMetrogateError(
        thrown(() => lost.records.verifyChain()),
        'MG_ERR_STORE_FAILED',
      ),
    ).toBe(true);
  });
});

describe('RecordStore reads', () => {
  it('lists newest first, by instrument and with a limit', () => {
    const { store } = newStore();
    fill(store, 4);
    store.records.append(sampleRecord(9, { instrument: { id: 'SC-0002', kind: 'scale' } }));
    expect(store.records.list().map((r) => r.id)).toEqual([
      'VR-000005',
      'VR-000004',
      'VR-000003',
      'VR-000002',
      'VR-000001',
    ]);
    expect(store.records.list({ instrumentId: 'SC-0002' }).map((r) => r.id)).toEqual([
      'VR-000005',
      'VR-000002',
    ]);
    expect(store.records.list({ limit: 2 }).map((r) => r.id)).toEqual(['VR-000005', 'VR-000004']);
    expect(store.records.get('VR-000009')).toBeUndefined();
    expect(
      isMetrogateError(
        thrown(() => store.records.require('VR-000009')),
        'MG_ERR_NOT_FOUND',
      ),
    ).toBe(true);
  });

  it('refuses to hand out a record whose content no longer matches its seal', () => {
    const { store, dir } = newStore();
    fill(store, 3);
    tamper(dir, (db) => {
      db.prepare(
        "UPDATE verification_records SET payload = replace(payload, 'Operator-002', 'Operator-XYZ') WHERE sequence = 2",
      ).run();
    });
    const error = thrown(() => store.records.get('VR-000002'));
    expect(isMetrogateError(error, 'MG_ERR_RECORD_CHAIN_BROKEN')).toBe(true);
    expect((error as Error).message).toContain('VR-000002');
    const seals = store.records.list().map((r) => [r.id, store.records.sealIntact(r)]);
    expect(seals).toEqual([
      ['VR-000003', true],
      ['VR-000002', false],
      ['VR-000001', true],
    ]);
  });
});

describe('append-only table', () => {
  it('refuses UPDATE and DELETE through SQL', () => {
    const { store } = newStore();
    fill(store, 2);
    expect(() =>
      store.db.prepare("UPDATE verification_records SET verdict = 'fail' WHERE sequence = 1").run(),
    ).toThrow(/append-only/);
    expect(() => store.db.prepare('DELETE FROM verification_records WHERE sequence = 2').run()).toThrow(
      /append-only/,
    );
    expect(store.records.verifyChain()).toMatchObject({ intact: true, count: 2 });
  });
});

describe('RecordStore.verifyChain', () => {
  it('reports an intact chain with its head, and an empty one', () => {
    const { store } = newStore();
    expect(store.records.verifyChain()).toEqual({ chain: 'records', intact: true, count: 0 });
    const records = fill(store, 5);
    expect(store.records.verifyChain()).toEqual({
      chain: 'records',
      intact: true,
      count: 5,
      head: { id: 'VR-000005', sequence: 5, hash: records[4]!.hash },
    });
  });

  it('names the record whose content was changed (hash mismatch), not the ones after it', () => {
    const { store, dir } = newStore();
    fill(store, 5);
    tamper(dir, (db) => {
      db.prepare(
        `UPDATE verification_records SET payload = replace(payload, '"verdict":"pass"', '"verdict":"fail"') WHERE sequence = 3`,
      ).run();
    });
    expect(store.records.verifyChain()).toMatchObject({
      intact: false,
      count: 5,
      problem: { kind: 'content-altered', recordId: 'VR-000003', sequence: 3 },
    });
  });

  it('names the record changed with a recomputed hash as an HMAC mismatch', () => {
    const { store, dir } = newStore();
    const records = fill(store, 5);
    const forged = { ...bodyOf(records[1]!), operator: 'Someone-Else' };
    const canonical = canonicalJson(forged);
    const hash = createHash('sha256').update(canonical).digest('hex');
    tamper(dir, (db) => {
      db.prepare('UPDATE verification_records SET payload = ?, hash = ? WHERE sequence = 2').run(
        canonical,
        hash,
      );
    });
    const report = store.records.verifyChain();
    expect(report.problem).toMatchObject({ kind: 'hmac-mismatch', recordId: 'VR-000002', sequence: 2 });
    expect(report.problem?.message).toMatch(/without the gateway's key/);
  });

  it('names a record removed from the middle', () => {
    const { store, dir } = newStore();
    fill(store, 5);
    tamper(dir, (db) => db.prepare('DELETE FROM verification_records WHERE sequence = 3').run());
    expect(store.records.verifyChain()).toMatchObject({
      intact: false,
      count: 4,
      problem: { kind: 'removed', recordId: 'VR-000003', sequence: 3 },
    });
  });

  it('names a removal hidden by renumbering the rows after it', () => {
    const { store, dir } = newStore();
    fill(store, 5);
    tamper(dir, (db) => {
      db.prepare('DELETE FROM verification_records WHERE sequence = 2').run();
      for (const sequence of [3, 4, 5]) {
        db.prepare('UPDATE verification_records SET sequence = ?, id = ? WHERE sequence = ?').run(
          sequence - 1,
          `VR-00000${sequence - 1}`,
          sequence,
        );
      }
    });
    expect(store.records.verifyChain().problem).toMatchObject({ kind: 'removed', recordId: 'VR-000002' });
  });

  it('names the first record removed from the end (the sealed head still counts them)', () => {
    const { store, dir } = newStore();
    fill(store, 5);
    tamper(dir, (db) => db.prepare('DELETE FROM verification_records WHERE sequence >= 4').run());
    const report = store.records.verifyChain();
    expect(report.problem).toMatchObject({ kind: 'removed', recordId: 'VR-000004', sequence: 4 });
    expect(report.problem?.message).toMatch(/VR-000004 to VR-000005 are missing/);
  });

  it('reports a deleted or forged chain head', () => {
    const { store, dir } = newStore();
    fill(store, 3);
    tamper(dir, (db) => db.prepare("UPDATE chain_heads SET sequence = 2 WHERE chain = 'records'").run());
    expect(store.records.verifyChain().problem).toMatchObject({
      kind: 'head-mismatch',
      recordId: 'VR-000003',
    });
    tamper(dir, (db) => db.prepare("DELETE FROM chain_heads WHERE chain = 'records'").run());
    expect(store.records.verifyChain().problem).toMatchObject({
      kind: 'head-mismatch',
      recordId: 'VR-000003',
    });
  });

  it('refuses to append after the newest records were removed, so the gap cannot be papered over', () => {
    const { store, dir } = newStore();
    fill(store, 3);
    tamper(dir, (db) => db.prepare('DELETE FROM verification_records WHERE sequence = 3').run());
    const error = thrown(() => store.records.append(sampleRecord(4)));
    expect(isMetrogateError(error, 'MG_ERR_RECORD_CHAIN_BROKEN')).toBe(true);
    expect(store.records.count()).toBe(2);
  });

  it('names the first of two records whose sequence numbers were swapped', () => {
    const { store, dir } = newStore();
    fill(store, 5);
    tamper(dir, (db) => {
      db.prepare('UPDATE verification_records SET sequence = -1 WHERE sequence = 2').run();
      db.prepare('UPDATE verification_records SET sequence = 2 WHERE sequence = 3').run();
      db.prepare('UPDATE verification_records SET sequence = 3 WHERE sequence = -1').run();
    });
    const report = store.records.verifyChain();
    expect(report.problem).toMatchObject({ kind: 'reordered', recordId: 'VR-000002', sequence: 2 });
    expect(report.problem?.message).toMatch(/position 2 of the chain holds VR-000003/);
  });

  it('names the record whose bytes were edited in the database file', () => {
    const { store, dir, reopen } = newStore();
    fill(store, 5);
    store.close(); // checkpoints the WAL into the database file
    const path = join(dir, DATABASE_FILE);
    const bytes = readFileSync(path);
    const original = Buffer.from('Operator-004');
    const edited = Buffer.from('Operator-00X');
    let at = bytes.indexOf(original);
    let edits = 0;
    while (at >= 0) {
      edited.copy(bytes, at);
      edits += 1;
      at = bytes.indexOf(original, at + 1);
    }
    expect(edits).toBeGreaterThan(0);
    writeFileSync(path, bytes);
    expect(reopen().records.verifyChain().problem).toMatchObject({
      kind: 'content-altered',
      recordId: 'VR-000004',
    });
  });

  it('names a record whose listed column disagrees with its sealed content', () => {
    const { store, dir } = newStore();
    fill(store, 3);
    tamper(dir, (db) =>
      db.prepare("UPDATE verification_records SET instrument_id = 'SC-9999' WHERE sequence = 2").run(),
    );
    const problem = store.records.verifyChain().problem;
    expect(problem).toMatchObject({ kind: 'content-altered', recordId: 'VR-000002' });
    expect(problem?.message).toMatch(/instrument_id/);
  });

  it('names a record whose stored bytes were rewritten in another JSON form of the same content', () => {
    const { store, dir } = newStore();
    const records = fill(store, 3);
    tamper(dir, (db) =>
      db
        .prepare('UPDATE verification_records SET payload = ? WHERE sequence = 3')
        .run(JSON.stringify(bodyOf(records[2]!), null, 1)),
    );
    expect(store.records.verifyChain().problem).toMatchObject({
      kind: 'content-altered',
      recordId: 'VR-000003',
    });
  });

  it('names the record whose stored hash was overwritten', () => {
    const { store, dir } = newStore();
    fill(store, 3);
    tamper(dir, (db) =>
      db.prepare(`UPDATE verification_records SET hash = '${'f'.repeat(64)}' WHERE sequence = 1`).run(),
    );
    expect(store.records.verifyChain().problem).toMatchObject({
      kind: 'content-altered',
      recordId: 'VR-000001',
    });
  });

  it('keeps one chain when two connections append in turn', () => {
    const { store, reopen } = newStore();
    const other = reopen();
    for (let i = 1; i <= 6; i++) (i % 2 === 0 ? store : other).records.append(sampleRecord(i));
    expect(store.records.verifyChain()).toMatchObject({ intact: true, count: 6 });
    expect(other.records.list().map((r) => r.sequence)).toEqual([6, 5, 4, 3, 2, 1]);
  });
});
