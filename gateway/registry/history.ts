/**
 * Verification records made by the gateway enter the verification history by themselves:
 * `RecordStore.append` calls `recordToHistory` in the transaction that stores the record, so a
 * record never exists without its history row (nor the reverse).
 *
 * - date: the calendar date of `performedAt` as written, i.e. in the offset the time was recorded
 *   in (a verification at 07:30+08:00 belongs to that day in China, not to the previous UTC day);
 *   a record whose time the store filled in carries UTC.
 * - standards_valid: 1 when every reference standard of the record was within its calibration that
 *   day (dueDate on or after the date; the due date itself is still valid), 0 when one was not,
 *   NULL when the record lists no standards.
 * - A record of an instrument that is not in the register still gets its row: the register may be
 *   imported later, and the history must not lose verifications in the meantime.
 * - If the same verification (instrument, date, verdict, record id) was imported before, that row
 *   becomes the gateway's: source 'gateway' and the standards check of the record.
 */
import type { SqliteDatabase } from '../store/database.js';
import type { Verdict } from './values.js';

/** Anything holding the store's database: a MetrogateStore, or `{ db }` inside the store. */
export interface HistoryDatabase {
  readonly db: SqliteDatabase;
}

/** What a verification record contributes to the history. */
export interface HistorySourceRecord {
  id: string;
  instrument: { id: string };
  result: { verdict: Verdict };
  /** ISO 8601 with an offset, as the store keeps it. */
  performedAt: string;
  standards: readonly { dueDate: string }[];
}

export type HistorySource = 'import' | 'gateway';

/** One row of the verification history. */
export interface HistoryEntry {
  instrument: string;
  date: string;
  verdict: Verdict;
  /** Verification record id (gateway) or the reference given in the imported file; null if none. */
  record: string | null;
  source: HistorySource;
  /** 1/0 as booleans; null when unknown (imported rows, records without standards). */
  standardsValid: boolean | null;
}

/** The calendar date of an ISO 8601 time as written (its own offset). */
export function historyDateOf(performedAt: string): string {
  return performedAt.slice(0, 10);
}

/** true when every standard's due date is on or after `date`, false if one is not, null for none. */
export function standardsValidOn(standards: readonly { dueDate: string }[], date: string): boolean | null {
  if (standards.length === 0) return null;
  // YYYY-MM-DD strings order as the dates do.
  return standards.every((standard) => standard.dueDate >= date);
}

/** Writes (or claims) the history row of a verification record; returns the row. */
export function recordToHistory(store: HistoryDatabase, record: HistorySourceRecord): HistoryEntry {
  const date = historyDateOf(record.performedAt);
  const standardsValid = standardsValidOn(record.standards, date);
  store.db
    .prepare(
      `INSERT INTO verification_history (instrument_id, date, verdict, record, source, standards_valid)
       VALUES (?, ?, ?, ?, 'gateway', ?)
       ON CONFLICT (instrument_id, date, verdict, IFNULL(record, ''))
       DO UPDATE SET source = 'gateway', standards_valid = excluded.standards_valid`,
    )
    .run(
      record.instrument.id,
      date,
      record.result.verdict,
      record.id,
      standardsValid === null ? null : standardsValid ? 1 : 0,
    );
  return {
    instrument: record.instrument.id,
    date,
    verdict: record.result.verdict,
    record: record.id,
    source: 'gateway',
    standardsValid,
  };
}
