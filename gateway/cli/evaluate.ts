/**
 * `metrogate evaluate FILE`: a bench record (contracts.md §1) in, the result (§2) out as JSON.
 * Exit 0 when evaluated whatever the verdict, 1 on a failing verdict with --strict, 2 on bad input
 * (the message names the file and the JSON path at fault).
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { MetrogateError } from '../../drivers/errors.js';
import { loadVerificationConfig, overridesOf } from '../config/verification-config.js';
import { evaluate } from '../verification/evaluate.js';
import type { EvaluationResult } from '../verification/types.js';
import type { CliContext } from './context.js';
import { createOutput, EXIT_FAILED, EXIT_OK, formatTable, reportError } from './output.js';

interface EvaluateOptions {
  config?: string;
  strict?: boolean;
  table?: boolean;
  json?: boolean;
}

function readRecord(file: string): unknown {
  let text: string;
  try {
    text = file === '-' ? readFileSync(0, 'utf8') : readFileSync(file, 'utf8');
  } catch (error) {
    throw new MetrogateError('MG_ERR_INPUT_INVALID', `${file}: ${(error as Error).message}`, { path: file });
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new MetrogateError(
      'MG_ERR_INPUT_INVALID',
      `${file}: malformed JSON (${(error as Error).message})`,
      { path: file },
    );
  }
}

/** One line per test for people: the numbers that decided it. */
export function resultTable(result: EvaluationResult): string {
  const pick = (t: Record<string, unknown>, ...keys: string[]) =>
    keys.map((k) => t[k]).find((v) => v !== undefined);
  const rows = result.tests.map((t) => {
    const point =
      pick(t, 'load', 'flow', 'testDistance', 'indicatedDistance', 'reference', 'distance', 'unitPrice') ??
      '';
    const error = pick(t, 'error', 'errorPercent', 'range') ?? '';
    const limit =
      pick(t, 'mpe', 'mpePercent', 'limit') ??
      (t.lowerPercent !== undefined ? `${String(t.lowerPercent)} … +${String(t.upperPercent)}` : '');
    return [
      t.test,
      String(point),
      String(error),
      String(limit),
      t.pass ? 'pass' : `FAIL${t.reason ? ` (${t.reason})` : ''}`,
    ];
  });
  for (const g of result.groups ?? []) {
    rows.push([
      'repeatability',
      `flow ${g.flow} × ${g.runs}`,
      `${g.rangePercent} %`,
      `${g.limitPercent} %`,
      g.pass ? 'pass' : 'FAIL',
    ]);
  }
  return `${formatTable(['test', 'point', 'error', 'limit', 'result'], rows)}\n\nverdict: ${result.verdict.toUpperCase()} (${result.ruleSet}, ${result.stage})`;
}

export function registerEvaluate(program: Command, context: CliContext): void {
  void context;
  program
    .command('evaluate')
    .argument('<file>', 'bench record as JSON (contracts.md §1); - reads standard input')
    .summary('judge a bench record against its rule set and print the result as JSON')
    .description(
      'Evaluates the test readings of a bench record against the rule set it names (OIML R 76, JJG 539, ' +
        'OIML R 117, JJG 443, OIML R 21, JJG 517) with exact decimal arithmetic, and prints the result ' +
        '(contracts.md §2). Rule-set parameters marked UNCONFIRMED can be overridden in the config file ' +
        '(verification.overrides); the result lists the overrides used.',
    )
    .option('--config <file>', 'gateway config (YAML) whose verification.overrides apply')
    .option('--strict', 'exit with 1 when the verdict is fail')
    .option('--table', 'print a table for people instead of JSON')
    .option('--json', 'print the result as JSON (the default)')
    .addHelpText(
      'after',
      '\nExample:\n  metrogate evaluate bench.json\n  metrogate evaluate bench.json --table --strict\n  cat bench.json | metrogate evaluate - --config gateway.yaml',
    )
    .action((file: string, options: EvaluateOptions) => {
      process.exitCode = runEvaluate(file, options);
    });
}

export function runEvaluate(file: string, options: EvaluateOptions): number {
  const out = createOutput(options.table !== true);
  try {
    const overrides = options.config ? overridesOf(loadVerificationConfig(options.config)) : {};
    const result = evaluate(readRecord(file), { overrides });
    if (options.table) out.line(resultTable(result));
    else out.line(JSON.stringify(result, null, 2));
    return options.strict && result.verdict === 'fail' ? EXIT_FAILED : EXIT_OK;
  } catch (error) {
    if (
      error instanceof MetrogateError &&
      error.code === 'MG_ERR_INPUT_INVALID' &&
      error.details.path &&
      file !== '-'
    ) {
      // Name the file as well as the JSON path.
      return reportError(
        new MetrogateError(error.code, `${file}: ${error.message}`, error.details),
        !options.table,
      );
    }
    return reportError(error, !options.table);
  }
}
