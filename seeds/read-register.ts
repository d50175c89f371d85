/**
 * Reads a generated register back into rows, checking the shape of contracts.md §5 on the way (the
 * header row, the number of fields, well-formed quoting). The tests use it; it also serves to look
 * at a generated register from a script. The CSV itself is split by the registry's reader
 * (gateway/registry/csv.ts), the one `metrogate registry import` uses.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseCsv } from '../gateway/registry/csv.js';
import { HISTORY_FILE, INSTRUMENTS_FILE } from './register.js';

export interface InstrumentRow {
  id: string;
  kind: string;
  category: string;
  region: string;
  owner: string;
  site: string;
  status: string;
  registered: string;
  scrapped: string;
  period_months: string;
}

export interface HistoryRow {
  instrument: string;
  date: string;
  verdict: string;
  record: string;
}

export interface ReadRegister {
  instrumentHeader: string[];
  historyHeader: string[];
  instruments: InstrumentRow[];
  history: HistoryRow[];
}

function rowsOf(
  path: string,
  columns: readonly string[],
): { header: string[]; rows: Record<string, string>[] } {
  const records = parseCsv(readFileSync(path, 'utf8'));
  const [header, ...data] = records;
  if (!header) throw new Error(`${path}: no header row`);
  const rows = data.map((record) => {
    if (record.problems.length > 0) {
      throw new Error(`${path} line ${record.line}: ${record.problems.map((p) => p.message).join('; ')}`);
    }
    if (record.fields.length !== columns.length) {
      throw new Error(
        `${path} line ${record.line}: ${record.fields.length} fields, expected ${columns.length}`,
      );
    }
    const row: Record<string, string> = {};
    columns.forEach((column, index) => {
      row[column] = record.fields[index]!;
    });
    return row;
  });
  return { header: header.fields, rows };
}

const INSTRUMENT_KEYS = [
  'id',
  'kind',
  'category',
  'region',
  'owner',
  'site',
  'status',
  'registered',
  'scrapped',
  'period_months',
] as const;
const HISTORY_KEYS = ['instrument', 'date', 'verdict', 'record'] as const;

/** The two CSV files of a register directory, rows keyed by the English column names. */
export function readRegister(dir: string): ReadRegister {
  const instruments = rowsOf(join(dir, INSTRUMENTS_FILE), INSTRUMENT_KEYS);
  const history = rowsOf(join(dir, HISTORY_FILE), HISTORY_KEYS);
  return {
    instrumentHeader: instruments.header,
    historyHeader: history.header,
    instruments: instruments.rows as unknown as InstrumentRow[],
    history: history.rows as unknown as HistoryRow[],
  };
}
