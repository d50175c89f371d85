/**
 * The columns of the two register files (contracts.md §5) and the header names accepted for each:
 * the English name, the Chinese name of the contract, and a few Chinese names that registers kept
 * in spreadsheets commonly use. A header is matched after removing spaces, lowercasing, and turning
 * full-width brackets into ASCII ones, so `检定周期（月）` and ` Period_Months ` are both found.
 * Export always writes the English names.
 */

export interface ColumnSpec<Field extends string> {
  field: Field;
  /** Accepted header names; the first is the English name that export writes. */
  names: readonly string[];
  required: boolean;
}

export type InstrumentField =
  | 'id'
  | 'kind'
  | 'category'
  | 'region'
  | 'owner'
  | 'site'
  | 'status'
  | 'registered'
  | 'scrapped'
  | 'period_months';

export type HistoryField = 'instrument' | 'date' | 'verdict' | 'record';

export const INSTRUMENT_COLUMNS: readonly ColumnSpec<InstrumentField>[] = [
  { field: 'id', names: ['id', '器具编号', '编号'], required: true },
  { field: 'kind', names: ['kind', '种类'], required: true },
  { field: 'category', names: ['category', '类别'], required: false },
  { field: 'region', names: ['region', '区域', '所属区域'], required: true },
  { field: 'owner', names: ['owner', '使用单位'], required: false },
  { field: 'site', names: ['site', '地点', '安装地点', '使用地点'], required: false },
  { field: 'status', names: ['status', '状态'], required: true },
  { field: 'registered', names: ['registered', '登记日期'], required: true },
  { field: 'scrapped', names: ['scrapped', '停用日期', '报废日期'], required: false },
  {
    field: 'period_months',
    names: ['period_months', '检定周期', '检定周期(月)', '检定周期/月'],
    required: false,
  },
];

export const HISTORY_COLUMNS: readonly ColumnSpec<HistoryField>[] = [
  { field: 'instrument', names: ['instrument', '器具编号', 'instrument_id'], required: true },
  { field: 'date', names: ['date', '检定日期', '日期'], required: true },
  { field: 'verdict', names: ['verdict', '检定结论', '结论', '检定结果'], required: true },
  { field: 'record', names: ['record', '记录编号', '检定记录编号'], required: false },
];

/** How a header cell is compared with the accepted names. */
export function normalizeHeader(text: string): string {
  return text.replace(/\s+/g, '').toLowerCase().replaceAll('（', '(').replaceAll('）', ')');
}

/** Where each field sits in the file, and what the file calls it (for messages). */
export interface ColumnLayout<Field extends string> {
  /** Field → index in the record; absent for an optional column the file does not have. */
  index: Partial<Record<Field, number>>;
  /** Index → the header as written in the file. */
  headers: string[];
  /** Index → the field (the English column name). */
  fields: Field[];
}

export interface HeaderProblem {
  /** 1-based column position in the file, or undefined for a column that is missing. */
  position?: number;
  column: string;
  message: string;
}

/** Matches a header row against the columns; problems are empty when every header is known. */
export function resolveHeader<Field extends string>(
  columns: readonly ColumnSpec<Field>[],
  header: readonly string[],
): { layout: ColumnLayout<Field>; problems: HeaderProblem[] } {
  const byName = new Map<string, ColumnSpec<Field>>();
  for (const column of columns) for (const name of column.names) byName.set(normalizeHeader(name), column);
  const index: Partial<Record<Field, number>> = {};
  const headers: string[] = [];
  const fields: Field[] = [];
  const problems: HeaderProblem[] = [];
  header.forEach((cell, position) => {
    const written = cell.trim();
    headers.push(written);
    const column = byName.get(normalizeHeader(cell));
    if (!column) {
      problems.push({
        position: position + 1,
        column: written === '' ? `(column ${position + 1})` : written,
        message:
          written === ''
            ? 'the header is empty'
            : `unknown column; accepted: ${columns.map((c) => c.names.join(' / ')).join(', ')}`,
      });
      fields.push('' as Field);
      return;
    }
    const earlier = index[column.field];
    if (earlier !== undefined) {
      problems.push({
        position: position + 1,
        column: written,
        message: `column ${column.field} appears twice (also column ${earlier + 1}, "${headers[earlier]}")`,
      });
    } else {
      index[column.field] = position;
    }
    fields.push(column.field);
  });
  for (const column of columns) {
    if (column.required && index[column.field] === undefined) {
      problems.push({
        column: column.field,
        message: `required column is missing (header ${column.names.map((n) => `"${n}"`).join(' or ')})`,
      });
    }
  }
  return { layout: { index, headers, fields }, problems };
}

/** English header row, as export writes it. */
export function englishHeader<Field extends string>(columns: readonly ColumnSpec<Field>[]): string[] {
  return columns.map((column) => column.names[0]!);
}
