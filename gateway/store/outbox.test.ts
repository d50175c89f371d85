import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isMetrogateError } from '../../drivers/errors.js';
import { useCleanup } from '../../test/helpers/cleanup.js';
import { tempDataDir } from '../../test/helpers/records.js';
import type { OutboxPoint } from '../runtime/contracts.js';
import { DATABASE_FILE, openDatabase } from './database.js';
import { DEFAULT_OUTBOX_MAX_POINTS, SqliteOutbox } from './outbox.js';
import { MetrogateStore } from './store.js';

const cleanup = useCleanup();

function tempDir(): string {
  const data = tempDataDir('metrogate-outbox-');
  cleanup(data.remove);
  return data.dir;
}

function openStore(dataDir: string, maxPoints?: number): MetrogateStore {
  const store = MetrogateStore.open({ dataDir, ...(maxPoints ? { outbox: { maxPoints } } : {}) });
  cleanup(() => store.close());
  return store;
}

/** Point `n`: its number is in the value and in the timestamp, so order and identity are visible. */
function point(n: number): OutboxPoint {
  return {
    measurement: 'reading',
    tags: { device: `d${n % 3}`, channel: 'weight', kind: 'scale' },
    fields: { value: { float: n }, stable: { boolean: n % 2 === 0 }, quality: { string: 'good' } },
    timestamp: `${1_790_000_000_000 + n}000000`,
  };
}

const numbers = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const values = (outbox: SqliteOutbox, limit = 1_000_000) =>
  outbox.peek(limit).map((entry) => (entry.point.fields.value as { float: number }).float);

describe('SqliteOutbox', () => {
  it('gives back what was appended, oldest first, with the point intact', () => {
    const { outbox } = openStore(tempDir());
    outbox.append(numbers(1, 5).map(point));
    outbox.append([point(6)]);
    expect(outbox.depth()).toBe(6);
    const entries = outbox.peek(4);
    expect(entries.map((entry) => entry.point)).toEqual(numbers(1, 4).map(point));
    expect(entries.map((entry) => entry.id)).toEqual(
      [...entries.map((entry) => entry.id)].sort((a, b) => a - b),
    );
    expect(values(outbox)).toEqual(numbers(1, 6));
    expect(outbox.peek(0)).toEqual([]);
  });

  it('ackThrough removes exactly the entries up to the id', () => {
    const { outbox } = openStore(tempDir());
    outbox.append(numbers(1, 10).map(point));
    const firstFour = outbox.peek(4);
    outbox.ackThrough(firstFour.at(-1)!.id);
    expect(outbox.depth()).toBe(6);
    expect(values(outbox)).toEqual(numbers(5, 10));
    // Acking an id that is already gone changes nothing.
    outbox.ackThrough(firstFour[0]!.id);
    expect(outbox.depth()).toBe(6);
    outbox.ackThrough(Number.MAX_SAFE_INTEGER);
    expect(outbox.depth()).toBe(0);
    expect(outbox.peek(10)).toEqual([]);
  });

  it('never reuses an id, even after the outbox was emptied', () => {
    const { outbox } = openStore(tempDir());
    outbox.append([point(1), point(2)]);
    const old = outbox.peek(2);
    outbox.ackThrough(old[1]!.id);
    outbox.append([point(3)]);
    const [fresh] = outbox.peek(1);
    expect(fresh!.id).toBeGreaterThan(old[1]!.id);
    // A stale ack of the old ids must not remove the new point.
    outbox.ackThrough(old[1]!.id);
    expect(values(outbox)).toEqual([3]);
  });

  it('keeps points, order, depth and the drop counter across a restart', () => {
    const dir = tempDir();
    const first = MetrogateStore.open({ dataDir: dir, outbox: { maxPoints: 8 } });
    first.outbox.append(numbers(1, 10).map(point));
    first.outbox.ackThrough(first.outbox.peek(3).at(-1)!.id);
    first.close();

    const second = openStore(dir, 8);
    expect(second.outbox.depth()).toBe(5);
    expect(second.outbox.dropped()).toBe(2);
    expect(values(second.outbox)).toEqual(numbers(6, 10));
  });

  it('drops the oldest points past the cap and counts them', () => {
    const { outbox } = openStore(tempDir(), 100);
    outbox.append(numbers(1, 60).map(point));
    outbox.append(numbers(61, 130).map(point));
    expect(outbox.depth()).toBe(100);
    expect(outbox.dropped()).toBe(30);
    expect(values(outbox)).toEqual(numbers(31, 130));
    outbox.append([point(131)]);
    expect(outbox.dropped()).toBe(31);
    expect(values(outbox, 1)).toEqual([32]);
  });

  it('an append larger than the cap keeps only its newest points and counts the rest', () => {
    const { outbox } = openStore(tempDir(), 10);
    outbox.append(numbers(1, 5).map(point));
    outbox.append(numbers(6, 30).map(point));
    expect(values(outbox)).toEqual(numbers(21, 30));
    expect(outbox.depth()).toBe(10);
    expect(outbox.dropped()).toBe(20);
  });

  it('an append that fails leaves nothing behind (one transaction)', () => {
    const { outbox } = openStore(tempDir());
    outbox.append([point(1)]);
    const circular = point(2) as OutboxPoint & { self?: unknown };
    circular.self = circular;
    let failure: unknown;
    try {
      outbox.append([point(2), point(3), circular]);
    } catch (error) {
      failure = error;
    }
    expect(isMetrogateError(failure, 'MG_ERR_STORE_FAILED')).toBe(true);
    expect((failure as Error).message).toContain('cannot append 3 point(s) to the outbox');
    expect(outbox.depth()).toBe(1);
    expect(values(outbox)).toEqual([1]);
  });

  it('a point is committed when append returns: another connection sees it at once', () => {
    const dir = tempDir();
    const { outbox } = openStore(dir);
    outbox.append([point(7)]);
    const reader = openDatabase(join(dir, DATABASE_FILE));
    cleanup(() => reader.close());
    expect(new SqliteOutbox(reader).depth()).toBe(1);
    expect(values(new SqliteOutbox(reader))).toEqual([7]);
  });

  it('refuses a cap that is not a positive integer and defaults to one million', () => {
    const store = openStore(tempDir());
    expect(store.outbox.maxPoints).toBe(DEFAULT_OUTBOX_MAX_POINTS);
    expect(DEFAULT_OUTBOX_MAX_POINTS).toBe(1_000_000);
    expect(() => new SqliteOutbox(store.db, { maxPoints: 0 })).toThrow(/positive integer/);
    expect(() => new SqliteOutbox(store.db, { maxPoints: 1.5 })).toThrow(/positive integer/);
  });
});

