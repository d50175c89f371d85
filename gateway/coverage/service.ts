/**
 * Keeps the coverage indicators published while the gateway runs (ARCHITECTURE.md "Coverage
 * indicators", issue 6): `CoverageService.start(options)` computes the current calendar year to
 * date (contracts.md §7) in full and publishes every region × kind; then
 *
 * - daily at `coverage.recomputeAt` (local time) it recomputes in full, for the new day's period;
 * - after every new verification it updates incrementally, not by a full recomputation: it follows
 *   the verification history by position (its AUTOINCREMENT id, as gateway/runtime/record-export.ts
 *   follows records by sequence), so it sees the records of the gateway's own HTTP sessions and
 *   those of `metrogate verify` in another process alike, and recomputes only the instruments those
 *   rows name (CoverageState.applyNewHistory). It looks every `pollIntervalMs`, and at once when
 *   told (`check()`, e.g. right after the service stored a record);
 * - a bulk import (more new rows than `incrementalLimit`) or new instruments in the register start
 *   a full recomputation instead. An instrument edited in place waits for the daily one.
 *
 * Every update writes, for each region × kind it changed, one `coverage` point to the outbox (so
 * that delivery to InfluxDB is durable: the InfluxDB sink drains it) and the row to the retained
 * MQTT topic `coverage/<region>/<kind>`. There is one point per region × kind × day: its time is
 * local midnight of the period's last day, so the day's later updates overwrite it in InfluxDB and
 * the daily recomputation starts the next day's point. A region × kind that no longer has anything
 * in use is published once more with zeros rather than left showing old figures.
 *
 * The service reads through a connection of its own (read only): the full pass holds a read
 * transaction across its chunks while the event loop keeps running, which must not enclose the
 * gateway's writes. Verifications dated after the period's end (today, before the daily
 * recomputation moved the period on) wait for that recomputation.
 */
import Database from 'better-sqlite3';
import { type Logger, silentLogger } from '../../drivers/logger.js';
import type { CoverageConfig } from '../config/gateway-config.js';
import type { Outbox } from '../runtime/contracts.js';
import type { CoverageEvent } from '../sinks/mqtt.js';
import { coveragePoint } from '../sinks/points.js';
import type { SqliteDatabase } from '../store/database.js';
import { dayKey, dayOf, localDay, monthOf, yearOf } from './dates.js';
import { type CoverageGroup, type CoveragePeriod, CoverageState, emptyCounts } from './engine.js';
import { type CoverageRow, coverageRow, coverageRows } from './report.js';

const RETRY_AFTER_FAILURE_MS = 60_000;

/** Where the rows go on MQTT (gateway/sinks/mqtt.ts MqttSink has it). */
export interface CoverageSink {
  publishCoverage(row: CoverageEvent): void;
}

export interface CoverageServiceOptions {
  /** The gateway database (MetrogateStore.databasePath); the service opens its own connection. */
  databasePath: string;
  /** The config's `coverage` section (periods, targets, recomputeAt). */
  config: CoverageConfig;
  /** Where the points go: the store's outbox; leave it out when no InfluxDB is configured. */
  outbox?: Pick<Outbox, 'append'>;
  /** The MQTT sink, for the retained `coverage/<region>/<kind>` topics. */
  mqtt?: CoverageSink;
  /** Called after points were appended (the InfluxDB sink's `notify`). */
  onPoints?: () => void;
  logger?: Logger;
  now?: () => Date;
  /** How often to look for new verification history rows (ms, default 2000; 0: only on `check()`). */
  pollIntervalMs?: number;
  /** More new history rows than this at once (a bulk import) trigger a full recomputation. */
  incrementalLimit?: number;
}

/** The current calendar year to date on the machine's clock (contracts.md §7). */
export function yearToDate(now: Date): CoveragePeriod {
  const to = localDay(now);
  return { from: dayKey(yearOf(to), 1, 1), to };
}

/** Milliseconds from `now` to the next local `HH:MM` (tomorrow's when today's has passed). */
export function msUntilDaily(now: Date, at: string): number {
  const [hours, minutes] = at.split(':').map(Number) as [number, number];
  const next = new Date(now.getFullYear(), now.getMonth(), now.getDate(), hours, minutes, 0, 0);
  if (next.getTime() <= now.getTime()) next.setDate(next.getDate() + 1);
  return next.getTime() - now.getTime();
}

/** What `coverage/<region>/<kind>` carries: the row and its period. */
export type CoverageEventRow = CoverageRow & { from: string; to: string };

export class CoverageService {
  private db: SqliteDatabase | undefined;
  private state: CoverageState | undefined;
  private instrumentsWatermark = 0;
  private recomputing: Promise<void> | undefined;
  private dailyTimer: NodeJS.Timeout | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private failedAt = Number.NEGATIVE_INFINITY;
  /** region␟kind of every row published since start, so a group that disappears is zeroed. */
  private readonly published = new Map<string, { region: string; kind: string }>();
  private readonly logger: Logger;
  private readonly now: () => Date;
  readonly counters = { recomputations: 0, incrementalUpdates: 0, pointsWritten: 0, failures: 0 };

  private constructor(private readonly options: CoverageServiceOptions) {
    this.logger = options.logger ?? silentLogger();
    this.now = options.now ?? (() => new Date());
  }

