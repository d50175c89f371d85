/**
 * The coverage computation (contracts.md §6) over the register (`instruments`) and the
 * verification history (`verification_history`) of migration 5, for one period [from, to].
 *
 * ## From the definitions to integer comparisons
 *
 * An instrument's due date is its last verification before `from` plus its period, so it is due
 * when that verification is on or before the period's threshold T (dates.ts `dueThreshold`: the
 * latest date that is still due by `to`), or when there is none (then the due date is the
 * registration date, which is on or before `to` for an instrument in use). Hence:
 * - **due** ⇔ no verification in (T, from);
 * - **inspected** ⇔ due and a verification in [from, to];
 * - **valid** ⇔ the last verification on or before `to` passed and its date + period > `to`
 *   ⇔ the last verification in (T, to] exists and passed (anything on or before T has run out).
 *   "Last" is by date; when a pass and a fail share the last date the pass counts (the history
 *   has no time of day, and a failed instrument is normally adjusted and verified again that day).
 * So only the history after min(T, from − 1) matters: with 12-month periods, the last year, not
 * the whole history.
 *
 * ## Speed
 *
 * better-sqlite3 spends about 2 µs on every row it hands to JavaScript on this class of machine,
 * a per-instrument GROUP BY in SQL is slower still, and a JavaScript Map of a million string ids
 * costs more than the rest of the pass together; none of that fits 1 000 000 instruments and
 * 4 000 000 history rows into a few seconds. So:
 * - the state lives in typed arrays indexed by the instrument's rowid, not by its id;
 * - SQLite does what it is fast at — scanning a rowid range, filtering it, finding an instrument's
 *   rowid through the primary-key index — and hands each chunk over as ONE string
 *   (`group_concat` of `rowid‖date‖verdict‖standards`), which the pass reads with charCodeAt;
 * - chunks are rowid ranges, so the pass can yield between them (`loadAsync`) and never blocks a
 *   service for long. A chunk whose text does not split cleanly (a region name holding the record
 *   separator) is read again row by row: slower, never wrong.
 *
 * ## Incremental update
 *
 * The state keeps each in-use instrument's contribution (its flags and its counts in the period)
 * next to the per-group sums. When an instrument changes — a new verification, or a new or edited
 * register row — `refreshInstrument` subtracts its old contribution, recomputes it from that
 * instrument's own rows (two index lookups), and adds the new one: nothing else is touched.
 * `applyNewHistory` does this for every history row appended since the snapshot (history ids only
 * grow: AUTOINCREMENT). What it cannot see — an instrument row deleted, a VACUUM renumbering
 * rowids, an existing history row edited in place — waits for the next full recomputation.
 */
import type Database from 'better-sqlite3';
import { MetrogateError } from '../../drivers/errors.js';
import type { CoverageConfig } from '../config/gateway-config.js';
import type { SqliteDatabase } from '../store/database.js';
import { type DayKey, dayKeyAt, dueThreshold, formatDate, previousDay } from './dates.js';

export const COVERAGE_KINDS = ['scale', 'dispenser', 'taximeter'] as const;
export type CoverageKind = (typeof COVERAGE_KINDS)[number];

export interface CoveragePeriod {
  from: DayKey;
  to: DayKey;
}

export interface CoverageFilter {
  region?: string;
  kind?: string;
}

/** The counts of one region × kind (or of a total). */
export interface CoverageCounts {
  inUse: number;
  due: number;
  inspected: number;
  valid: number;
  /** Verifications in the period (pass or fail) of instruments in use at `to`. */
  verifications: number;
  passes: number;
  /** Verifications in the period whose standards' validity is known, and of those the valid ones. */
  standardsKnown: number;
  standardsValid: number;
}

export function emptyCounts(): CoverageCounts {
  return {
    inUse: 0,
    due: 0,
    inspected: 0,
    valid: 0,
    verifications: 0,
    passes: 0,
    standardsKnown: 0,
    standardsValid: 0,
  };
}

export function addCounts(into: CoverageCounts, more: CoverageCounts): CoverageCounts {
  into.inUse += more.inUse;
  into.due += more.due;
  into.inspected += more.inspected;
  into.valid += more.valid;
  into.verifications += more.verifications;
  into.passes += more.passes;
  into.standardsKnown += more.standardsKnown;
  into.standardsValid += more.standardsValid;
  return into;
}

