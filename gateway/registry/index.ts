/**
 * The register of instruments and their verification history (contracts.md §5): CSV import and
 * export, queries, and the history rows that verification records write by themselves.
 */
export {
  type ColumnSpec,
  HISTORY_COLUMNS,
  type HistoryField,
  INSTRUMENT_COLUMNS,
  type InstrumentField,
  normalizeHeader,
} from './columns.js';
export { type CsvFieldProblem, CsvReader, type CsvRecord, csvField, csvLine, parseCsv } from './csv.js';
export {
  type HistoryDatabase,
  type HistoryEntry,
  type HistorySource,
  type HistorySourceRecord,
  historyDateOf,
  recordToHistory,
  standardsValidOn,
} from './history.js';
export {
  DEFAULT_LIST_LIMIT,
  type ImportOptions,
  type ImportProgress,
  type ImportSummary,
  type ImportTarget,
  importHistory,
  importHistoryFile,
  importInstruments,
  importInstrumentsFile,
  type RegistryStore,
  type RowProblem,
  readFileChunks,
} from './import.js';
export {
  countHistory,
  countInstruments,
  exportCsv,
  getInstrument,
  historyOf,
  type Instrument,
  type InstrumentFilter,
  type InstrumentListing,
  type LastVerification,
  listInstruments,
} from './register.js';
export {
  checkKind,
  checkStatus,
  checkVerdict,
  INSTRUMENT_KINDS,
  INSTRUMENT_STATUSES,
  type InstrumentKind,
  type InstrumentStatus,
  MAX_PERIOD_MONTHS,
  VERDICTS,
  type Verdict,
} from './values.js';