describe('SqliteOutbox.peekAfter (the sink reading ahead)', () => {
  it('returns what follows an id, oldest first, with the line the sink will send', () => {
    const { outbox } = openStore(tempDir());
    outbox.append(numbers(1, 6).map(point));
    const ids = outbox.peek(6).map((entry) => entry.id);
    const after = outbox.peekAfter(ids[1]!, 3);
    expect(after.map((row) => row.id)).toEqual(ids.slice(2, 5));
    expect(after[0]).toEqual({
      id: ids[2],
      line: 'reading,channel=weight,device=d0,kind=scale quality="good",stable=F,value=3 1790000000003000000',
    });
    expect(outbox.peekAfter(0, 100).map((row) => row.id)).toEqual(ids);
    expect(outbox.peekAfter(ids[5]!, 100)).toEqual([]);
  });

  it('keeps the point, not a line, where only the sink can judge it (new field, bad value, old rows)', () => {
    const dataDir = tempDir();
    const { outbox, db } = openStore(dataDir);
    const learned: OutboxPoint = { ...point(1), fields: { ...point(1).fields, samples: { integer: 3 } } };
    const conflicting: OutboxPoint = { ...point(2), fields: { value: { string: 'x' } } };
    const infinite: OutboxPoint = { ...point(3), fields: { value: { float: Number.POSITIVE_INFINITY } } };
    outbox.append([learned, conflicting, point(4)]);
    // A row written before migration 7 has no line.
    db.prepare('UPDATE outbox SET line = NULL WHERE id = (SELECT MAX(id) FROM outbox)').run();
    const rows = outbox.peekAfter(0, 10);
    expect(rows.map((row) => row.line)).toEqual([undefined, undefined, undefined]);
    expect(rows.map((row) => row.point)).toEqual([learned, conflicting, point(4)]);
    // JSON keeps no Infinity: such a point reaches the sink as null and is refused there.
    outbox.append([infinite]);
    expect(outbox.peekAfter(rows[2]!.id, 10)[0]!.line).toBeUndefined();
  });
});