export interface CoverageGroup {
  region: string;
  kind: string;
  counts: CoverageCounts;
}

export interface PassProgress {
  phase: 'instruments' | 'history';
  /** Rowids covered so far in this phase, and the span to cover. */
  done: number;
  total: number;
}

/** The effective verification period of an instrument: its own, else its kind's default. */
export function periodMonthsOf(config: CoverageConfig, kind: string, own: number | null): number {
  if (own !== null && own > 0) return own;
  return config.periods[kind as CoverageKind] ?? config.periods.scale;
}

/**
 * In use at `to`: registered on or before `to` and not scrapped on or before `to`. A scrapped
 * instrument without a date (not something the import lets through) counts as out of use.
 */
export function inUseAt(
  to: DayKey,
  row: { registered: string; scrapped: string | null; status: string },
): boolean {
  const toText = formatDate(to);
  if (row.registered > toText) return false;
  const scrapped = row.scrapped === null || row.scrapped === '' ? null : row.scrapped;
  return scrapped === null ? row.status === 'in-use' : scrapped > toText;
}

/** The same test in SQL (text dates compare as the dates do). */
const IN_USE_SQL = `registered <= @to AND (CASE WHEN nullif(scrapped, '') IS NULL THEN status = 'in-use' ELSE scrapped > @to END)`;

/** Unit and record separators of the packed instrument chunks (␟, ␞). */
const UNIT = '\x1f';
const RECORD = '\x1e';

const INSTRUMENT_CHUNK = 65_536;
const HISTORY_CHUNK = 131_072;
const NOT_IN_USE = -1;
const INITIAL_CAPACITY = 1024;

interface InstrumentRow {
  region: string;
  kind: string;
  registered: string;
  scrapped: string | null;
  status: string;
  period_months: number | null;
}

/**
 * The indicators of one period, with each instrument's contribution kept for incremental updates.
 * Build it with `loadSync` / `loadAsync`, read it with `groups()`, keep it current with
 * `refreshInstrument` / `applyNewHistory`.
 */
export class CoverageState {
  readonly fromText: string;
  readonly toText: string;
  /** Highest history row id the state has seen (rows above it are new). */
  historyWatermark = 0;

  private readonly groupIndex = new Map<string, number>();
  private readonly groupList: CoverageGroup[] = [];
  private readonly groupKeys: string[] = [];
  private readonly groupsByHash = new Map<number, number[]>();
  private readonly thresholds = new Map<number, DayKey>();
  /** Per instrument, indexed by its rowid: its group (NOT_IN_USE when it does not count) … */
  private group = new Int32Array(0);
  /** … the threshold T of its period … */
  private threshold = new Int32Array(0);
  /** … 1 when it was verified in (T, from), i.e. not due … */
  private before = new Uint8Array(0);
  /** … its verifications in [from, to], passes, and those with known / valid standards … */
  private inPeriod = new Uint32Array(0);
  private passes = new Uint32Array(0);
  private standardsKnown = new Uint32Array(0);
  private standardsValid = new Uint32Array(0);
  /** … and the date and verdict of its last verification in (T, to] (0: none). */
  private lastDay = new Int32Array(0);
  private lastPassed = new Uint8Array(0);
  private loaded = false;
  private statementCache?: { db: SqliteDatabase; statements: RefreshStatements };

  private readonly instrumentChunk: number;
  private readonly historyChunk: number;

  constructor(
    readonly period: CoveragePeriod,
    readonly config: CoverageConfig,
    readonly filter: CoverageFilter = {},
    /** Rowids per chunk of the full pass (tests make them small to cross chunk boundaries). */
    chunks: { instruments?: number; history?: number } = {},
  ) {
    this.instrumentChunk = chunks.instruments ?? INSTRUMENT_CHUNK;
    this.historyChunk = chunks.history ?? HISTORY_CHUNK;
    if (period.from > period.to) {
      throw new MetrogateError(
        'MG_ERR_INPUT_INVALID',
        `the period starts ${formatDate(period.from)}, after its end ${formatDate(period.to)}`,
        { from: formatDate(period.from), to: formatDate(period.to) },
      );
    }
    this.fromText = formatDate(period.from);
    this.toText = formatDate(period.to);
  }

