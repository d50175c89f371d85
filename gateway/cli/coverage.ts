/**
 * `metrogate coverage`: the coverage indicators of contracts.md §6 over the register and the
 * verification history in the data directory, per region × kind with totals, against the targets
 * of the config's `coverage` section; `metrogate coverage overdue` lists the instruments to recall.
 * Without --from/--to the period is the current calendar year to date (contracts.md §7).
 */
import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { Dec } from '../../drivers/decimal.js';
import { MetrogateError } from '../../drivers/errors.js';
import { type CoverageConfig, DEFAULT_COVERAGE_CONFIG, loadGatewayConfig } from '../config/gateway-config.js';
import {
  ALL,
  COVERAGE_KINDS,
  type CoverageFilter,
  type CoveragePeriod,
  type CoverageReport,
  type CoverageRow,
  computeCoverage,
  type DayKey,
  dayKey,
  formatDate,
  localDay,
  type OverdueInstrument,
  overdueCells,
  overdueCsv,
  overdueInstruments,
  type PassProgress,
  parseDate,
  STANDARDS_DUE_DAYS,
  yearOf,
} from '../coverage/index.js';
import type { CliContext } from './context.js';
import { dataDirOption, openCliStore } from './data-dir.js';
import { createOutput, EXIT_OK, type Output, reportError } from './output.js';

interface CoverageOptions {
  from?: string;
  to?: string;
  region?: string;
  kind?: string;
  config?: string;
  dataDir?: string;
  json?: boolean;
  csv?: boolean;
}

const LISTS = ['overdue'] as const;

const EXAMPLES = `
Examples:
  metrogate coverage                                   # this year to date, every region and kind
  metrogate coverage --from 2026-01-01 --to 2026-06-30 --region 江油市 --json
  metrogate coverage overdue --to 2026-06-30 --kind dispenser --csv > recall.csv

Definitions (contracts.md §6), over the instruments in use at --to:
  due        last verification before --from plus its period (or the registration date) <= --to
  inspected  due, and verified (pass or fail) between --from and --to
  valid      last verification on or before --to passed and has not run out at --to
  overdue    due and not inspected; pass rate = passing / all verifications in the period
  target met inspection rate >= target (config coverage.targets); "-" when nothing fell due
Adding a period clamps to the end of the month: verified 2026-01-31 with a 1-month period is due
2026-02-28; 2025-08-31 + 6 months is 2026-02-28.`;

export function registerCoverage(program: Command, context: CliContext): void {
  program
    .command('coverage')
    .summary('coverage indicators: due, inspected, valid and overdue instruments per region and kind')
    .description(
      'Computes the inspection rate (受检率), valid rate, pass rate and traceability of the standards ' +
        'used, per region × kind with totals, over the register of instruments and their verification ' +
        'history, and compares the inspection rate with the targets of the config. `coverage overdue` ' +
        'lists the instruments that fell due and were not verified (the recall list).',
    )
    .argument('[list]', `"overdue" for the recall list instead of the indicators`)
    .option('--from <date>', 'first day of the period (YYYY-MM-DD); default January 1 of --to’s year')
    .option('--to <date>', 'last day of the period (YYYY-MM-DD); default today')
    .option('--region <region>', 'only this region')
    .option('--kind <kind>', `only this kind (${COVERAGE_KINDS.join(', ')})`)
    .option(
      '-c, --config <file>',
      'gateway config with the coverage section; default $METROGATE_CONFIG, else the defaults',
    )
    .addOption(dataDirOption())
    .option('--json', 'print JSON (contracts.md §6)')
    .option('--csv', 'print the overdue list as CSV')
    .addHelpText('after', EXAMPLES)
    .action((list: string | undefined, options: CoverageOptions) => {
      process.exitCode = runCoverage(list, options, context);
    });
}

