/**
 * `npm run seed -- --instruments N --years Y [--seed S] [--out DIR] [--end DATE]
 *  [--chinese-headers] [--no-standards] [--json]`
 *
 * Writes instruments.csv, history.csv and standards.json into DIR (seeds/README.md). Progress goes
 * to stderr, the summary (with the time taken and the peak memory) to stdout. Exit 2 on a bad flag,
 * naming it.
 */
import { realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { SingleBar } from 'cli-progress';
import { DEFAULT_END, DEFAULT_SEED, generateRegister, type RegisterOptions } from './register.js';

export const DEFAULT_OUT = 'seed-output';

const USAGE =
  'usage: npm run seed -- --instruments N --years Y [--seed S] [--out DIR] [--end YYYY-MM-DD] ' +
  '[--chinese-headers] [--no-standards] [--json]';

export interface SeedCommand {
  options: RegisterOptions;
  outDir: string;
  json: boolean;
}

/** Parses the command line; a bad flag throws a RangeError that names it. */
export function parseSeedArgs(argv: readonly string[]): SeedCommand {
  let values: ReturnType<typeof parse>['values'];
  try {
    values = parse(argv).values;
  } catch (error) {
    throw new RangeError((error as Error).message);
  }
  const whole = (flag: string, text: string | undefined): number => {
    if (text === undefined) throw new RangeError(`--${flag} is required`);
    if (!/^\d+$/.test(text.replaceAll('_', ''))) {
      throw new RangeError(`--${flag}: expected a whole number, got ${JSON.stringify(text)}`);
    }
    return Number(text.replaceAll('_', ''));
  };
  return {
    options: {
      instruments: whole('instruments', values.instruments),
      years: whole('years', values.years),
      seed: values.seed ?? DEFAULT_SEED,
      end: values.end ?? DEFAULT_END,
      chineseHeaders: values['chinese-headers'] ?? false,
      standards: !(values['no-standards'] ?? false),
    },
    outDir: values.out ?? DEFAULT_OUT,
    json: values.json ?? false,
  };
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      instruments: { type: 'string' },
      years: { type: 'string' },
      seed: { type: 'string' },
      out: { type: 'string' },
      end: { type: 'string' },
      'chinese-headers': { type: 'boolean' },
      'no-standards': { type: 'boolean' },
      json: { type: 'boolean' },
    },
  });
}

export function runSeedCli(argv: readonly string[]): number {
  let command: SeedCommand;
  try {
    command = parseSeedArgs(argv);
  } catch (error) {
    process.stderr.write(`error: ${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const bar = process.stderr.isTTY
    ? new SingleBar({
        format: 'seeding [{bar}] {percentage}% {value}/{total} instruments',
        stream: process.stderr,
      })
    : undefined;
  const started = process.hrtime.bigint();
  let summary: ReturnType<typeof generateRegister>;
  try {
    bar?.start(command.options.instruments, 0);
    summary = generateRegister(command.options, command.outDir, (done) => bar?.update(done));
  } catch (error) {
    bar?.stop();
    process.stderr.write(`error: ${(error as Error).message}\n`);
    return error instanceof RangeError ? 2 : 1;
  }
  bar?.stop();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const peakRssMiB = process.resourceUsage().maxRSS / 1024;
  const report = {
    ...summary,
    seed: command.options.seed,
    seconds: Number(seconds.toFixed(2)),
    instrumentsPerSecond: Math.round(summary.instruments / seconds),
    peakRssMiB: Math.round(peakRssMiB),
  };
  if (command.json) {
    process.stdout.write(`${JSON.stringify(report)}\n`);
  } else {
    const lines = [
      `wrote ${summary.instruments} instruments (${summary.inUse} in use, ${summary.scrapped} scrapped) and ` +
        `${summary.verifications} verifications (${summary.failures} failed), ${summary.from} to ${summary.to}`,
      ...summary.files.map((file) => `  ${file.path}  ${(file.bytes / 1_048_576).toFixed(1)} MiB`),
      `${report.seconds} s (${report.instrumentsPerSecond} instruments/s), peak RSS ${report.peakRssMiB} MiB`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  }
  return 0;
}

function invokedDirectly(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return realpathSync(resolve(script)) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (invokedDirectly()) process.exitCode = runSeedCli(process.argv.slice(2));
