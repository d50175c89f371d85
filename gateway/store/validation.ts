/**
 * Input checks shared by the stores: zod issues turned into MG_ERR_INPUT_INVALID naming the JSON
 * path at fault, calendar dates, and exact decimal text.
 */
import { z } from 'zod';
import { Dec, normalizeDecimalText } from '../../drivers/decimal.js';
import { MetrogateError } from '../../drivers/errors.js';

/** ["pieces", 2, "mpe"] -> "pieces[2].mpe". */
export function issuePath(path: readonly PropertyKey[], base = ''): string {
  let out = base;
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out || '(root)';
}

export function parseOrThrow<T>(schema: z.ZodType<T>, value: unknown, what: string, base = ''): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => ({
    path: issuePath(issue.path, base),
    message: issue.message,
  }));
  const first = problems[0]!;
  throw new MetrogateError('MG_ERR_INPUT_INVALID', `${what}: ${first.path}: ${first.message}`, {
    path: first.path,
    problems,
  });
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** True for a real calendar date written YYYY-MM-DD (2025-02-30 is not one). */
export function isCalendarDate(text: string): boolean {
  const match = DATE.exec(text);
  if (!match) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

export const calendarDate = z.string().refine(isCalendarDate, 'expected a date written YYYY-MM-DD');

/** A decimal given as a string or a JSON number, kept as normalised decimal text ("0.50"). */
export const decimalText = z.union([z.string(), z.number()]).transform((value, ctx) => {
  const text =
    typeof value === 'number'
      ? Number.isFinite(value)
        ? String(value)
        : undefined
      : normalizeDecimalText(value);
  if (text === undefined || !/^-?\d+(\.\d+)?$/.test(text)) {
    ctx.addIssue({ code: 'custom', message: `expected a decimal number, got ${JSON.stringify(value)}` });
    return z.NEVER;
  }
  return text;
});

export const positiveDecimalText = decimalText.refine(
  (text) => new Dec(text).greaterThan(0),
  'must be greater than 0',
);
