/**
 * Computed coverage kept per period and filter, so that a dashboard asking for the same indicators
 * over and over is answered from memory (the HTTP API's `GET /api/coverage` and its overdue list).
 *
 * An entry is checked on every read with two primary-key lookups — the highest verification
 * history id and the highest instrument rowid. New history rows (a record of this gateway's
 * sessions, of `metrogate verify` in another process, an import) are applied to the entry
 * incrementally (CoverageState.applyNewHistory: only the instruments they name); a bulk import or
 * new instruments in the register make the entry recompute in full. An instrument edited in place
 * (a re-import changing a row) is seen when the entry is recomputed: after `maxAgeMs`, or sooner
 * when something else invalidates it.
 *
 * The cache reads through a connection of its own: a full pass holds a read transaction across its
 * chunks (loadAsync yields to the event loop between them), which must not enclose the service's
 * writes. Full passes run one at a time on that connection; concurrent readers of one entry share
 * its pass.
 */
import Database from 'better-sqlite3';
import type { CoverageConfig } from '../config/gateway-config.js';
import type { SqliteDatabase } from '../store/database.js';
import { type CoverageFilter, type CoveragePeriod, CoverageState } from './engine.js';
import { type OverdueInstrument, overdueInstruments } from './overdue.js';
import { type CoverageRow, coverageRows, coverageTotals } from './report.js';

export interface CoverageCacheOptions {
  /** The gateway database (MetrogateStore.databasePath). */
  databasePath: string;
  config: CoverageConfig;
  /** Periods × filters kept (least recently used dropped first; default 32). */
  maxEntries?: number;
  /**
   * Instrument slots kept over all entries, ~30 bytes each (default 8 000 000, ~240 MB): with a
   * register of a million instruments, about eight periods stay cached, with a small one all 32.
   */
  maxSlots?: number;
  /** An entry older than this is recomputed in full on its next read (ms, default 10 minutes). */
  maxAgeMs?: number;
  /** More new history rows than this at once are a bulk import: full recomputation (default 10 000). */
  incrementalLimit?: number;
  now?: () => number;
}

/** The indicators of one period and filter, as a cache read returns them. */
export interface CachedCoverage {
  from: string;
  to: string;
  rows: CoverageRow[];
  totals: CoverageRow[];
  /** The recall list, computed on first demand and kept until the entry changes. */
  overdue(): OverdueInstrument[];
  /**
   * A text made from the recall list (its JSON or CSV), made once per `name` and kept with the list:
   * tens of thousands of instruments take longer to serialise than to look up.
   */
  overdueText(name: string, make: (list: OverdueInstrument[]) => string): string;
}

interface Entry {
  key: string;
  state: CoverageState;
  computedAt: number;
  instrumentsWatermark: number;
  view: CachedCoverage | undefined;
}

export class CoverageCache {
  private db: SqliteDatabase | undefined;
  private watermarks: ReturnType<typeof prepareWatermarks> | undefined;
  private readonly entries = new Map<string, Entry>();
  private readonly pending = new Map<string, Promise<Entry>>();
  /** Full passes one after another: a connection holds one read transaction at a time. */
  private passes: Promise<unknown> = Promise.resolve();
  private closed = false;
  readonly counters = { hits: 0, incremental: 0, full: 0 };
  private readonly now: () => number;

  constructor(private readonly options: CoverageCacheOptions) {
    this.now = options.now ?? (() => Date.now());
  }

  /** The indicators of `period` (and `filter`), computed or brought up to date. */
  async get(period: CoveragePeriod, filter: CoverageFilter = {}): Promise<CachedCoverage> {
    const key = `${period.from}|${period.to}|${filter.region ?? ''}\x1f${filter.kind ?? ''}`;
    const entry = this.entries.get(key);
    if (entry && this.refresh(entry)) {
      // Most recently used last: Map keeps insertion order.
      this.entries.delete(key);
      this.entries.set(key, entry);
      return this.viewOf(entry);
    }
    let loading = this.pending.get(key);
    if (!loading) {
      loading = this.load(key, period, filter).finally(() => this.pending.delete(key));
      this.pending.set(key, loading);
    }
    return this.viewOf(await loading);
  }

