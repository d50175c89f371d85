/**
 * `metrogate registry import` and `import-history` (contracts.md §5): a CSV file into the register
 * or the verification history, all or nothing.
 *
 * The file is read in chunks (never whole) and every row is checked; rows are written as they come,
 * through prepared statements, inside one IMMEDIATE transaction. The first bad row stops the
 * writing, the rest of the file is still checked so that the message lists every bad row (line and
 * column), and the transaction is rolled back: the database is exactly as before. On success the
 * same transaction writes one `registry.import` audit entry.
 *
 * Upsert: an instrument is replaced by id (counted as updated only if a value changed); a history
 * row is identified by instrument, date, verdict and record, and one already present is left as it
 * is (a gateway row keeps its source and standards check). The same id twice in one register file
 * is an error (which row would win?); the same history row twice is harmless.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { basename } from 'node:path';
import { TextDecoder } from 'node:util';
import { MetrogateError } from '../../drivers/errors.js';
import type { NewAuditEntry, StoredAuditEntry } from '../store/audit.js';
import type { SqliteDatabase } from '../store/database.js';
import {
  type ColumnLayout,
  type ColumnSpec,
  HISTORY_COLUMNS,
  type HistoryField,
  INSTRUMENT_COLUMNS,
  type InstrumentField,
  resolveHeader,
} from './columns.js';
import { CsvReader, type CsvRecord } from './csv.js';
import type { HistoryDatabase } from './history.js';
import {
  type Checked,
  checkDate,
  checkKind,
  checkPeriodMonths,
  checkRequiredText,
  checkStatus,
  checkVerdict,
} from './values.js';

/** What an import needs of the store: its database and its audit trail (a MetrogateStore). */
export interface RegistryStore extends HistoryDatabase {
  appendAudit(entry: NewAuditEntry): StoredAuditEntry;
}

export type ImportTarget = 'instruments' | 'history';

export interface ImportProgress {
  /** Bytes read so far. */
  bytes: number;
  /** Data rows read so far. */
  rows: number;
}

export interface ImportOptions {
  /** The file's name as the user gave it: messages and the audit entry name it. */
  file: string;
  /** Who imports, for the audit trail (default `system`). */
  actor?: string;
  /** Called after every chunk read. */
  onProgress?: (progress: ImportProgress) => void;
  /** How many bad rows the error message lists before "… and N more" (default 20). */
  listLimit?: number;
}

export interface ImportSummary {
  file: string;
  target: ImportTarget;
  /** Data rows in the file (blank lines not counted). */
  rows: number;
  inserted: number;
  /** Rows that changed an existing instrument (always 0 for history). */
  updated: number;
  /** Rows already present exactly as given. */
  unchanged: number;
}

/** A bad value: the line on which its row starts and the column as the file's header names it. */
export interface RowProblem {
  line: number;
  column: string;
  message: string;
}

export const DEFAULT_LIST_LIMIT = 20;
/** Problems kept in the error's details for scripts (the message lists `listLimit`). */
const DETAILS_LIMIT = 1000;
const CHUNK_BYTES = 1 << 20;

/** The file's bytes in chunks of 1 MiB, read synchronously so the import stays in one transaction. */
export function* readFileChunks(path: string, chunkBytes = CHUNK_BYTES): Generator<Uint8Array> {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    throw new MetrogateError('MG_ERR_INPUT_INVALID', `${path}: ${(error as Error).message}`, { path });
  }
  try {
    if (fstatSync(fd).isDirectory()) {
      throw new MetrogateError('MG_ERR_INPUT_INVALID', `${path} is a directory, not a CSV file`, { path });
    }
    const buffer = Buffer.allocUnsafe(chunkBytes);
    for (;;) {
      const read = readSync(fd, buffer, 0, chunkBytes, null);
      if (read === 0) return;
      // A copy: the consumer may keep the chunk while the buffer is refilled.
      yield Uint8Array.prototype.slice.call(buffer, 0, read);
    }
  } finally {
    closeSync(fd);
  }
}

export function importInstrumentsFile(
  store: RegistryStore,
  path: string,
  options: Partial<ImportOptions> = {},
): ImportSummary {
  return importInstruments(store, readFileChunks(path), { ...options, file: options.file ?? path });
}