  /**
   * Opens the service's read connection and starts the first full computation without waiting for
   * it (over a million instruments it takes seconds, which must not delay the gateway's start);
   * `ready` resolves once it has been published. Then keeps the indicators current until `stop`.
   */
  static start(options: CoverageServiceOptions): CoverageService {
    const service = new CoverageService(options);
    const db = new Database(options.databasePath, { fileMustExist: true });
    db.pragma('busy_timeout = 5000');
    // This connection only reads; a write here would land inside a long read transaction.
    db.pragma('query_only = ON');
    service.db = db;
    service.ready = service.recompute();
    service.scheduleDaily();
    const interval = options.pollIntervalMs ?? 2000;
    if (interval > 0) service.pollTimer = setInterval(() => service.check(), interval);
    return service;
  }

  /** Resolves once the first full computation has been published (failures are logged, not thrown). */
  ready: Promise<void> = Promise.resolve();

  /** Stops the timers, lets a recomputation in flight finish, closes the connection. Idempotent. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.dailyTimer);
    clearInterval(this.pollTimer);
    await this.recomputing?.catch(() => undefined);
    if (this.db?.open) this.db.close();
  }

  /** The period of the indicators as last computed. */
  get period(): { from: string; to: string } | undefined {
    return this.state ? { from: this.state.fromText, to: this.state.toText } : undefined;
  }

  /** The current rows (region × kind with instruments in use), or undefined before the first pass. */
  rows(): CoverageRow[] | undefined {
    return this.state ? coverageRows(this.state.groups(), this.options.config) : undefined;
  }

  /**
   * A full recomputation for the year to date, yielding to the event loop between chunks; then
   * every group is published. Concurrent calls share one run.
   */
  recompute(): Promise<void> {
    this.recomputing ??= this.runRecompute().finally(() => {
      this.recomputing = undefined;
    });
    return this.recomputing;
  }

  /**
   * Applies the verification history rows added since the last look, instrument by instrument,
   * and publishes the groups they changed; returns how many groups were published. Does nothing
   * during a recomputation (it will see those rows); a bulk import or new instruments start one.
   */
  check(): number {
    const { db, state } = this;
    if (!db || this.recomputing || this.stopped) return 0;
    if (!state) {
      // The first computation failed (logged): try again, at most once a minute.
      if (performance.now() - this.failedAt > RETRY_AFTER_FAILURE_MS) void this.recompute();
      return 0;
    }
    try {
      if (instrumentsWatermarkOf(db) !== this.instrumentsWatermark) {
        void this.recompute();
        return 0;
      }
      const changed = state.applyNewHistory(db, this.options.incrementalLimit);
      if (changed === undefined) {
        void this.recompute();
        return 0;
      }
      if (changed.length === 0) return 0;
      this.counters.incrementalUpdates++;
      const groups = state.groups();
      this.publish(
        state,
        changed.map((g) => groups[g]!),
      );
      return changed.length;
    } catch (error) {
      this.counters.failures++;
      this.logger.error({ err: (error as Error).message }, 'coverage update failed');
      return 0;
    }
  }

  private async runRecompute(): Promise<void> {
    const db = this.db;
    if (!db || this.stopped) return;
    const started = performance.now();
    try {
      const state = new CoverageState(yearToDate(this.now()), this.options.config);
      const instrumentsWatermark = instrumentsWatermarkOf(db);
      await state.loadAsync(db);
      if (this.stopped) return;
      this.state = state;
      this.instrumentsWatermark = instrumentsWatermark;
      this.counters.recomputations++;
      const groups = [...state.groups()];
      const present = new Set(groups.map((group) => groupKey(group)));
      for (const [key, { region, kind }] of this.published) {
        if (!present.has(key)) groups.push({ region, kind, counts: emptyCounts() });
      }
      this.publish(state, groups);
      this.logger.info(
        {
          from: state.fromText,
          to: state.toText,
          instruments: state.instrumentCount,
          groups: groups.length,
          ms: Math.round(performance.now() - started),
        },
        'coverage recomputed',
      );
    } catch (error) {
      this.counters.failures++;
      this.failedAt = performance.now();
      this.logger.error({ err: (error as Error).message }, 'coverage recomputation failed');
    }
  }

  private publish(state: CoverageState, groups: readonly CoverageGroup[]): void {
    if (groups.length === 0) return;
    const rows = groups.map((group) =>
      coverageRow(group.region, group.kind, group.counts, this.options.config),
    );
    const to = state.period.to;
    const at = new Date(yearOf(to), monthOf(to) - 1, dayOf(to));
    if (this.options.outbox) {
      this.options.outbox.append(rows.map((row) => coveragePoint(row, at)));
      this.counters.pointsWritten += rows.length;
      this.options.onPoints?.();
    }
    for (const row of rows) {
      this.published.set(groupKey(row), { region: row.region, kind: row.kind });
      const event: CoverageEventRow = { ...row, from: state.fromText, to: state.toText };
      try {
        this.options.mqtt?.publishCoverage(event);
      } catch (error) {
        // A region that cannot be a topic level (empty) must not stop the others.
        this.logger.warn(
          { err: (error as Error).message, region: row.region },
          'coverage not published on MQTT',
        );
      }
    }
  }

  private scheduleDaily(): void {
    if (this.stopped) return;
    const delay = msUntilDaily(this.now(), this.options.config.recomputeAt);
    this.dailyTimer = setTimeout(() => {
      void this.recompute().finally(() => this.scheduleDaily());
    }, delay);
  }
}

function instrumentsWatermarkOf(db: SqliteDatabase): number {
  return (db.prepare('SELECT max(rowid) FROM instruments').pluck().get() as number | null) ?? 0;
}

function groupKey(group: { region: string; kind: string }): string {
  return `${group.region}\x1f${group.kind}`;
}