function runCoverage(list: string | undefined, options: CoverageOptions, context: CliContext): number {
  const out = createOutput(options.json === true);
  let store: ReturnType<typeof openCliStore> | undefined;
  try {
    if (list !== undefined && !(LISTS as readonly string[]).includes(list)) {
      throw inputError(`unknown list ${JSON.stringify(list)}; the only one is: ${LISTS.join(', ')}`, 'list');
    }
    if (options.csv && list !== 'overdue') throw inputError('--csv is for `coverage overdue` only', '--csv');
    if (options.csv && options.json) throw inputError('--csv and --json exclude each other', '--csv');
    const period = periodOf(options, localDay(new Date()));
    const filter = filterOf(options);
    const config = coverageConfig(options.config);
    store = openCliStore(options.dataDir, context);
    const bar = progressBar();
    let result: ReturnType<typeof computeCoverage>;
    try {
      result = computeCoverage(store, {
        period,
        config,
        filter,
        ...(bar ? { onProgress: bar.update } : {}),
      });
    } finally {
      bar?.stop();
    }
    if (list === 'overdue') {
      printOverdue(
        out,
        overdueInstruments(store.db, result.state, config),
        result.report,
        options.csv === true,
      );
    } else if (out.json) {
      out.jsonLine(result.report);
    } else {
      printReport(out, result.report, filter);
    }
    return EXIT_OK;
  } catch (error) {
    return reportError(error, out.json);
  } finally {
    store?.close();
  }
}

function inputError(message: string, option: string): MetrogateError {
  return new MetrogateError('MG_ERR_INPUT_INVALID', message, { option });
}

function dateOption(text: string | undefined, flag: string): DayKey | undefined {
  if (text === undefined) return undefined;
  const day = parseDate(text.trim());
  if (day === undefined) {
    throw inputError(`${flag} ${JSON.stringify(text)} is not a calendar date written YYYY-MM-DD`, flag);
  }
  return day;
}

/** --from/--to with the defaults of contracts.md §7 (the current calendar year to date). */
export function periodOf(options: Pick<CoverageOptions, 'from' | 'to'>, today: DayKey): CoveragePeriod {
  const to = dateOption(options.to, '--to') ?? today;
  const from = dateOption(options.from, '--from') ?? dayKey(yearOf(to), 1, 1);
  if (from > to) {
    throw inputError(
      `--from ${formatDate(from)} is after --to ${formatDate(to)}${options.to === undefined ? ' (today)' : ''}`,
      '--from',
    );
  }
  return { from, to };
}

function filterOf(options: CoverageOptions): CoverageFilter {
  const filter: CoverageFilter = {};
  if (options.region !== undefined) {
    const region = options.region.trim();
    if (region === '') throw inputError('--region must not be empty', '--region');
    filter.region = region;
  }
  if (options.kind !== undefined) {
    const kind = options.kind.trim();
    if (!(COVERAGE_KINDS as readonly string[]).includes(kind)) {
      throw inputError(`--kind ${JSON.stringify(kind)} is not one of ${COVERAGE_KINDS.join(', ')}`, '--kind');
    }
    filter.kind = kind;
  }
  return filter;
}

function coverageConfig(file: string | undefined): CoverageConfig {
  const path = file ?? process.env.METROGATE_CONFIG;
  if (path === undefined || path === '') return DEFAULT_COVERAGE_CONFIG;
  return loadGatewayConfig(path).config.coverage;
}

function progressBar(): { update: (progress: PassProgress) => void; stop: () => void } | undefined {
  if (!process.stderr.isTTY) return undefined;
  const bar = new SingleBar({
    format: 'computing coverage: {phase} {bar} {percentage}%',
    stream: process.stderr,
    clearOnComplete: true,
    hideCursor: true,
  });
  let started = false;
  return {
    update: ({ phase, done, total }) => {
      // Instruments are read first, then the history: each is half of the bar.
      const value = Math.round((phase === 'instruments' ? 0 : 500) + (500 * done) / Math.max(total, 1));
      if (!started) {
        bar.start(1000, 0, { phase });
        started = true;
      }
      bar.update(value, { phase });
    },
    stop: () => {
      if (started) bar.stop();
    },
  };
}