export function importHistoryFile(
  store: RegistryStore,
  path: string,
  options: Partial<ImportOptions> = {},
): ImportSummary {
  return importHistory(store, readFileChunks(path), { ...options, file: options.file ?? path });
}

export function importInstruments(
  store: RegistryStore,
  chunks: Iterable<Uint8Array | string>,
  options: ImportOptions,
): ImportSummary {
  return runImport(store, chunks, options, instrumentRows);
}

export function importHistory(
  store: RegistryStore,
  chunks: Iterable<Uint8Array | string>,
  options: ImportOptions,
): ImportSummary {
  return runImport(store, chunks, options, historyRows);
}

/**
 * The row being checked. One object serves every row of a file (set, then read), so that a million
 * rows do not make a million closures.
 */
class RowCursor<Field extends string> {
  fields: readonly string[] = [];
  line = 0;
  /** False once a value of this row was refused. */
  good = true;
  private readonly at = new Map<Field, number>();
  private readonly labels = new Map<Field, string>();

  constructor(
    columns: readonly ColumnSpec<Field>[],
    layout: ColumnLayout<Field>,
    label: (index: number) => string,
    private readonly problems: ProblemList,
  ) {
    for (const { field } of columns) {
      const index = layout.index[field];
      this.at.set(field, index ?? -1);
      this.labels.set(field, index === undefined ? field : label(index));
    }
  }

  start(fields: readonly string[], line: number): void {
    this.fields = fields;
    this.line = line;
    this.good = true;
  }

  /** The field's text as written ('' for a column the file does not have). */
  value(field: Field): string {
    const index = this.at.get(field)!;
    return index < 0 ? '' : this.fields[index]!;
  }

  report(field: Field, message: string): void {
    this.good = false;
    this.problems.add({ line: this.line, column: this.labels.get(field)!, message });
  }

  check<T>(field: Field, result: Checked<T>): T | undefined {
    if (result.ok) return result.value;
    this.report(field, result.message);
    return undefined;
  }
}

interface RowHandler<Field extends string> {
  /** Checks the cursor's row; writes it when `write` is true and the row is good. */
  row(row: RowCursor<Field>, write: boolean): void;
  /** Counts once every row is written. */
  finish(rows: number): Pick<ImportSummary, 'inserted' | 'updated' | 'unchanged'>;
}

interface ImportKind<Field extends string> {
  target: ImportTarget;
  columns: readonly ColumnSpec<Field>[];
  start(db: SqliteDatabase): RowHandler<Field>;
}

const instrumentRows: ImportKind<InstrumentField> = {
  target: 'instruments',
  columns: INSTRUMENT_COLUMNS,
  start(db) {
    const before = countRows(db, 'instruments');
    // The WHERE makes an unchanged row report 0 changes, so updated counts real changes only.
    const upsert = db.prepare(
      `INSERT INTO instruments (id, kind, category, region, owner, site, status, registered, scrapped, period_months)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET
         kind = excluded.kind, category = excluded.category, region = excluded.region,
         owner = excluded.owner, site = excluded.site, status = excluded.status,
         registered = excluded.registered, scrapped = excluded.scrapped,
         period_months = excluded.period_months
       WHERE kind IS NOT excluded.kind OR category IS NOT excluded.category
         OR region IS NOT excluded.region OR owner IS NOT excluded.owner OR site IS NOT excluded.site
         OR status IS NOT excluded.status OR registered IS NOT excluded.registered
         OR scrapped IS NOT excluded.scrapped OR period_months IS NOT excluded.period_months`,
    );
    const seen = new Map<string, number>();
    let changed = 0;
    return {
      row(row, write) {
        const id = row.check('id', checkRequiredText(row.value('id')));
        if (id !== undefined) {
          const earlier = seen.get(id);
          if (earlier !== undefined) {
            row.report('id', `${JSON.stringify(id)} is already on line ${earlier} of this file`);
          } else {
            seen.set(id, row.line);
          }
        }
        const kind = row.check('kind', checkKind(row.value('kind')));
        const region = row.check('region', checkRequiredText(row.value('region')));
        const status = row.check('status', checkStatus(row.value('status')));
        const registered = row.check('registered', checkDate(row.value('registered')));
        const scrappedText = row.value('scrapped').trim();
        let scrapped: string | null = null;
        if (status === 'scrapped' && scrappedText === '') {
          row.report('scrapped', 'is empty; a scrapped instrument needs the date it was taken out of use');
        } else if (status === 'in-use' && scrappedText !== '') {
          row.report(
            'scrapped',
            `${JSON.stringify(scrappedText)} is given but the status is in-use (leave it empty, or set the status to scrapped)`,
          );
        } else if (scrappedText !== '') {
          const date = row.check('scrapped', checkDate(scrappedText));
          if (date !== undefined && registered !== undefined && date < registered) {
            row.report('scrapped', `${date} is before the registration date ${registered}`);
          }
          scrapped = date ?? null;
        }
        const period = row.check('period_months', checkPeriodMonths(row.value('period_months')));
        if (!row.good || !write) return;
        changed += upsert.run(
          id,
          kind,
          row.value('category').trim(),
          region,
          row.value('owner').trim(),
          row.value('site').trim(),
          status,
          registered,
          scrapped,
          period,
        ).changes;
      },
      finish(rows) {
        const inserted = countRows(db, 'instruments') - before;
        return { inserted, updated: changed - inserted, unchanged: rows - changed };
      },
    };
  },
};