  /** The full pass, all at once, in one read transaction (a consistent snapshot). */
  loadSync(db: SqliteDatabase, onProgress?: (progress: PassProgress) => void): this {
    db.transaction(() => {
      for (const progress of this.load(db)) onProgress?.(progress);
    })();
    return this;
  }

  /**
   * The full pass, yielding to the event loop between chunks. `db` must be a connection nobody
   * else uses meanwhile: the pass holds a read transaction on it across the yields, so that every
   * chunk sees the same snapshot.
   */
  async loadAsync(db: SqliteDatabase, onProgress?: (progress: PassProgress) => void): Promise<this> {
    db.exec('BEGIN');
    try {
      for (const progress of this.load(db)) {
        onProgress?.(progress);
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    } finally {
      db.exec('COMMIT');
    }
    return this;
  }

  /** The full pass as chunk steps; the caller holds the read transaction. */
  *load(db: SqliteDatabase): Generator<PassProgress> {
    if (this.loaded) throw new Error('a CoverageState is loaded once; make a new one to recompute');
    this.loaded = true;
    yield* this.loadInstruments(db);
    yield* this.loadHistory(db);
    this.sumGroups();
  }

  /** Every region × kind with an instrument in use at `to` (or that had one since the load). */
  groups(): readonly CoverageGroup[] {
    return this.groupList;
  }

  /** Instruments the state has room for (its typed arrays' length, ~30 bytes each). */
  get slotCapacity(): number {
    return this.group.length;
  }

  /** Instruments in use at `to` (that match the filter). */
  get instrumentCount(): number {
    let n = 0;
    for (let slot = 0; slot < this.group.length; slot++) if (this.group[slot]! !== NOT_IN_USE) n++;
    return n;
  }

  /**
   * Recomputes one instrument's contribution from its register row and its history; returns the
   * indexes (into `groups()`) of the groups whose counts changed.
   */
  refreshInstrument(db: SqliteDatabase, id: string): number[] {
    const statements = this.statements(db);
    const row = statements.instrument.get(id) as (InstrumentRow & { slot: number }) | undefined;
    if (!row) return [];
    const { slot } = row;
    this.ensureCapacity(slot + 1);
    const changed = new Set<number>();
    if (this.group[slot]! !== NOT_IN_USE) {
      changed.add(this.group[slot]!);
      this.addContribution(slot, -1);
      this.group[slot] = NOT_IN_USE;
    }
    if (this.matches(row.region, row.kind) && inUseAt(this.period.to, row)) {
      const threshold = this.thresholdFor(periodMonthsOf(this.config, row.kind, row.period_months));
      this.resetInstrument(slot, this.groupOf(row.region, row.kind), threshold);
      const after = formatDate(Math.min(threshold, previousDay(this.period.from)));
      for (const [date, verdict, standards] of statements.history.iterate(id, after, this.toText) as Iterable<
        [string, string, number | null]
      >) {
        this.applyVerification(slot, checkedDay(id, date), verdict === 'pass', standards);
      }
      this.addContribution(slot, 1);
      changed.add(this.group[slot]!);
    }
    return [...changed];
  }

  /**
   * Applies the history rows appended since the snapshot (ids above `historyWatermark`), at most
   * `limit` of them; returns undefined, having applied nothing, when there are more (a bulk import:
   * a full recomputation is then cheaper), else the changed groups.
   */
  applyNewHistory(db: SqliteDatabase, limit = 10_000): number[] | undefined {
    const rows = this.statements(db).newHistory.all(this.historyWatermark, limit + 1) as [number, string][];
    if (rows.length > limit) return undefined;
    const instruments = new Set<string>();
    for (const [id, instrument] of rows) {
      instruments.add(instrument);
      this.historyWatermark = Math.max(this.historyWatermark, id);
    }
    const changed = new Set<number>();
    for (const instrument of instruments) {
      for (const g of this.refreshInstrument(db, instrument)) changed.add(g);
    }
    return [...changed];
  }

  /** Rowids of the instruments in use that are due and not inspected. */
  overdueRowids(): number[] {
    const rowids: number[] = [];
    for (let slot = 0; slot < this.group.length; slot++) {
      if (this.group[slot]! !== NOT_IN_USE && this.before[slot]! === 0 && this.inPeriod[slot]! === 0)
        rowids.push(slot);
    }
    return rowids;
  }

  /** One instrument's contribution; undefined when it does not count (not in use, filtered out). */
  contributionOf(
    db: SqliteDatabase,
    id: string,
  ): (CoverageCounts & { region: string; kind: string }) | undefined {
    const row = this.statements(db).instrument.get(id) as { slot: number } | undefined;
    if (!row || row.slot >= this.group.length || this.group[row.slot]! === NOT_IN_USE) return undefined;
    const { region, kind } = this.groupList[this.group[row.slot]!]!;
    return { region, kind, ...this.countsOf(row.slot) };
  }

  // --- the full pass -----------------------------------------------------------------------------

  private *loadInstruments(db: SqliteDatabase): Generator<PassProgress> {
    const { lo, hi } = db.prepare('SELECT min(rowid) AS lo, max(rowid) AS hi FROM instruments').get() as {
      lo: number | null;
      hi: number | null;
    };
    if (lo === null || hi === null) return;
    this.ensureCapacity(hi + 1);
    const filter = this.filterSql();
    const params = {
      to: this.toText,
      scale: this.config.periods.scale,
      dispenser: this.config.periods.dispenser,
      taximeter: this.config.periods.taximeter,
      ...filter.params,
    };
    // CAST: a JavaScript number is bound as a REAL, which group_concat would write as "12.0".
    const months = `CAST(coalesce(period_months, CASE kind WHEN 'scale' THEN @scale WHEN 'dispenser' THEN @dispenser ELSE @taximeter END) AS INTEGER)`;
    const where = `rowid BETWEEN @first AND @last AND ${IN_USE_SQL}${filter.sql}`;
    const packed = db.prepare(
      `SELECT count(*) AS n,
              group_concat(rowid || char(31) || region || char(31) || kind || char(31) || ${months}, char(30)) AS text
       FROM instruments WHERE ${where}`,
    );
    const plain = db
      .prepare(`SELECT rowid, region, kind, ${months} FROM instruments WHERE ${where}`)
      .raw(true);
    const size = this.instrumentChunk;
    for (let first = lo; first <= hi; first += size) {
      const range = { ...params, first, last: first + size - 1 };
      const chunk = packed.get(range) as { n: number; text: string | null };
      if (chunk.n > 0 && !this.takeInstrumentChunk(chunk.text ?? '', chunk.n)) {
        for (const [slot, region, kind, period] of plain.iterate(range) as Iterable<
          [number, string, string, number]
        >) {
          this.resetInstrument(slot, this.groupOf(region, kind), this.thresholdFor(period));
        }
      }
      yield {
        phase: 'instruments',
        done: Math.min(hi, first + size - 1) - lo + 1,
        total: hi - lo + 1,
      };
    }
  }

  /**
   * Reads one packed chunk of `rowid␟region␟kind␟months` records (␞-separated) without making a
   * string per record: the region ␟ kind key is hashed in place and compared with the known keys.
   * The kind never holds ␟, so the key is everything between the first and the last separator.
   * Checks the whole chunk before taking any of it; false when it does not split cleanly.
   */
  private takeInstrumentChunk(text: string, expected: number): boolean {
    const slots = new Int32Array(expected);
    const groups = new Int32Array(expected);
    const periods = new Int32Array(expected);
    let start = 0;
    for (let i = 0; i < expected; i++) {
      let end = text.indexOf(RECORD, start);
      if (end < 0) end = text.length;
      if ((end === text.length) !== (i === expected - 1)) return false;
      const first = text.indexOf(UNIT, start);
      const last = text.lastIndexOf(UNIT, end - 1);
      if (first < 0 || last - first < 3) return false;
      const slot = digitsAt(text, start, first);
      const months = digitsAt(text, last + 1, end);
      if (slot < 0 || months <= 0) return false;
      slots[i] = slot;
      periods[i] = months;
      groups[i] = this.groupAt(text, first + 1, last);
      start = end + 1;
    }
    for (let i = 0; i < expected; i++) {
      this.resetInstrument(slots[i]!, groups[i]!, this.thresholdFor(periods[i]!));
    }
    return true;
  }

  /** The group whose key is text[start, end), found by an FNV-1a hash of the characters. */
  private groupAt(text: string, start: number, end: number): number {
    let hash = 0x811c9dc5;
    for (let i = start; i < end; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
    const candidates = this.groupsByHash.get(hash);
    if (candidates) {
      for (const g of candidates) {
        const key = this.groupKeys[g]!;
        if (key.length === end - start && text.startsWith(key, start)) return g;
      }
    }
    const g = this.groupOfKey(text.slice(start, end));
    if (candidates) candidates.push(g);
    else this.groupsByHash.set(hash, [g]);
    return g;
  }

  private *loadHistory(db: SqliteDatabase): Generator<PassProgress> {
    const { lo, hi } = db.prepare('SELECT min(id) AS lo, max(id) AS hi FROM verification_history').get() as {
      lo: number | null;
      hi: number | null;
    };
    if (lo === null || hi === null) return;
    this.historyWatermark = hi;
    if (this.thresholds.size === 0) return;
    // Rows on or before every instrument's lower bound min(T, from − 1) cannot change anything.
    let lower = previousDay(this.period.from);
    for (const threshold of this.thresholds.values()) lower = Math.min(lower, threshold);
    const params = { after: formatDate(lower), to: this.toText };
    // CROSS JOIN keeps the history as the outer loop (a rowid range scan); each row finds its
    // instrument's rowid in the primary-key index. Orphan rows (no register entry) drop out here.
    const from = `FROM verification_history h CROSS JOIN instruments i ON i.id = h.instrument_id
                  WHERE h.id BETWEEN @first AND @last AND h.date > @after AND h.date <= @to`;
    const packed = db.prepare(
      `SELECT count(*) AS n,
              group_concat(i.rowid || h.date || (h.verdict = 'pass') || coalesce(h.standards_valid, 2), ',') AS text
       ${from}`,
    );
    const plain = db
      .prepare(`SELECT i.rowid, h.instrument_id, h.date, h.verdict, h.standards_valid ${from}`)
      .raw(true);
    const size = this.historyChunk;
    for (let first = lo; first <= hi; first += size) {
      const range = { ...params, first, last: first + size - 1 };
      const chunk = packed.get(range) as { n: number; text: string | null };
      if (chunk.n > 0 && !this.takeHistoryChunk(chunk.text ?? '', chunk.n)) {
        for (const [slot, instrument, date, verdict, standards] of plain.iterate(range) as Iterable<
          [number, string, string, string, number | null]
        >) {
          const day = checkedDay(instrument, date);
          if (this.group[slot]! !== NOT_IN_USE)
            this.applyVerification(slot, day, verdict === 'pass', standards);
        }
      }
      yield { phase: 'history', done: Math.min(hi, first + size - 1) - lo + 1, total: hi - lo + 1 };
    }
  }

  /**
   * Reads one packed history chunk: comma-separated `rowid‖YYYY-MM-DD‖verdict‖standards`, the last
   * two one digit each (verdict 1 pass / 0 fail; standards 1 valid / 0 not / 2 unknown). Checks
   * the whole chunk before applying any of it; false when a record is malformed.
   */
  private takeHistoryChunk(text: string, expected: number): boolean {
    const slots = new Int32Array(expected);
    const days = new Int32Array(expected);
    const flags = new Uint8Array(expected);
    let start = 0;
    for (let i = 0; i < expected; i++) {
      let end = text.indexOf(',', start);
      if (end < 0) end = text.length;
      if ((end === text.length) !== (i === expected - 1) || end - start < 13) return false;
      const slot = digitsAt(text, start, end - 12);
      const day = dayKeyAt(text, end - 12);
      const verdict = text.charCodeAt(end - 2) - ZERO;
      const standards = text.charCodeAt(end - 1) - ZERO;
      if (slot < 0 || day < 0 || verdict < 0 || verdict > 1 || standards < 0 || standards > 2) return false;
      slots[i] = slot;
      days[i] = day;
      flags[i] = verdict * 4 + standards;
      start = end + 1;
    }
    for (let i = 0; i < expected; i++) {
      const slot = slots[i]!;
      if (this.group[slot]! === NOT_IN_USE) continue;
      const standards = flags[i]! & 3;
      this.applyVerification(slot, days[i]!, flags[i]! >= 4, standards === 2 ? null : standards);
    }
    return true;
  }

  // --- per-instrument state ----------------------------------------------------------------------

  /** Folds one verification (in any order) into an instrument's state. */
  private applyVerification(slot: number, day: DayKey, passed: boolean, standards: number | null): void {
    const { from, to } = this.period;
    if (day > to) return;
    const threshold = this.threshold[slot]!;
    if (day < from) {
      if (day > threshold) this.before[slot] = 1;
    } else {
      this.inPeriod[slot]! += 1;
      if (passed) this.passes[slot]! += 1;
      if (standards !== null) {
        this.standardsKnown[slot]! += 1;
        if (standards === 1) this.standardsValid[slot]! += 1;
      }
    }
    if (day > threshold) {
      const last = this.lastDay[slot]!;
      if (day > last) {
        this.lastDay[slot] = day;
        this.lastPassed[slot] = passed ? 1 : 0;
      } else if (day === last && passed) {
        this.lastPassed[slot] = 1;
      }
    }
  }

  private countsOf(slot: number): CoverageCounts {
    const due = this.before[slot]! === 0 ? 1 : 0;
    return {
      inUse: 1,
      due,
      inspected: due === 1 && this.inPeriod[slot]! > 0 ? 1 : 0,
      valid: this.lastDay[slot]! > 0 && this.lastPassed[slot]! === 1 ? 1 : 0,
      verifications: this.inPeriod[slot]!,
      passes: this.passes[slot]!,
      standardsKnown: this.standardsKnown[slot]!,
      standardsValid: this.standardsValid[slot]!,
    };
  }

  private addContribution(slot: number, sign: 1 | -1): void {
    const counts = this.groupList[this.group[slot]!]!.counts;
    const own = this.countsOf(slot);
    counts.inUse += sign * own.inUse;
    counts.due += sign * own.due;
    counts.inspected += sign * own.inspected;
    counts.valid += sign * own.valid;
    counts.verifications += sign * own.verifications;
    counts.passes += sign * own.passes;
    counts.standardsKnown += sign * own.standardsKnown;
    counts.standardsValid += sign * own.standardsValid;
  }

  /** The group sums of the full pass, in one loop over the typed arrays. */
  private sumGroups(): void {
    const sums = this.groupList.map(() => new Float64Array(8));
    for (let slot = 0; slot < this.group.length; slot++) {
      const g = this.group[slot]!;
      if (g === NOT_IN_USE) continue;
      const sum = sums[g]!;
      const due = this.before[slot]! === 0;
      const verifications = this.inPeriod[slot]!;
      sum[0]! += 1;
      if (due) {
        sum[1]! += 1;
        if (verifications > 0) sum[2]! += 1;
      }
      if (this.lastDay[slot]! > 0 && this.lastPassed[slot]! === 1) sum[3]! += 1;
      sum[4]! += verifications;
      sum[5]! += this.passes[slot]!;
      sum[6]! += this.standardsKnown[slot]!;
      sum[7]! += this.standardsValid[slot]!;
    }
    this.groupList.forEach((group, g) => {
      const sum = sums[g]!;
      group.counts = {
        inUse: sum[0]!,
        due: sum[1]!,
        inspected: sum[2]!,
        valid: sum[3]!,
        verifications: sum[4]!,
        passes: sum[5]!,
        standardsKnown: sum[6]!,
        standardsValid: sum[7]!,
      };
    });
  }

  private resetInstrument(slot: number, group: number, threshold: DayKey): void {
    this.group[slot] = group;
    this.threshold[slot] = threshold;
    this.before[slot] = 0;
    this.inPeriod[slot] = 0;
    this.passes[slot] = 0;
    this.standardsKnown[slot] = 0;
    this.standardsValid[slot] = 0;
    this.lastDay[slot] = 0;
    this.lastPassed[slot] = 0;
  }

  private ensureCapacity(size: number): void {
    if (size <= this.group.length) return;
    const capacity = Math.max(size, INITIAL_CAPACITY, this.group.length * 2);
    const widen = <T extends Int32Array | Uint32Array | Uint8Array>(old: T, next: T): T => {
      next.set(old);
      return next;
    };
    const oldLength = this.group.length;
    this.group = widen(this.group, new Int32Array(capacity));
    this.group.fill(NOT_IN_USE, oldLength);
    this.threshold = widen(this.threshold, new Int32Array(capacity));
    this.before = widen(this.before, new Uint8Array(capacity));
    this.inPeriod = widen(this.inPeriod, new Uint32Array(capacity));
    this.passes = widen(this.passes, new Uint32Array(capacity));
    this.standardsKnown = widen(this.standardsKnown, new Uint32Array(capacity));
    this.standardsValid = widen(this.standardsValid, new Uint32Array(capacity));
    this.lastDay = widen(this.lastDay, new Int32Array(capacity));
    this.lastPassed = widen(this.lastPassed, new Uint8Array(capacity));
  }

  private groupOf(region: string, kind: string): number {
    return this.groupOfKey(`${region}${UNIT}${kind}`);
  }

  private groupOfKey(key: string): number {
    let g = this.groupIndex.get(key);
    if (g === undefined) {
      const cut = key.lastIndexOf(UNIT);
      g = this.groupList.length;
      this.groupIndex.set(key, g);
      this.groupKeys.push(key);
      this.groupList.push({ region: key.slice(0, cut), kind: key.slice(cut + 1), counts: emptyCounts() });
    }
    return g;
  }

  private thresholdFor(months: number): DayKey {
    let threshold = this.thresholds.get(months);
    if (threshold === undefined) {
      threshold = dueThreshold(this.period.to, months);
      this.thresholds.set(months, threshold);
    }
    return threshold;
  }

  private matches(region: string, kind: string): boolean {
    return (
      (this.filter.region === undefined || this.filter.region === region) &&
      (this.filter.kind === undefined || this.filter.kind === kind)
    );
  }

  private filterSql(): { sql: string; params: Record<string, string> } {
    let sql = '';
    const params: Record<string, string> = {};
    if (this.filter.region !== undefined) {
      sql += ' AND region = @region';
      params.region = this.filter.region;
    }
    if (this.filter.kind !== undefined) {
      sql += ' AND kind = @kind';
      params.kind = this.filter.kind;
    }
    return { sql, params };
  }

  private statements(db: SqliteDatabase): RefreshStatements {
    if (this.statementCache?.db !== db) this.statementCache = { db, statements: prepareRefresh(db) };
    return this.statementCache.statements;
  }
}

interface RefreshStatements {
  instrument: Database.Statement;
  history: Database.Statement;
  newHistory: Database.Statement;
}

function prepareRefresh(db: SqliteDatabase): RefreshStatements {
  return {
    instrument: db.prepare(
      'SELECT rowid AS slot, region, kind, registered, scrapped, status, period_months FROM instruments WHERE id = ?',
    ),
    history: db
      .prepare(
        'SELECT date, verdict, standards_valid FROM verification_history WHERE instrument_id = ? AND date > ? AND date <= ?',
      )
      .raw(true),
    newHistory: db
      .prepare('SELECT id, instrument_id FROM verification_history WHERE id > ? ORDER BY id LIMIT ?')
      .raw(true),
  };
}

const ZERO = 48;

/** The non-negative integer written in text[start, end) (at most 15 digits), or -1. */
function digitsAt(text: string, start: number, end: number): number {
  if (end <= start || end - start > 15) return -1;
  let value = 0;
  for (let i = start; i < end; i++) {
    const digit = text.charCodeAt(i) - ZERO;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
  }
  return value;
}

function checkedDay(instrument: string, date: string): DayKey {
  const day = date.length === 10 ? dayKeyAt(date, 0) : -1;
  if (day < 0) {
    throw new MetrogateError(
      'MG_ERR_STORE_FAILED',
      `the verification history of ${instrument} holds the date ${JSON.stringify(date)}, which is not written YYYY-MM-DD`,
      { instrument, date },
    );
  }
  return day;
}
