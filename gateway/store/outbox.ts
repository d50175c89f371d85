/**
 * The outbox: points on their way to InfluxDB, kept in the gateway's SQLite database (tables
 * `outbox` and `outbox_counters`, migration 2). A point counts as taken once `append` has returned:
 * the rows are committed (WAL, `synchronous = FULL`) in one transaction with the depth counter.
 * Sinks read the oldest first and remove what they delivered; after an outage or a restart they just
 * read from the oldest again, so replay is in order. A size cap keeps the file bounded: when it is
 * exceeded the oldest points go and are counted in a persisted drop counter (Telegraf does the same
 * with its in-memory buffer, but loses it on a restart).
 */
import type { Statement, Transaction } from 'better-sqlite3';
import type { Outbox, OutboxEntry, OutboxPoint, OutboxRow } from '../runtime/contracts.js';
import { preformattedLine } from '../sinks/points.js';
import { errorText, type SqliteDatabase, storeError } from './database.js';

/** Default cap: at 100 points/s that is almost three hours of InfluxDB being away. */
export const DEFAULT_OUTBOX_MAX_POINTS = 1_000_000;

export interface OutboxOptions {
  /** Size cap in points; past it the oldest are dropped and counted. Default 1 000 000. */
  maxPoints?: number;
}

export class SqliteOutbox implements Outbox {
  readonly maxPoints: number;
  private readonly insert: Statement<[string, string | null]>;
  private readonly selectOldest: Statement<[number]>;
  private readonly selectAfter: Statement<[number, number]>;
  private readonly deleteThrough: Statement<[number]>;
  private readonly idAtOffset: Statement<[number]>;
  private readonly deleteBelow: Statement<[number]>;
  private readonly readCounter: Statement<[string]>;
  private readonly addToCounter: Statement<[number, string]>;
  private readonly appendAll: Transaction<(points: readonly OutboxPoint[]) => void>;
  private readonly ackAll: Transaction<(id: number) => void>;

  constructor(
    private readonly db: SqliteDatabase,
    options: OutboxOptions = {},
  ) {
    const maxPoints = options.maxPoints ?? DEFAULT_OUTBOX_MAX_POINTS;
    if (!Number.isSafeInteger(maxPoints) || maxPoints < 1) {
      throw storeError(`outbox maxPoints must be a positive integer, not ${maxPoints}`, db.name);
    }
    this.maxPoints = maxPoints;
    this.insert = db.prepare('INSERT INTO outbox (point, line) VALUES (?, ?)');
    // raw(): rows as [id, point] arrays, one object less per row on the sink's hot path.
    this.selectOldest = db.prepare('SELECT id, point FROM outbox ORDER BY id LIMIT ?').raw(true);
    // The JSON only where there is no line: the sink then reads little more than what it sends.
    this.selectAfter = db
      .prepare(
        'SELECT id, line, CASE WHEN line IS NULL THEN point END FROM outbox WHERE id > ? ORDER BY id LIMIT ?',
      )
      .raw(true);
    this.deleteThrough = db.prepare('DELETE FROM outbox WHERE id <= ?');
    this.idAtOffset = db.prepare('SELECT id FROM outbox ORDER BY id LIMIT 1 OFFSET ?');
    this.deleteBelow = db.prepare('DELETE FROM outbox WHERE id < ?');
    this.readCounter = db.prepare('SELECT value FROM outbox_counters WHERE name = ?');
    this.addToCounter = db.prepare('UPDATE outbox_counters SET value = value + ? WHERE name = ?');

    this.appendAll = db.transaction((points: readonly OutboxPoint[]) => {
      // Points that would be dropped by this very append are never written, only counted.
      const skipped = Math.max(0, points.length - this.maxPoints);
      for (let i = skipped; i < points.length; i++) {
        const point = points[i]!;
        this.insert.run(JSON.stringify(point), preformattedLine(point) ?? null);
      }
      const written = points.length - skipped;
      this.addToCounter.run(written, 'depth');
      const excess = this.counter('depth') - this.maxPoints;
      let evicted = 0;
      if (excess > 0) {
        const firstKept = this.idAtOffset.get(excess) as { id: number } | undefined;
        evicted = firstKept ? this.deleteBelow.run(firstKept.id).changes : 0;
        this.addToCounter.run(-evicted, 'depth');
      }
      if (skipped + evicted > 0) this.addToCounter.run(skipped + evicted, 'dropped');
    });
    this.ackAll = db.transaction((id: number) => {
      const removed = this.deleteThrough.run(id).changes;
      if (removed > 0) this.addToCounter.run(-removed, 'depth');
    });
  }

  append(points: readonly OutboxPoint[]): void {
    if (points.length === 0) return;
    try {
      // IMMEDIATE: take the write lock first, so a concurrent writer waits (busy_timeout) instead
      // of failing halfway through with SQLITE_BUSY.
      this.appendAll.immediate(points);
    } catch (error) {
      throw storeError(
        `cannot append ${points.length} point(s) to the outbox in ${this.db.name}: ${errorText(error)}`,
        this.db.name,
        error,
      );
    }
  }

  peek(limit: number): OutboxEntry[] {
    return entriesOf(this.selectOldest.all(Math.max(0, Math.trunc(limit))) as [number, string][]);
  }

  peekAfter(id: number, limit: number): OutboxRow[] {
    const rows = this.selectAfter.all(id, Math.max(0, Math.trunc(limit))) as [
      number,
      string | null,
      string | null,
    ][];
    const result = new Array<OutboxRow>(rows.length);
    for (let i = 0; i < rows.length; i++) {
      const [rowId, line, point] = rows[i]!;
      result[i] =
        line !== null ? { id: rowId, line } : { id: rowId, point: JSON.parse(point!) as OutboxPoint };
    }
    return result;
  }

  ackThrough(id: number): void {
    try {
      this.ackAll.immediate(id);
    } catch (error) {
      throw storeError(
        `cannot remove delivered points from the outbox in ${this.db.name}: ${errorText(error)}`,
        this.db.name,
        error,
      );
    }
  }

  depth(): number {
    return this.counter('depth');
  }

  dropped(): number {
    return this.counter('dropped');
  }

  private counter(name: 'depth' | 'dropped'): number {
    const row = this.readCounter.get(name) as { value: number } | undefined;
    return row?.value ?? 0;
  }
}

function entriesOf(rows: readonly [number, string][]): OutboxEntry[] {
  const entries = new Array<OutboxEntry>(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const [id, point] = rows[i]!;
    entries[i] = { id, point: JSON.parse(point) as OutboxPoint };
  }
  return entries;
}
