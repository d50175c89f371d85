/**
 * The recall list: instruments in use that fell due in the period and were not verified in it
 * (contracts.md §6 "overdue"), with what a recall letter needs — owner, site, the due date and how
 * many days it is past at the end of the period.
 */
import type { CoverageConfig } from '../config/gateway-config.js';
import { csvLine } from '../registry/csv.js';
import type { SqliteDatabase } from '../store/database.js';
import { addMonths, daysBetween, formatDate, parseDate } from './dates.js';
import { type CoverageState, periodMonthsOf } from './engine.js';
import { compareRegionKind } from './report.js';
import type { OverdueInstrument } from './wire.js';

export type { OverdueInstrument } from './wire.js';

export function overdueInstruments(
  db: SqliteDatabase,
  state: CoverageState,
  config: CoverageConfig,
): OverdueInstrument[] {
  const instrument = db.prepare(
    'SELECT id, region, kind, owner, site, registered, period_months FROM instruments WHERE rowid = ?',
  );
  const lastBefore = db
    .prepare('SELECT max(date) FROM verification_history WHERE instrument_id = ? AND date < ?')
    .pluck();
  const list: OverdueInstrument[] = [];
  db.transaction(() => {
    for (const rowid of state.overdueRowids()) {
      const row = instrument.get(rowid) as
        | {
            id: string;
            region: string;
            kind: string;
            owner: string;
            site: string;
            registered: string;
            period_months: number | null;
          }
        | undefined;
      if (!row) continue;
      const last = lastBefore.get(row.id, state.fromText) as string | null;
      const lastDay = last === null ? undefined : parseDate(last);
      const dueDay =
        lastDay === undefined
          ? parseDate(row.registered)
          : addMonths(lastDay, periodMonthsOf(config, row.kind, row.period_months));
      if (dueDay === undefined) continue;
      list.push({
        instrument: row.id,
        region: row.region,
        kind: row.kind,
        owner: row.owner,
        site: row.site,
        dueDate: formatDate(dueDay),
        daysOverdue: daysBetween(dueDay, state.period.to),
        lastVerified: last,
      });
    }
  })();
  return list.sort(
    (a, b) =>
      compareRegionKind(a, b) ||
      (a.dueDate === b.dueDate ? (a.instrument < b.instrument ? -1 : 1) : a.dueDate < b.dueDate ? -1 : 1),
  );
}

/** The recall list's columns, as `metrogate coverage overdue --csv` and the API's CSV write them. */
export const OVERDUE_CSV_COLUMNS = [
  'instrument',
  'region',
  'kind',
  'owner',
  'site',
  'due_date',
  'days_overdue',
  'last_verified',
] as const;

/** One overdue instrument as the cells of OVERDUE_CSV_COLUMNS. */
export function overdueCells(item: OverdueInstrument): string[] {
  return [
    item.instrument,
    item.region,
    item.kind,
    item.owner,
    item.site,
    item.dueDate,
    String(item.daysOverdue),
    item.lastVerified ?? '',
  ];
}

/** The recall list as CSV with its header row. */
export function overdueCsv(list: readonly OverdueInstrument[]): string {
  return csvLine([...OVERDUE_CSV_COLUMNS]) + list.map((item) => csvLine(overdueCells(item))).join('');
}
