/**
 * `metrogate standards`: the register of reference standards (量传溯源) a bench verifies with:
 * weight sets, standard cans, pulse generators, thermometers, each with its certificate and due
 * date. `add` reads a YAML or JSON file holding one standard, a list, or `{ standards: [...] }`,
 * validates all of them (errors name the file and the field) and registers them all or none, with
 * an audit-trail entry each.
 */
import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import type { Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import { MetrogateError } from '../../drivers/errors.js';
import {
  describeStandard,
  type ReferenceStandard,
  type StoredReferenceStandard,
} from '../store/standards.js';
import type { CliContext } from './context.js';
import { dataDirOption, openCliStore } from './data-dir.js';
import { createOutput, EXIT_OK, formatTable, type Output, reportError } from './output.js';

interface CommonOptions {
  dataDir?: string;
  json?: boolean;
}

interface AddOptions extends CommonOptions {
  file: string;
  actor?: string;
}

const EXAMPLE = `
Example file (YAML):
  - id: W-F1-2024-01
    kind: weight-set
    accuracyClass: F1
    certificateNumber: ZJ-2024-0117
    calibrationDate: 2024-06-01
    dueDate: 2025-05-31
    pieces:                      # mpe in mg unless mpeUnit says otherwise
      - { nominal: "1", unit: kg, mpe: "5" }
      - { nominal: "500", unit: g, mpe: "2.5" }
  - id: CAN-20L-07
    kind: can
    nominalVolume: "20"          # L
    material: stainless-steel
    relativeMpe: "0.025"         # %
    certificateNumber: ZJ-2024-0342
    calibrationDate: 2024-03-10
    dueDate: 2025-03-09
`;

export function registerStandards(program: Command, context: CliContext): void {
  const standards = program
    .command('standards')
    .summary('register and list the reference standards used for verification')
    .description(
      'The reference standards (weight sets, standard cans, pulse generators, thermometers) with their ' +
        'calibration certificates and due dates. A verification refuses a standard past its due date or ' +
        "one whose error exceeds the allowed share of the instrument's MPE.",
    );

  standards
    .command('add')
    .summary('register standards from a YAML or JSON file')
    .requiredOption('--file <file>', 'YAML or JSON: one standard, a list, or { standards: [...] }')
    .option('--actor <name>', 'who registers them, for the audit trail (default: the login name)')
    .addOption(dataDirOption())
    .option('--json', 'print the registered standards as JSON')
    .addHelpText('after', EXAMPLE)
    .action((options: AddOptions) => {
      process.exitCode = run(options, context, (store, out) => {
        const inputs = readStandardsFile(options.file);
        let added: ReferenceStandard[];
        try {
          added = store.standards.addAll(inputs, { actor: options.actor ?? loginName() });
        } catch (error) {
          throw inFile(error, options.file);
        }
        if (out.json) out.jsonLine(added);
        else {
          out.line(standardsTable(added.map((standard) => ({ standard }))));
          out.note(
            `registered ${added.length} ${added.length === 1 ? 'standard' : 'standards'} in ${store.dataDir}`,
          );
        }
        return EXIT_OK;
      });
    });

  standards
    .command('list')
    .summary('list the registered standards')
    .addOption(dataDirOption())
    .option('--json', 'print the standards as a JSON array')
    .action((options: CommonOptions) => {
      process.exitCode = run(options, context, (store, out) => {
        const list = store.standards.list();
        if (out.json) out.jsonLine(list.map(({ standard }) => standard));
        else if (list.length === 0) out.note(`no reference standards registered in ${store.dataDir}`);
        else out.line(standardsTable(list, today()));
        return EXIT_OK;
      });
    });

  standards
    .command('show')
    .summary('show one standard')
    .argument('<id>', 'standard id')
    .addOption(dataDirOption())
    .option('--json', 'print the standard as JSON')
    .action((id: string, options: CommonOptions) => {
      process.exitCode = run(options, context, (store, out) => {
        const standard = store.standards.require(id);
        if (out.json) out.jsonLine(standard);
        else out.line(describeStandardInDetail(standard, today()));
        return EXIT_OK;
      });
    });
}

type StoreAction = (store: ReturnType<typeof openCliStore>, out: Output) => number;

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

/** The standards a file holds: one object, a list, or `{ standards: [...] }`. */
export function readStandardsFile(file: string): unknown[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new MetrogateError('MG_ERR_INPUT_INVALID', `${file}: ${(error as Error).message}`, { path: file });
  }
  let value: unknown;
  try {
    // YAML 1.2 is a superset of JSON, so one parser reads both. Dates stay strings (core schema).
    value = file.toLowerCase().endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    throw new MetrogateError(
      'MG_ERR_INPUT_INVALID',
      `${file}: cannot be parsed (${(error as Error).message})`,
      {
        path: file,
      },
    );
  }
  if (Array.isArray(value)) return value;
  if (value !== null && typeof value === 'object') {
    const list = (value as { standards?: unknown }).standards;
    if (Array.isArray(list)) return list;
    return [value];
  }
  throw new MetrogateError(
    'MG_ERR_INPUT_INVALID',
    `${file}: expected a standard, a list of standards or { standards: [...] }`,
    {
      path: file,
    },
  );
}

