/**
 * `metrogate records`: the stored verification records. `list` and `show` read them; `verify`
 * walks the hash chains of the records and of the audit trail and exits 1 naming the first record
 * that was altered, removed or reordered (MG_ERR_RECORD_CHAIN_BROKEN).
 */
import type { Command } from 'commander';
import { MetrogateError } from '../../drivers/errors.js';
import type { ChainReport } from '../store/hash-chain.js';
import type { StoredVerificationRecord } from '../store/record-types.js';
import type { CliContext } from './context.js';
import { dataDirOption, openCliStore } from './data-dir.js';
import { createOutput, EXIT_OK, formatTable, type Output, reportError } from './output.js';

interface CommonOptions {
  dataDir?: string;
  json?: boolean;
}

interface ListOptions extends CommonOptions {
  instrument?: string;
  limit?: string;
}

export function registerRecords(program: Command, context: CliContext): void {
  const records = program
    .command('records')
    .summary('list, show and verify the stored verification records')
    .description(
      'Verification records are append-only and hash-chained: each one holds the hash of the one before ' +
        "and an HMAC made with the gateway's key (<data-dir>/keys/record-hmac.key). `records verify` " +
        'checks both chains (records and audit trail).',
    );

  records
    .command('list')
    .summary('list the records, newest first')
    .option('--instrument <id>', 'only the records of this instrument')
    .option('--limit <n>', 'only the newest N records')
    .addOption(dataDirOption())
    .option('--json', 'print the records as a JSON array')
    .action((options: ListOptions) => {
      process.exitCode = run(options, context, (store, out) => {
        const limit = options.limit === undefined ? undefined : parseLimit(options.limit);
        const list = store.records.list({
          ...(options.instrument !== undefined ? { instrumentId: options.instrument } : {}),
          ...(limit !== undefined ? { limit } : {}),
        });
        if (out.json) {
          out.jsonLine(list);
        } else if (list.length === 0) {
          out.note(
            `no records${options.instrument ? ` for instrument ${options.instrument}` : ''} in ${store.dataDir}`,
          );
        } else {
          out.line(recordsTable(list, (record) => store.records.sealIntact(record)));
        }
        return EXIT_OK;
      });
    });

  records
    .command('show')
    .summary('show one record')
    .argument('<id>', 'record id, e.g. VR-000042')
    .addOption(dataDirOption())
    .option('--json', 'print the record as JSON')
    .action((id: string, options: CommonOptions) => {
      process.exitCode = run(options, context, (store, out) => {
        const record = store.records.require(id);
        if (out.json) out.jsonLine(record);
        else out.line(describeRecord(record));
        return EXIT_OK;
      });
    });

  records
    .command('verify')
    .summary('check that no record or audit entry was altered, removed or reordered')
    .addOption(dataDirOption())
    .option('--json', 'print the reports of both chains as JSON')
    .addHelpText('after', '\nExit status: 0 when both chains are intact, 1 naming the first bad record.')
    .action((options: CommonOptions) => {
      process.exitCode = run(options, context, (store, out) => {
        const verification = store.verify();
        if (out.json) out.jsonLine(verification);
        else {
          out.line(
            formatTable(
              ['chain', 'rows', 'status', 'head'],
              [chainRow('records', verification.records), chainRow('audit trail', verification.audit)],
            ),
          );
        }
        const broken = [verification.records, verification.audit].find((report) => !report.intact);
        if (!broken?.problem) return EXIT_OK;
        const { problem } = broken;
        throw new MetrogateError(
          'MG_ERR_RECORD_CHAIN_BROKEN',
          `${broken.chain === 'records' ? 'record' : 'audit entry'} ${problem.recordId} (${problem.kind}): ${problem.message}`,
          { chain: broken.chain, record: problem.recordId, problem: problem.kind, path: store.databasePath },
        );
      });
    });
}

type StoreAction = (store: ReturnType<typeof openCliStore>, out: Output) => number;

/** Opens the store, runs the action, closes the store; errors go to stderr with their exit code. */
function run(options: CommonOptions, context: CliContext, action: StoreAction): number {
  const out = createOutput(options.json === true);
  let store: ReturnType<typeof openCliStore> | undefined;
  try {
    store = openCliStore(options.dataDir, context);
    return action(store, out);
  } catch (error) {
    return reportError(error, out.json);
  } finally {
    store?.close();
  }
}

