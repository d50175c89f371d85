/**
 * How the CLI talks to people and scripts: tables by default, JSON with --json, errors on stderr
 * with their MG_ERR_* code, and the exit codes of contracts.md (0 done, 1 failed, 2 bad input).
 */
import { isMetrogateError, type MetrogateError } from '../../drivers/errors.js';

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_BAD_INPUT = 2;

/** Error codes that mean "the user gave something wrong", which exit with 2. */
const BAD_INPUT_CODES = new Set(['MG_ERR_INPUT_INVALID', 'MG_ERR_CONFIG_INVALID', 'MG_ERR_DRIVER_UNKNOWN']);

export interface Output {
  json: boolean;
  /** Writes a line to stdout. */
  line(text: string): void;
  /** Writes one JSON document per line to stdout. */
  jsonLine(value: unknown): void;
  /** Writes a message to stderr. */
  note(text: string): void;
}

export function createOutput(json: boolean): Output {
  return {
    json,
    line: (text) => process.stdout.write(`${text}\n`),
    jsonLine: (value) => process.stdout.write(`${JSON.stringify(value)}\n`),
    note: (text) => process.stderr.write(`${text}\n`),
  };
}

/** Renders rows as an aligned text table. */
export function formatTable(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const render = (cells: string[]) =>
    cells
      .map((cell, i) => cell.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [render(headers), render(widths.map((w) => '-'.repeat(w))), ...rows.map(render)].join('\n');
}

/** Prints an error as `error MG_ERR_X: message` (or JSON) and returns the exit code it deserves. */
export function reportError(error: unknown, json: boolean): number {
  const mgError: MetrogateError | undefined = isMetrogateError(error) ? error : undefined;
  if (json) {
    const body = mgError ? mgError.toJSON() : { code: 'MG_ERR_UNEXPECTED', message: String(error) };
    process.stderr.write(`${JSON.stringify({ error: body })}\n`);
  } else if (mgError) {
    process.stderr.write(`error ${mgError.code}: ${mgError.message}\n`);
  } else {
    process.stderr.write(
      `error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
  }
  return mgError && BAD_INPUT_CODES.has(mgError.code) ? EXIT_BAD_INPUT : EXIT_FAILED;
}