/** Columns a terminal gives `text`: two for East Asian wide characters (district names), else one. */
export function displayWidth(text: string): number {
  let width = 0;
  for (const char of text) {
    const c = char.codePointAt(0)!;
    const wide =
      (c >= 0x1100 && c <= 0x115f) ||
      (c >= 0x2e80 && c <= 0xa4cf) ||
      (c >= 0xac00 && c <= 0xd7a3) ||
      (c >= 0xf900 && c <= 0xfaff) ||
      (c >= 0xfe30 && c <= 0xfe4f) ||
      (c >= 0xff00 && c <= 0xff60) ||
      (c >= 0xffe0 && c <= 0xffe6) ||
      (c >= 0x20000 && c <= 0x3fffd);
    width += wide ? 2 : 1;
  }
  return width;
}

/**
 * output.ts's table, aligned by terminal columns rather than by characters: region names are
 * Chinese, and padding them by their length would shift every column after them.
 */
function formatTable(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) =>
    Math.max(displayWidth(h), ...rows.map((r) => displayWidth(r[i] ?? ''))),
  );
  const render = (cells: string[]) =>
    cells
      .map((cell, i) => cell + ' '.repeat(widths[i]! - displayWidth(cell)))
      .join('  ')
      .trimEnd();
  return [render(headers), render(widths.map((w) => '-'.repeat(w))), ...rows.map(render)].join('\n');
}

/** "0.9167" → "91.67 %"; null → "-". */
function percent(rate: string | null): string {
  return rate === null ? '-' : `${new Dec(rate).times(100).toFixed(2)} %`;
}

function label(value: string): string {
  return value === ALL ? '(all)' : value;
}

function targetStatus(row: CoverageRow): string {
  if (row.meetsTarget === null) return '-';
  return row.meetsTarget ? 'met' : 'MISSED';
}

function reportTable(rows: readonly CoverageRow[]): string {
  return formatTable(
    [
      'region',
      'kind',
      'in use',
      'due',
      'inspected',
      'inspection',
      'target',
      'target met',
      'valid',
      'valid rate',
      'overdue',
      'pass rate',
      'traceability',
    ],
    rows.map((row) => [
      label(row.region),
      label(row.kind),
      String(row.inUse),
      String(row.due),
      String(row.inspected),
      percent(row.inspectionRate),
      percent(row.target),
      targetStatus(row),
      String(row.valid),
      percent(row.validRate),
      String(row.overdue),
      percent(row.passRate),
      percent(row.traceabilityRate),
    ]),
  );
}

function printReport(out: Output, report: CoverageReport, filter: CoverageFilter): void {
  const scope = [filter.region, filter.kind].filter((part) => part !== undefined).join(', ');
  out.line(
    `coverage ${report.from} – ${report.to}${scope ? ` (${scope})` : ''}, instruments in use at ${report.to}`,
  );
  if (report.rows.length === 0) {
    out.note('no instruments in use in the register for this period and filter');
  } else {
    out.line('');
    out.line(reportTable([...report.rows, ...report.totals]));
    const missed = report.rows.filter((row) => row.meetsTarget === false).length;
    if (missed > 0) out.line(`\n${missed} of ${report.rows.length} region × kind rows MISSED their target`);
  }
  if (report.standardsDue.length > 0) {
    out.line(`\nreference standards due within ${STANDARDS_DUE_DAYS} days (or past due):`);
    out.line(
      formatTable(
        ['standard', 'kind', 'description', 'certificate', 'due', 'days left'],
        report.standardsDue.map((standard) => [
          standard.id,
          standard.kind,
          standard.description,
          standard.certificateNumber,
          standard.dueDate,
          standard.daysLeft < 0 ? `${standard.daysLeft} (PAST DUE)` : String(standard.daysLeft),
        ]),
      ),
    );
  }
}

function printOverdue(out: Output, list: OverdueInstrument[], report: CoverageReport, csv: boolean): void {
  if (out.json) {
    out.jsonLine({ from: report.from, to: report.to, overdue: list });
  } else if (csv) {
    process.stdout.write(overdueCsv(list));
  } else if (list.length === 0) {
    out.note(`no overdue instruments for ${report.from} – ${report.to}`);
  } else {
    out.line(
      formatTable(
        ['instrument', 'region', 'kind', 'owner', 'site', 'due', 'days overdue', 'last verified'],
        list.map((item) => overdueCells(item).map((cell) => cell || '-')),
      ),
    );
    out.note(`${list.length} overdue ${list.length === 1 ? 'instrument' : 'instruments'} at ${report.to}`);
  }
}
