/**
 * Reading a bench record (contracts.md §1): numbers arrive as JSON numbers or strings and are read
 * as exact decimals; every error names the JSON path at fault (`tests[2].load`) and carries
 * MG_ERR_INPUT_INVALID.
 */
import { z } from 'zod';
import { Dec } from '../../drivers/decimal.js';
import { MetrogateError } from '../../drivers/errors.js';

const DECIMAL = /^[+-]?(\d+(\.\d*)?|\.\d+)$/;

/**
 * A decimal given as a JSON number or a string. A JSON number goes through its shortest decimal
 * text (JavaScript's own rule), so 0.1 is one tenth exactly, the same as "0.1".
 */
export const decimalInput = z.union([z.string(), z.number()]).transform((value, ctx) => {
  const text = typeof value === 'number' ? (Number.isFinite(value) ? String(value) : '') : value.trim();
  if (!DECIMAL.test(text)) {
    ctx.addIssue({ code: 'custom', message: `expected a decimal number, got ${JSON.stringify(value)}` });
    return z.NEVER;
  }
  return new Dec(text);
});

export const positiveDecimal = decimalInput.refine((d) => d.greaterThan(0), 'must be greater than 0');
export const nonNegativeDecimal = decimalInput.refine((d) => !d.isNegative(), 'must not be negative');

/** JSON path of a zod issue: ["tests", 2, "load"] -> "tests[2].load". */
export function jsonPath(path: readonly PropertyKey[], base = ''): string {
  let out = base;
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out || '(root)';
}

/** Parses with a schema; on failure throws MG_ERR_INPUT_INVALID naming the first path at fault. */
export function parseInput<T>(schema: z.ZodType<T>, value: unknown, base = ''): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => ({
    path: jsonPath(issue.path, base),
    message: issue.message,
  }));
  const first = issues[0]!;
  throw new MetrogateError('MG_ERR_INPUT_INVALID', `${first.path}: ${first.message}`, {
    path: first.path,
    problems: issues,
  });
}

/** An input error found after parsing (a rule the schema cannot express), naming its path. */
export function inputError(path: string, message: string): MetrogateError {
  return new MetrogateError('MG_ERR_INPUT_INVALID', `${path}: ${message}`, { path });
}

/** Decimal text for results: no exponent, no trailing zeros ("1", "2.5", "-0.0093"). */
export function decimalText(value: Dec): string {
  return value.toFixed();
}

/** A ratio as a percentage text rounded half-up to `places` decimals, trailing zeros removed. */
export function percentText(value: Dec, places = 4): string {
  return new Dec(value.toDecimalPlaces(places, Dec.ROUND_HALF_UP).toFixed(places)).toFixed();
}

/**
 * A limit for results: the rule set's own text where the value is exactly it ("0.10" stays
 * "0.10", as contracts.md §2 shows it), else the computed value.
 */
export function limitText(value: Dec, ruleText: string): string {
  return new Dec(ruleText).equals(value) ? ruleText : decimalText(value);
}