  /** Drops every entry (the next read of each recomputes it). */
  invalidate(): void {
    this.entries.clear();
  }

  close(): void {
    this.closed = true;
    this.entries.clear();
    // A pass in flight finishes its transaction first (it holds the connection).
    void this.passes.finally(() => {
      if (this.db?.open) this.db.close();
    });
  }

  private connection(): SqliteDatabase {
    if (this.closed) throw new Error('the coverage cache is closed');
    if (!this.db) {
      this.db = new Database(this.options.databasePath, { fileMustExist: true });
      this.db.pragma('busy_timeout = 5000');
      this.db.pragma('query_only = ON');
    }
    return this.db;
  }

  /** Brings an entry up to date; false when it must be recomputed in full. */
  private refresh(entry: Entry): boolean {
    if (this.now() - entry.computedAt > (this.options.maxAgeMs ?? 600_000)) return false;
    const db = this.connection();
    if (this.instrumentsWatermark(db) !== entry.instrumentsWatermark) return false;
    if (this.historyWatermark(db) === entry.state.historyWatermark) {
      this.counters.hits++;
      return true;
    }
    const changed = entry.state.applyNewHistory(db, this.options.incrementalLimit);
    if (changed === undefined) return false;
    this.counters.incremental++;
    if (changed.length > 0) entry.view = undefined;
    return true;
  }

  private load(key: string, period: CoveragePeriod, filter: CoverageFilter): Promise<Entry> {
    const run = this.passes.then(async () => {
      const db = this.connection();
      const state = new CoverageState(period, this.options.config, filter);
      // The watermark before the pass: an instrument added during it is picked up by the next read.
      const instrumentsWatermark = this.instrumentsWatermark(db);
      await state.loadAsync(db);
      this.counters.full++;
      const entry: Entry = { key, state, computedAt: this.now(), instrumentsWatermark, view: undefined };
      this.entries.delete(key);
      this.entries.set(key, entry);
      const maxEntries = this.options.maxEntries ?? 32;
      const maxSlots = this.options.maxSlots ?? 8_000_000;
      let slots = 0;
      for (const kept of this.entries.values()) slots += kept.state.slotCapacity;
      for (const [oldestKey, oldest] of this.entries) {
        if (this.entries.size <= 1 || (this.entries.size <= maxEntries && slots <= maxSlots)) break;
        this.entries.delete(oldestKey);
        slots -= oldest.state.slotCapacity;
      }
      return entry;
    });
    this.passes = run.catch(() => undefined);
    return run;
  }

  private viewOf(entry: Entry): CachedCoverage {
    if (entry.view) return entry.view;
    const { state } = entry;
    const config = this.options.config;
    let overdue: OverdueInstrument[] | undefined;
    const texts = new Map<string, string>();
    const view: CachedCoverage = {
      from: state.fromText,
      to: state.toText,
      rows: coverageRows(state.groups(), config),
      totals: coverageTotals(state.groups(), config),
      overdue: () => {
        overdue ??= overdueInstruments(this.connection(), state, config);
        return overdue;
      },
      overdueText: (name, make) => {
        let text = texts.get(name);
        if (text === undefined) {
          text = make(view.overdue());
          texts.set(name, text);
        }
        return text;
      },
    };
    entry.view = view;
    return view;
  }

  private historyWatermark(db: SqliteDatabase): number {
    this.watermarks ??= prepareWatermarks(db);
    return (this.watermarks.history.get() as number | null) ?? 0;
  }

  private instrumentsWatermark(db: SqliteDatabase): number {
    this.watermarks ??= prepareWatermarks(db);
    return (this.watermarks.instruments.get() as number | null) ?? 0;
  }
}

/** Both are primary-key lookups (the last entry of a B-tree), whatever the size of the tables. */
function prepareWatermarks(db: SqliteDatabase) {
  return {
    history: db.prepare('SELECT max(id) FROM verification_history').pluck(),
    instruments: db.prepare('SELECT max(rowid) FROM instruments').pluck(),
  };
}