function inFile(error: unknown, file: string): unknown {
  if (error instanceof MetrogateError && error.code === 'MG_ERR_INPUT_INVALID') {
    return new MetrogateError(
      'MG_ERR_INPUT_INVALID',
      `${file}: ${error.message}`,
      { ...error.details, file },
      {
        cause: error,
      },
    );
  }
  return error;
}

function standardsTable(list: readonly Pick<StoredReferenceStandard, 'standard'>[], date?: string): string {
  const headers = ['id', 'kind', 'description', 'certificate', 'calibrated', 'due'];
  if (date) headers.push('status');
  return formatTable(
    headers,
    list.map(({ standard }) => {
      const row = [
        standard.id,
        standard.kind,
        describeStandard(standard),
        standard.certificateNumber,
        standard.calibrationDate,
        standard.dueDate,
      ];
      if (date) row.push(date > standard.dueDate ? 'OVERDUE' : 'valid');
      return row;
    }),
  );
}

function describeStandardInDetail(standard: ReferenceStandard, date: string): string {
  const fields: [string, string][] = [
    ['id', standard.id],
    ['kind', standard.kind],
    ['description', describeStandard(standard)],
    ['certificate', standard.certificateNumber],
  ];
  if (standard.calibratedBy) fields.push(['calibrated by', standard.calibratedBy]);
  if (standard.serialNumber) fields.push(['serial number', standard.serialNumber]);
  fields.push(
    ['calibrated', standard.calibrationDate],
    ['due', `${standard.dueDate}${date > standard.dueDate ? ' (OVERDUE)' : ''}`],
  );
  switch (standard.kind) {
    case 'weight-set':
      fields.push(['class', standard.accuracyClass]);
      break;
    case 'can':
      fields.push(
        ['volume', `${standard.nominalVolume} L, ${standard.material}`],
        ['MPE', `±${standard.relativeMpe} %`],
      );
      break;
    case 'pulse-generator':
      fields.push(['MPE', `±${standard.relativeMpe} %`]);
      break;
    case 'thermometer':
      fields.push(['MPE', `±${standard.mpe} °C`]);
      break;
  }
  const width = Math.max(...fields.map(([name]) => name.length));
  const text = fields.map(([name, value]) => `${name.padEnd(width)}  ${value}`).join('\n');
  if (standard.kind !== 'weight-set') return text;
  const pieces = formatTable(
    ['nominal', 'count', 'MPE'],
    standard.pieces.map((piece) => [
      `${piece.nominal} ${piece.unit}`,
      String(piece.count),
      `±${piece.mpe} ${piece.mpeUnit}`,
    ]),
  );
  return `${text}\n\n${pieces}`;
}

function today(): string {
  const now = new Date();
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}

function loginName(): string {
  try {
    return userInfo().username || 'unknown';
  } catch {
    return 'unknown';
  }
}
