/**
 * `metrogate registry`: the register of instruments and their verification history, what the
 * coverage indicators are computed over (contracts.md §5). `import` and `import-history` read CSV
 * files all or nothing (exit 2 listing every bad row by line and column); `list`, `show` and
 * `export` read the register back, `export` in the format `import` reads.
 */
import { closeSync, openSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { userInfo } from 'node:os';
import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { MetrogateError } from '../../drivers/errors.js';
import type { HistoryEntry } from '../registry/history.js';
import {
  type ImportOptions,
  type ImportSummary,
  importHistoryFile,
  importInstrumentsFile,
} from '../registry/import.js';
import {
  exportCsv,
  getInstrument,
  historyOf,
  type Instrument,
  type InstrumentFilter,
  type InstrumentListing,
  listInstruments,
} from '../registry/register.js';
import { checkKind, checkStatus } from '../registry/values.js';
import type { MetrogateStore } from '../store/store.js';
import type { CliContext } from './context.js';
import { dataDirOption, openCliStore } from './data-dir.js';
import { createOutput, EXIT_OK, formatTable, type Output, reportError } from './output.js';

interface CommonOptions {
  dataDir?: string;
  json?: boolean;
}

interface ImportCliOptions extends CommonOptions {
  actor?: string;
}

interface ListCliOptions extends CommonOptions {
  region?: string;
  kind?: string;
  status?: string;
  limit?: string;
}

interface ExportCliOptions {
  dataDir?: string;
  history?: boolean;
  out?: string;
  bom?: boolean;
}

/** Files smaller than this import before a progress bar would be seen. */
const PROGRESS_MIN_BYTES = 1 << 20;

const REGISTER_EXAMPLE = `
The file is UTF-8 CSV with a header row (English or Chinese names, any order):
  id,kind,category,region,owner,site,status,registered,scrapped,period_months
  SC-0001,scale,电子计价秤,涪城区,"张三, 水果店",农贸市场 12 号,in-use,2024-03-01,,
  FD-0007,dispenser,加油机,江油市,中石化江油站,1 号岛,scrapped,2019-06-01,2025-01-15,6
The Chinese header row is 器具编号,种类,类别,区域,使用单位,地点,状态,登记日期,停用日期,检定周期.
An empty period_months means the kind's default (scale 12, dispenser 6, taximeter 12 months).
`;

const HISTORY_EXAMPLE = `
The file is UTF-8 CSV with a header row:
  instrument,date,verdict,record
  SC-0001,2025-03-02,pass,JD-2025-0311
  (Chinese headers: 器具编号,检定日期,检定结论,记录编号; verdicts pass/fail or 合格/不合格)
Every instrument must already be in the register (metrogate registry import).
`;

export function registerRegistry(program: Command, context: CliContext): void {
  const registry = program
    .command('registry')
    .summary('import, list and export the register of instruments and their verification history')
    .description(
      'The register of legally controlled instruments (器具台账) and the history of their verifications, ' +
        'from which the coverage indicators are computed. Verifications made by this gateway enter the ' +
        'history by themselves.',
    );

  registry
    .command('import')
    .summary('import the register of instruments from a CSV file (all or nothing)')
    .argument('<file>', 'UTF-8 CSV file with a header row')
    .option('--actor <name>', 'who imports, for the audit trail (default: the login name)')
    .addOption(dataDirOption())
    .option('--json', 'print the summary as JSON')
    .addHelpText('after', REGISTER_EXAMPLE)
    .action((file: string, options: ImportCliOptions) => {
      process.exitCode = run(options, context, (store, out) =>
        runImport(file, options, out, (opts) => importInstrumentsFile(store, file, opts)),
      );
    });

  registry
    .command('import-history')
    .summary('import verifications of registered instruments from a CSV file (all or nothing)')
    .argument('<file>', 'UTF-8 CSV file with a header row')
    .option('--actor <name>', 'who imports, for the audit trail (default: the login name)')
    .addOption(dataDirOption())
    .option('--json', 'print the summary as JSON')
    .addHelpText('after', HISTORY_EXAMPLE)
    .action((file: string, options: ImportCliOptions) => {
      process.exitCode = run(options, context, (store, out) =>
        runImport(file, options, out, (opts) => importHistoryFile(store, file, opts)),
      );
    });

  registry
    .command('list')
    .summary('list the registered instruments with their last verification')
    .option('--region <region>', 'only this region (district / county)')
    .option('--kind <kind>', 'only this kind: scale, dispenser or taximeter')
    .option('--status <status>', 'only this status: in-use or scrapped')
    .option('--limit <n>', 'at most N instruments (in id order)')
    .addOption(dataDirOption())
    .option('--json', 'print the instruments as a JSON array')
    .action((options: ListCliOptions) => {
      process.exitCode = run(options, context, (store, out) => {
        const filter = listFilter(options);
        const list = listInstruments(store, filter);
        if (out.json) out.jsonLine(list);
        else if (list.length === 0) out.note(`no instruments match in ${store.dataDir}`);
        else out.line(instrumentsTable(list));
        return EXIT_OK;
      });
    });

  registry
    .command('show')
    .summary('show one instrument and its verification history')
    .argument('<id>', 'instrument id (器具编号)')
    .addOption(dataDirOption())
    .option('--json', 'print { instrument, history } as JSON')
    .action((id: string, options: CommonOptions) => {
      process.exitCode = run(options, context, (store, out) => {
        const instrument = getInstrument(store, id) ?? null;
        const history = historyOf(store, id);
        if (!instrument && history.length === 0) {
          throw new MetrogateError('MG_ERR_NOT_FOUND', `no instrument ${id} in the register or the history`, {
            instrument: id,
          });
        }
        if (out.json) out.jsonLine({ instrument, history });
        else out.line(describeInstrument(id, instrument, history));
        return EXIT_OK;
      });
    });

  registry
    .command('export')
    .summary('write the register (or the history) as CSV that import reads back')
    .option('--history', 'export the verification history instead of the instruments')
    .option('--out <file>', 'write to this file instead of stdout')
    .option('--bom', 'start with a UTF-8 byte-order mark (Excel then shows Chinese text correctly)')
    .addOption(dataDirOption())
    .action((options: ExportCliOptions) => {
      process.exitCode = run(options, context, (store, out) => {
        const what = options.history ? 'history' : 'instruments';
        const bom = options.bom ? '\uFEFF' : '';
        if (options.out === undefined) {
          let first = true;
          exportCsv(store, what, (text) => {
            process.stdout.write(first ? bom + text : text);
            first = false;
          });
          return EXIT_OK;
        }
        const rows = exportToFile(options.out, bom, (write) => exportCsv(store, what, write));
        out.note(`exported ${rows} ${what === 'history' ? 'history rows' : 'instruments'} to ${options.out}`);
        return EXIT_OK;
      });
    });
}

type StoreAction = (store: MetrogateStore, out: Output) => number;

function run(
  options: { dataDir?: string; json?: boolean },
  context: CliContext,
  action: StoreAction,
): number {
  const out = createOutput(options.json === true);
  let store: MetrogateStore | undefined;
  try {
    store = openCliStore(options.dataDir, context);
    return action(store, out);
  } catch (error) {
    return reportError(error, out.json);
  } finally {
    store?.close();
  }
}

function runImport(
  file: string,
  options: ImportCliOptions,
  out: Output,
  doImport: (options: Partial<ImportOptions>) => ImportSummary,
): number {
  const size = fileSize(file);
  const bar =
    process.stderr.isTTY && size >= PROGRESS_MIN_BYTES
      ? new SingleBar({
          format: 'importing {bar} {percentage}% {rows} rows',
          stream: process.stderr,
          clearOnComplete: true,
          hideCursor: true,
        })
      : undefined;
  bar?.start(size, 0, { rows: 0 });
  let summary: ImportSummary;
  try {
    summary = doImport({
      file,
      actor: options.actor ?? loginName(),
      ...(bar ? { onProgress: ({ bytes, rows }) => bar.update(bytes, { rows }) } : {}),
    });
  } finally {
    bar?.stop();
  }
  if (out.json) out.jsonLine(summary);
  else {
    out.line(
      `imported ${file}: ${summary.rows} rows, ${summary.inserted} inserted, ${summary.updated} updated, ` +
        `${summary.unchanged} unchanged`,
    );
  }
  return EXIT_OK;
}

function fileSize(file: string): number {
  try {
    return statSync(file).size;
  } catch (error) {
    throw new MetrogateError('MG_ERR_INPUT_INVALID', `${file}: ${(error as Error).message}`, { path: file });
  }
}

/** Writes next to the target and renames it into place, so a failed export leaves no half file. */
function exportToFile(
  path: string,
  prefix: string,
  produce: (write: (text: string) => void) => number,
): number {
  const partial = `${path}.partial-${process.pid}`;
  let fd: number;
  try {
    fd = openSync(partial, 'w');
  } catch (error) {
    throw new MetrogateError('MG_ERR_INPUT_INVALID', `--out ${path}: ${(error as Error).message}`, {
      option: '--out',
      path,
    });
  }
  try {
    if (prefix !== '') writeSync(fd, prefix);
    const rows = produce((text) => {
      writeSync(fd, text);
    });
    closeSync(fd);
    renameSync(partial, path);
    return rows;
  } catch (error) {
    try {
      closeSync(fd);
    } catch {
      // already closed
    }
    try {
      unlinkSync(partial);
    } catch {
      // nothing to remove
    }
    throw error;
  }
}

function listFilter(options: ListCliOptions): InstrumentFilter {
  const filter: InstrumentFilter = {};
  if (options.region !== undefined) filter.region = options.region;
  if (options.kind !== undefined) {
    const kind = checkKind(options.kind);
    if (!kind.ok) throw optionError('--kind', kind.message);
    filter.kind = kind.value;
  }
  if (options.status !== undefined) {
    const status = checkStatus(options.status);
    if (!status.ok) throw optionError('--status', status.message);
    filter.status = status.value;
  }
  if (options.limit !== undefined) {
    if (!/^\d+$/.test(options.limit) || Number(options.limit) < 1) {
      throw optionError('--limit', `must be a whole number ≥ 1, got ${JSON.stringify(options.limit)}`);
    }
    filter.limit = Number(options.limit);
  }
  return filter;
}

function optionError(option: string, message: string): MetrogateError {
  return new MetrogateError('MG_ERR_INPUT_INVALID', `${option}: ${message}`, { option });
}

function periodText(instrument: Instrument): string {
  return instrument.periodMonths === null ? 'default' : String(instrument.periodMonths);
}

function instrumentsTable(list: readonly InstrumentListing[]): string {
  return formatTable(
    [
      'id',
      'kind',
      'category',
      'region',
      'owner',
      'site',
      'status',
      'registered',
      'scrapped',
      'period',
      'last verified',
    ],
    list.map((instrument) => [
      instrument.id,
      instrument.kind,
      instrument.category,
      instrument.region,
      instrument.owner,
      instrument.site,
      instrument.status,
      instrument.registered,
      instrument.scrapped ?? '',
      periodText(instrument),
      instrument.lastVerification
        ? `${instrument.lastVerification.date} ${instrument.lastVerification.verdict}`
        : 'never',
    ]),
  );
}

function describeInstrument(
  id: string,
  instrument: Instrument | null,
  history: readonly HistoryEntry[],
): string {
  const lines: string[] = [];
  if (instrument) {
    const fields: [string, string][] = [
      ['instrument', instrument.id],
      ['kind', instrument.kind],
      ['category', instrument.category],
      ['region', instrument.region],
      ['owner', instrument.owner],
      ['site', instrument.site],
      ['status', instrument.status],
      ['registered', instrument.registered],
      ['scrapped', instrument.scrapped ?? ''],
      ['period (months)', periodText(instrument)],
    ];
    const width = Math.max(...fields.map(([name]) => name.length));
    for (const [name, value] of fields) lines.push(`${name.padEnd(width)}  ${value}`.trimEnd());
  } else {
    lines.push(`instrument ${id} is not in the register (verifications of it are kept in the history)`);
  }
  lines.push('');
  if (history.length === 0) lines.push('no verifications in the history');
  else {
    lines.push(
      formatTable(
        ['date', 'verdict', 'record', 'source', 'standards'],
        history.map((entry) => [
          entry.date,
          entry.verdict,
          entry.record ?? '',
          entry.source,
          entry.standardsValid === null ? '' : entry.standardsValid ? 'valid' : 'expired',
        ]),
      ),
    );
  }
  return lines.join('\n');
}

function loginName(): string {
  try {
    return userInfo().username || 'unknown';
  } catch {
    return 'unknown';
  }
}