const historyRows: ImportKind<HistoryField> = {
  target: 'history',
  columns: HISTORY_COLUMNS,
  start(db) {
    const insert = db.prepare(
      `INSERT INTO verification_history (instrument_id, date, verdict, record, source, standards_valid)
       VALUES (?, ?, ?, ?, 'import', NULL) ON CONFLICT DO NOTHING`,
    );
    const registered = db.prepare('SELECT 1 FROM instruments WHERE id = ?').pluck();
    let inserted = 0;
    return {
      row(row, write) {
        const instrument = row.check('instrument', checkRequiredText(row.value('instrument')));
        if (instrument !== undefined && registered.get(instrument) === undefined) {
          row.report(
            'instrument',
            `${JSON.stringify(instrument)} is not in the register (import the register first)`,
          );
        }
        const date = row.check('date', checkDate(row.value('date')));
        const verdict = row.check('verdict', checkVerdict(row.value('verdict')));
        const record = row.value('record').trim();
        if (!row.good || !write) return;
        inserted += insert.run(instrument, date, verdict, record === '' ? null : record).changes;
      },
      finish(rows) {
        return { inserted, updated: 0, unchanged: rows - inserted };
      },
    };
  },
};

function countRows(db: SqliteDatabase, table: 'instruments'): number {
  return (db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
}

/** Collects the problems of a file: all of them counted, the first ones kept. */
class ProblemList {
  readonly kept: RowProblem[] = [];
  count = 0;
  rows = 0;
  private lastLine = 0;

  add(problem: RowProblem): void {
    this.count++;
    if (problem.line !== this.lastLine) {
      this.rows++;
      this.lastLine = problem.line;
    }
    if (this.kept.length < DETAILS_LIMIT) this.kept.push(problem);
  }

  error(file: string, listLimit: number): MetrogateError {
    const listed = this.kept.slice(0, listLimit);
    const more = this.count - listed.length;
    const lines = listed.map((p) => `  line ${p.line}, column ${p.column}: ${p.message}`);
    if (more > 0) lines.push(`  … and ${more} more`);
    const heading =
      `${file}: ${this.count} ${this.count === 1 ? 'problem' : 'problems'} in ${this.rows} ` +
      `${this.rows === 1 ? 'row' : 'rows'}; nothing was imported`;
    return new MetrogateError('MG_ERR_INPUT_INVALID', `${heading}\n${lines.join('\n')}`, {
      path: file,
      problemCount: this.count,
      rowCount: this.rows,
      problems: this.kept,
    });
  }
}

function runImport<Field extends string>(
  store: RegistryStore,
  chunks: Iterable<Uint8Array | string>,
  options: ImportOptions,
  kind: ImportKind<Field>,
): ImportSummary {
  const { file } = options;
  const listLimit = Math.max(1, options.listLimit ?? DEFAULT_LIST_LIMIT);
  const db = store.db;
  return db
    .transaction((): ImportSummary => {
      const problems = new ProblemList();
      let layout: ColumnLayout<Field> | undefined;
      let cursor: RowCursor<Field> | undefined;
      let handler: RowHandler<Field> | undefined;
      let rows = 0;
      const label = (index: number): string => {
        const header = layout?.headers[index];
        const field = layout?.fields[index];
        if (header === undefined || header === '') return `(column ${index + 1})`;
        return field && normalized(field) !== normalized(header) ? `${header} (${field})` : header;
      };
      const onRecord = (record: CsvRecord): void => {
        if (!cursor || !handler || !layout) {
          const header = resolveHeader(kind.columns, record.fields);
          layout = header.layout;
          for (const p of record.problems) {
            problems.add({ line: record.line, column: label(p.field), message: p.message });
          }
          for (const p of header.problems) {
            problems.add({ line: record.line, column: p.column, message: p.message });
          }
          // Without a usable header no row can be read: stop here.
          if (problems.count > 0) throw problems.error(file, listLimit);
          cursor = new RowCursor(kind.columns, layout, label, problems);
          handler = kind.start(db);
          return;
        }
        const fields = record.fields;
        if (record.problems.length === 0 && isBlank(fields)) return;
        rows++;
        for (const p of record.problems) {
          problems.add({ line: record.line, column: label(p.field), message: p.message });
        }
        const width = layout.headers.length;
        if (fields.length < width) {
          problems.add({
            line: record.line,
            column: label(fields.length),
            message: `the row has ${fields.length} ${fields.length === 1 ? 'field' : 'fields'}, the header ${width}`,
          });
          return;
        }
        for (let extra = width; extra < fields.length; extra++) {
          if (fields[extra]!.trim() !== '') {
            problems.add({
              line: record.line,
              column: `(column ${extra + 1})`,
              message: 'the row has more fields than the header names',
            });
            return;
          }
        }
        const write = problems.count === 0;
        cursor.start(fields, record.line);
        handler.row(cursor, write);
      };

      const reader = new CsvReader(onRecord);
      const decoder = new TextDecoder('utf-8', { fatal: true });
      let bytes = 0;
      for (const chunk of chunks) {
        let text: string;
        if (typeof chunk === 'string') {
          text = chunk;
          bytes += chunk.length;
        } else {
          bytes += chunk.byteLength;
          text = decodeOrThrow(decoder, chunk, file, reader.currentLine, true);
        }
        reader.push(text);
        options.onProgress?.({ bytes, rows });
      }
      reader.push(decodeOrThrow(decoder, new Uint8Array(0), file, reader.currentLine, false));
      reader.end();

      if (!layout) {
        throw new MetrogateError(
          'MG_ERR_INPUT_INVALID',
          `${file}: the file is empty; expected a header row`,
          {
            path: file,
          },
        );
      }
      if (problems.count > 0) throw problems.error(file, listLimit);
      const counts = handler ? handler.finish(rows) : { inserted: 0, updated: 0, unchanged: 0 };
      const summary: ImportSummary = { file, target: kind.target, rows, ...counts };
      store.appendAudit({
        actor: options.actor ?? 'system',
        action: 'registry.import',
        subject: basename(file),
        details: { ...summary },
      });
      return summary;
    })
    .immediate();
}

function isBlank(fields: readonly string[]): boolean {
  for (const field of fields) if (field.trim() !== '') return false;
  return true;
}

function normalized(text: string): string {
  return text.trim().toLowerCase();
}

function decodeOrThrow(
  decoder: TextDecoder,
  chunk: Uint8Array,
  file: string,
  line: number,
  stream: boolean,
): string {
  try {
    return decoder.decode(chunk, { stream });
  } catch {
    // The lossy decoding marks the first bad byte with U+FFFD: count the lines before it.
    const lossy = new TextDecoder('utf-8').decode(chunk);
    const bad = lossy.indexOf('\uFFFD');
    let badLine = line;
    for (let at = lossy.indexOf('\n'); at !== -1 && at < bad; at = lossy.indexOf('\n', at + 1)) badLine++;
    throw new MetrogateError(
      'MG_ERR_INPUT_INVALID',
      `${file}: line ${badLine}: the file is not valid UTF-8 (a spreadsheet saved as GBK/ANSI must be saved as "CSV UTF-8")`,
      { path: file, line: badLine },
    );
  }
}