function parseLimit(text: string): number {
  if (!/^\d+$/.test(text) || Number(text) < 1) {
    throw new MetrogateError(
      'MG_ERR_INPUT_INVALID',
      `--limit must be a whole number ≥ 1, got ${JSON.stringify(text)}`,
      {
        option: '--limit',
      },
    );
  }
  return Number(text);
}

export function recordsTable(
  list: readonly StoredVerificationRecord[],
  sealIntact: (record: StoredVerificationRecord) => boolean,
): string {
  return formatTable(
    ['record', 'performed', 'instrument', 'kind', 'rule set', 'stage', 'verdict', 'operator', 'seal'],
    list.map((record) => [
      record.id,
      record.performedAt,
      record.instrument.id,
      record.instrument.kind,
      record.result.ruleSet,
      record.result.stage,
      record.result.verdict,
      record.operator,
      sealIntact(record) ? 'ok' : 'ALTERED',
    ]),
  );
}

/** A record for people: who, what, which standards and software, the tests, and the seal. */
export function describeRecord(record: StoredVerificationRecord): string {
  const { instrument, result } = record;
  const instrumentText = [
    instrument.id,
    `(${[instrument.kind, instrument.category, instrument.manufacturer, instrument.model].filter(Boolean).join(', ')})`,
    instrument.serialNumber ? `serial ${instrument.serialNumber}` : '',
  ]
    .filter(Boolean)
    .join(' ');
  const fields: [string, string][] = [
    ['record', `${record.id} (sequence ${record.sequence})`],
    ['instrument', instrumentText],
  ];
  const where = [instrument.owner, instrument.site].filter(Boolean).join(', ');
  if (where) fields.push(['owner / site', where]);
  if (instrument.region) fields.push(['region', instrument.region]);
  fields.push(
    ['rule set', `${result.ruleSet}, ${result.stage} verification`],
    [
      'verdict',
      `${result.verdict.toUpperCase()}${record.validUntil ? ` (valid until ${record.validUntil})` : ''}`,
    ],
    ['performed', `${record.performedAt} by ${record.operator} (recorded ${record.recordedAt})`],
  );
  if (record.device?.driverId) fields.push(['device', record.device.driverId]);
  for (const [index, standard] of record.standards.entries()) {
    fields.push([
      index === 0 ? 'standards' : '',
      `${standard.id}: ${standard.description}, certificate ${standard.certificateNumber}, due ${standard.dueDate}`,
    ]);
  }
  if (record.standards.length === 0) fields.push(['standards', '(none recorded)']);
  if (result.overrides) {
    fields.push([
      'overrides',
      Object.entries(result.overrides)
        .map(([name, value]) => `${name}=${value}`)
        .join(', '),
    ]);
  }
  fields.push(
    [
      'software',
      `${record.software.name} ${record.software.version}, code SHA-256 ${record.software.checksum}`,
    ],
    ['previous hash', record.previousHash],
    ['hash', record.hash],
    ['hmac', record.hmac],
  );
  const width = Math.max(...fields.map(([name]) => name.length));
  const header = fields.map(([name, value]) => `${name.padEnd(width)}  ${value}`).join('\n');
  const tests = result.tests.map((test, index) => {
    const { test: name, pass, reason, ...rest } = test;
    // Stored records come back with sorted keys (canonical JSON), so the values are listed A–Z.
    const values = Object.entries(rest)
      .filter(([, value]) => value !== null && typeof value !== 'object')
      .map(([key, value]) => `${key}=${String(value)}`)
      .join(' ');
    return [String(index + 1), name, pass ? 'pass' : `FAIL${reason ? ` (${reason})` : ''}`, values];
  });
  return `${header}\n\n${formatTable(['#', 'test', 'result', 'values'], tests)}`;
}

function chainRow(name: string, report: ChainReport): string[] {
  if (report.intact) {
    return [
      name,
      String(report.count),
      'intact',
      report.head ? `${report.head.id} ${report.head.hash}` : '(empty)',
    ];
  }
  const problem = report.problem!;
  return [name, String(report.count), `BROKEN at ${problem.recordId} (${problem.kind})`, problem.message];
}
