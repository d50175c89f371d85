/**
 * Reading the register of instruments and the verification history (the tables of migration 5),
 * and writing both back out as CSV in the format import reads (English headers), so that an export
 * imports into another data directory unchanged.
 */
import type { SqliteDatabase } from '../store/database.js';
import { englishHeader, HISTORY_COLUMNS, INSTRUMENT_COLUMNS } from './columns.js';
import { csvLine } from './csv.js';
import type { HistoryDatabase, HistoryEntry, HistorySource } from './history.js';
import type { InstrumentKind, InstrumentStatus, Verdict } from './values.js';

/** One instrument of the register (contracts.md §5; period_months is `periodMonths`). */
export interface Instrument {
  id: string;
  kind: InstrumentKind;
  category: string;
  region: string;
  owner: string;
  site: string;
  status: InstrumentStatus;
  registered: string;
  /** Date taken out of use; null while in use. */
  scrapped: string | null;
  /** Verification period in months; null means the kind's default from the config. */
  periodMonths: number | null;
}

export interface LastVerification {
  date: string;
  verdict: Verdict;
  record: string | null;
}

export interface InstrumentListing extends Instrument {
  /** The newest entry of the instrument's history, or null if it was never verified. */
  lastVerification: LastVerification | null;
}

export interface InstrumentFilter {
  region?: string;
  kind?: InstrumentKind;
  status?: InstrumentStatus;
  /** At most N instruments (in id order). */
  limit?: number;
}

interface InstrumentRow {
  id: string;
  kind: InstrumentKind;
  category: string;
  region: string;
  owner: string;
  site: string;
  status: InstrumentStatus;
  registered: string;
  scrapped: string | null;
  period_months: number | null;
}

interface HistoryRow {
  instrument_id: string;
  date: string;
  verdict: Verdict;
  record: string | null;
  source: HistorySource;
  standards_valid: number | null;
}

const INSTRUMENT_SELECT =
  'SELECT id, kind, category, region, owner, site, status, registered, scrapped, period_months FROM instruments';

function toInstrument(row: InstrumentRow): Instrument {
  return {
    id: row.id,
    kind: row.kind,
    category: row.category,
    region: row.region,
    owner: row.owner,
    site: row.site,
    status: row.status,
    registered: row.registered,
    scrapped: row.scrapped,
    periodMonths: row.period_months,
  };
}

function toHistoryEntry(row: HistoryRow): HistoryEntry {
  return {
    instrument: row.instrument_id,
    date: row.date,
    verdict: row.verdict,
    record: row.record,
    source: row.source,
    standardsValid: row.standards_valid === null ? null : row.standards_valid === 1,
  };
}

/** Instruments in id order, each with its last verification. */
export function listInstruments(store: HistoryDatabase, filter: InstrumentFilter = {}): InstrumentListing[] {
  const where: string[] = [];
  const params: unknown[] = [];
  if (filter.region !== undefined) {
    where.push('region = ?');
    params.push(filter.region);
  }
  if (filter.kind !== undefined) {
    where.push('kind = ?');
    params.push(filter.kind);
  }
  if (filter.status !== undefined) {
    where.push('status = ?');
    params.push(filter.status);
  }
  let sql = `${INSTRUMENT_SELECT}${where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY id`;
  if (filter.limit !== undefined) {
    sql += ' LIMIT ?';
    params.push(Math.max(0, Math.trunc(filter.limit)));
  }
  const last = lastVerificationQuery(store.db);
  return (store.db.prepare(sql).all(...params) as InstrumentRow[]).map((row) => ({
    ...toInstrument(row),
    lastVerification: last(row.id),
  }));
}

function lastVerificationQuery(db: SqliteDatabase): (id: string) => LastVerification | null {
  const statement = db.prepare(
    'SELECT date, verdict, record FROM verification_history WHERE instrument_id = ? ORDER BY date DESC, id DESC LIMIT 1',
  );
  return (id) => (statement.get(id) as LastVerification | undefined) ?? null;
}

export function getInstrument(store: HistoryDatabase, id: string): Instrument | undefined {
  const row = store.db.prepare(`${INSTRUMENT_SELECT} WHERE id = ?`).get(id) as InstrumentRow | undefined;
  return row ? toInstrument(row) : undefined;
}

/** An instrument's history, oldest first (entries of one day in the order they were written). */
export function historyOf(store: HistoryDatabase, instrumentId: string): HistoryEntry[] {
  const rows = store.db
    .prepare(
      `SELECT instrument_id, date, verdict, record, source, standards_valid FROM verification_history
       WHERE instrument_id = ? ORDER BY date, id`,
    )
    .all(instrumentId) as HistoryRow[];
  return rows.map(toHistoryEntry);
}

export function countInstruments(store: HistoryDatabase): number {
  return (store.db.prepare('SELECT COUNT(*) AS n FROM instruments').get() as { n: number }).n;
}

export function countHistory(store: HistoryDatabase): number {
  return (store.db.prepare('SELECT COUNT(*) AS n FROM verification_history').get() as { n: number }).n;
}

/** Bytes of CSV gathered before they are handed to `write` (one write per block, not per row). */
const EXPORT_BLOCK = 1 << 16;

/**
 * Writes the register (or, with `history`, the verification history) as CSV with English headers,
 * in id order (history: instrument, date, then the order written), in blocks to `write`. Returns
 * the number of data rows.
 */
export function exportCsv(
  store: HistoryDatabase,
  what: 'instruments' | 'history',
  write: (text: string) => void,
): number {
  let block = csvLine(englishHeader(what === 'history' ? HISTORY_COLUMNS : INSTRUMENT_COLUMNS));
  let rows = 0;
  const statement =
    what === 'history'
      ? store.db.prepare(
          'SELECT instrument_id, date, verdict, record FROM verification_history ORDER BY instrument_id, date, id',
        )
      : store.db.prepare(`${INSTRUMENT_SELECT} ORDER BY id`);
  for (const row of statement.iterate() as Iterable<InstrumentRow | HistoryRow>) {
    block +=
      what === 'history'
        ? historyCsvLine(row as HistoryRow)
        : instrumentCsvLine(toInstrument(row as InstrumentRow));
    rows++;
    if (block.length >= EXPORT_BLOCK) {
      write(block);
      block = '';
    }
  }
  if (block !== '') write(block);
  return rows;
}

function instrumentCsvLine(instrument: Instrument): string {
  return csvLine([
    instrument.id,
    instrument.kind,
    instrument.category,
    instrument.region,
    instrument.owner,
    instrument.site,
    instrument.status,
    instrument.registered,
    instrument.scrapped ?? '',
    instrument.periodMonths === null ? '' : String(instrument.periodMonths),
  ]);
}

function historyCsvLine(row: HistoryRow): string {
  return csvLine([row.instrument_id, row.date, row.verdict, row.record ?? '']);
}
